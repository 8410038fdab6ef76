def includeme(config):
    from . import models  # noqa: F401
