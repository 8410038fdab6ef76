"""Rooms of an event (REST under /api/rooms/)."""


def includeme(config):
    from . import models  # noqa: F401

    config.include(".views")
