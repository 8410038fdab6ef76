"""Large exports built by a background job: ``/api/exports/`` (see docs/deploy.md)."""


def includeme(config):
    config.include(".views")
