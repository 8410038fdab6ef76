"""Sessions of an event (REST under /api/sessions/)."""


def includeme(config):
    from . import models  # noqa: F401

    config.include(".views")
