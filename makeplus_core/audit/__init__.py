"""Audit trail (``audit_log``, ``GET /api/audit-log/``) and the request access log."""
from pyramid.tweens import INGRESS


def includeme(config):
    from . import models  # noqa: F401
    from .services import install

    install(config.registry.makeplus.dbsession_factory)
    # Outermost tween: it sees the final status, after the transaction and the
    # exception views, and times the whole request.
    config.add_tween("makeplus_core.audit.accesslog.access_log_tween_factory", under=INGRESS)
    config.scan(".views")
