"""Personal agenda: /api/my-agenda/ and recommendations."""


def includeme(config):
    from . import models  # noqa: F401
    config.scan(".views")
