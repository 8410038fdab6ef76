"""Event figures: the dashboard statistics."""


def includeme(config):
    config.include(".views")
