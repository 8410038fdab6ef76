"""``[server:main] use = egg:makeplus-core#main``: waitress, with the port taken from
``pserve <ini> http_port=N`` when given (an INI ``[DEFAULT]`` would override it)."""
from __future__ import annotations

import waitress


def server_factory(global_conf, host="localhost", port="6543", **kw):
    port = int(global_conf.get("http_port") or port)

    def serve(app):
        waitress.serve(app, host=host, port=port, **kw)

    return serve
