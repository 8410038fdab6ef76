"""``makeplus-admin development.ini EMAIL``: create (or promote) a platform admin.

The password is read from the MAKEPLUS_ADMIN_PASSWORD environment variable or asked.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

import sqlalchemy as sa

from ..auth.models import User
from ..auth.services import create_user, normalize_email, set_password
from ..db import get_engine, get_session_factory
from .common import load_settings


def main(argv=None):
    parser = argparse.ArgumentParser(prog="makeplus-admin", description=__doc__)
    parser.add_argument("config_uri")
    parser.add_argument("email")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)
    password = os.environ.get("MAKEPLUS_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    session = get_session_factory(get_engine(settings))()
    with session.begin():
        user = session.scalar(sa.select(User).where(User.email == normalize_email(args.email)))
        if user is None:
            user = create_user(session, email=args.email, password=password, is_admin=True,
                               email_verified=True)  # the operator vouches for the address
        else:
            user.is_admin = True
            set_password(session, user, password)
    print(f"{user.email} is a platform admin")
    return 0


if __name__ == "__main__":
    sys.exit(main())
