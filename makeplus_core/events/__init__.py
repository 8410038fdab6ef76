"""Events: CRUD, uploads and statistics (REST under /api/events/)."""


def includeme(config):
    from . import models  # noqa: F401

    config.include(".views")
