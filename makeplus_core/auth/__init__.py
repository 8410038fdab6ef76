"""Accounts, login flows, tokens and the user's badge."""


def includeme(config):
    from . import passwords

    settings = config.get_settings()
    tc, mc = settings.get("makeplus.argon2.time_cost"), settings.get("makeplus.argon2.memory_cost")
    passwords.configure(int(tc) if tc else None, int(mc) if mc else None)
    config.include(".views")
    config.include(".pages")  # the page the reset e-mail links to
    config.include(".invitations")
    config.include(".verification")
