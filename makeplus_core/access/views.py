"""REST: the scan doors (verify_access, participants/scan), scan statistics,
badge re-issue. The decision itself lives in :mod:`.pipeline`."""
from __future__ import annotations

from pyramid.security import NO_PERMISSION_REQUIRED

from .. import api, errors
from ..auth.models import User
from ..participants.models import Participant
from ..roles import CONTROLLEUR, GESTIONNAIRE
from ..rooms.models import Room
from . import pipeline, services
from .schemas import ScanSchema

verify_access = api.service("access-verify", f"/api/rooms/{{room_id:{api.UUID}}}/verify_access/",
                            "Verify a badge at a room door (granted / 402 / 403 / 404 / 400)")
event_scan = api.service("access-event-scan", "/api/participants/scan/",
                         "The app's event-level scanner: check a badge in (status success)")
# The doors apply Idempotency-Key themselves (pipeline.handle), backed by the journal.
pipeline.door_services(verify_access, event_scan)


@verify_access.post(schema=api.doc(ScanSchema), permission=NO_PERMISSION_REQUIRED)
def verify_access_view(request):
    # The busiest endpoint: an access token's identity is read by the door's own statement
    # (pipeline.foldable_claims / load_door), so the view checks authentication itself,
    # with the same answers as the permission check (401 / the temporary token's 401).
    claims = pipeline.foldable_claims(request)
    if claims is None:
        ident = request.identity
        if ident is None or ident.kind != "access":
            return api.forbidden_view(request)
    room_id = api.parse_uuid(request.matchdict["room_id"], "room_id")
    return pipeline.handle(request, pipeline.RoomDoor(room_id, claims))


@event_scan.post(schema=api.doc(ScanSchema))
def event_scan_view(request):
    return pipeline.handle(request, pipeline.EventDoor())


def _room(request):
    event_id = api.require_event(request)
    room = api.get_or_404(request.dbsession, Room, request.matchdict["id"], event_id, label="Room")
    api.require_gestionnaire(request, event_id=room.event_id)
    return room


room_stats = api.service("access-room-statistics", f"/api/rooms/{api.UUID_ID}/statistics/",
                         "Scan statistics of a room")


@room_stats.get()
def room_statistics_view(request):
    return services.room_statistics(request.dbsession, _room(request))


room_people = api.service("access-room-participants", f"/api/rooms/{api.UUID_ID}/participants/",
                          "Holders granted in the room today")


@room_people.get()
def room_participants_view(request):
    from .journal_views import readable_room

    room = readable_room(request)  # gestionnaires, admins and the controllers who scan this room
    results = services.room_participants_today(request.dbsession, room)
    return {"room": services.room_brief(room), "count": len(results), "next": None, "previous": None,
            "results": results}


my_room = api.service("access-my-room-statistics", "/api/my-room/statistics/",
                      "The controller's room (assigned now) and their own scans today")


@my_room.get()
def my_room_statistics_view(request):
    ident = api.identity(request)
    event_id = api.require_event(request)
    api.require_role(request, CONTROLLEUR, GESTIONNAIRE, event_id=event_id)
    return services.my_room_statistics(request.dbsession, ident.user_id, event_id)


def _reissue(request, user_id):
    if user_id > pipeline.MAX_USER_ID:
        raise errors.NotFound("User not found", field="user_id")
    # The badge is the user's, for every event: re-issued by its holder or a platform admin;
    # event staff print or re-send it (QR endpoints), they never revoke it.
    ident = api.identity(request)
    db = request.dbsession
    if ident.is_admin:
        user = db.get(User, user_id)
    else:
        user = services.user_in_event(db, user_id, api.require_event(request))
    if user is None:
        raise errors.NotFound("User not found", field="user_id")
    if not ident.is_admin and user.id != ident.user_id:
        raise errors.Forbidden("Only the badge's holder or a platform admin may re-issue it; event staff may "
                               "print or re-send it", field="user_id")
    services.reissue_badge(db, user)
    from ..auth import badges
    from ..qr.signing import signed_qr_for

    return {"message": "Badge re-issued; the previous QR code is revoked", "user_id": user.id,
            "badge_id": user.badge_id, "badge_issued_at": user.badge_issued_at,
            "qr_code_data": badges.qr_payload(user), "signed_qr": signed_qr_for(db, user)}


reissue_user = api.service("access-badge-reissue-user", r"/api/users/{user_id:\d+}/badge/reissue/",
                           "Revoke and re-issue a user's badge (lost badge)")


@reissue_user.post()
def reissue_user_view(request):
    return _reissue(request, api.path_int(request, "user_id", "User"))


reissue_participant = api.service("access-badge-reissue-participant",
                                  f"/api/participants/{api.UUID_ID}/badge/reissue/",
                                  "Revoke and re-issue the badge of a participant's user")


@reissue_participant.post()
def reissue_participant_view(request):
    event_id = api.require_event(request)
    participant = api.get_or_404(request.dbsession, Participant, request.matchdict["id"], event_id,
                                 label="Participant")
    return _reissue(request, participant.user_id)


def includeme(config):
    config.scan(__name__)
