def includeme(config):
    from . import models  # noqa: F401

    config.include(".session_access_views")  # core-people: /api/session-access/, /api/my-ateliers/
