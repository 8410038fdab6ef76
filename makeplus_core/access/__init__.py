"""Access: door scans (the pipeline), paid-atelier rights, scan statistics."""


def includeme(config):
    from . import models  # noqa: F401

    config.include(".session_access_views")  # /api/session-access/, /api/my-ateliers/
    # scan doors, statistics, badge re-issue, QR images
    config.include(".views")
    config.include(".door_tween")  # the fast lane of a granted room scan
    config.include(".scanner_views")  # /api/scanner/manifest/, /api/scanner/sync/ (offline scanners)
    config.include(".journal_views")  # /api/room-access/, access_history, current_participants, session people
    config.include(".aliases")  # seed paths: qr/verify, verify_qr, access_rooms, grant_room_access…
    config.include("makeplus_core.qr")
