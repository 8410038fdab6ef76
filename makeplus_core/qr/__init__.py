"""Badge QR codes: the signed badge token (:mod:`.signing`) and QR images."""


def includeme(config):
    from .signing import Keyring

    config.registry.makeplus.badge_keyring = Keyring.from_settings(config.get_settings())
    config.include(".views")
