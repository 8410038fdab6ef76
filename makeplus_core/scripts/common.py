from __future__ import annotations

import logging

from pyramid.paster import get_appsettings, setup_logging

from .. import apply_environment


def load_settings(ini_path: str) -> dict:
    setup_logging(ini_path)
    settings = dict(get_appsettings(ini_path, name="main"))
    return apply_environment(settings)


log = logging.getLogger("makeplus")
