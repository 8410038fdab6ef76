"""Access: door scans (the pipeline), paid-atelier rights, scan statistics."""


def includeme(config):
    from . import models  # noqa: F401

    # helper "access": scan doors, statistics, badge re-issue, QR images
    config.include(".views")
    config.include("makeplus_core.qr")
