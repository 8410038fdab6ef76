"""Global search: GET /api/search/ (see services.py for matching and ranking)."""


def includeme(config):
    from . import models  # noqa: F401
    config.scan(".views")
