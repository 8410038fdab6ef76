"""Audit trail (``audit_log``, ``GET /api/audit-log/``) and the request access log."""


def includeme(config):
    from . import models  # noqa: F401
    from .services import install

    install(config.registry.makeplus.dbsession_factory)
    # Over every tween but the two that add the headers every answer gets (API cache headers,
    # language: makeplus_core.api.caching, .i18n): it sees the final status, after the
    # transaction and the exception views, and times the whole request.
    config.add_tween("makeplus_core.audit.accesslog.access_log_tween_factory",
                     under="makeplus_core.i18n.language_headers_tween_factory",
                     over="makeplus_core.headers.security_headers_tween_factory")
    config.scan(".views")
