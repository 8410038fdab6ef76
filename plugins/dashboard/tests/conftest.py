import pytest


@pytest.fixture
def dash(app):
    """The test app with a fresh cookie jar (dashboard sessions are cookies)."""
    app.reset()
    yield app
    app.reset()
