"""REST: /api/user-assignments/ and /api/room-assignments/ (seed "User Assignment" and
"Room Assignment" endpoints).

User assignments: gestionnaires manage their event's; any member lists/reads their own
(the app reads the first item's role and room_assignment.room_id to open its home).
Room assignments: gestionnaires (and platform admins) only.
"""
from __future__ import annotations

from .. import api, errors
from ..auth import invitations
from ..events.models import Event, UserEventAssignment
from ..roles import GESTIONNAIRE
from . import schemas, serializers, services
from .models import RoomAssignment


def _is_manager(request, event_id) -> bool:
    ident = api.identity(request)
    return ident.is_admin or api.role_in_event(request, event_id) == GESTIONNAIRE


def _body(request, event_id) -> dict:
    return api.json_body_in_event(request, event_id, (("user_id", "user"), ("room_id", "room")))


# --------------------------------------------------------------------------- user assignments


def _visible_user_assignment(request, event_id):
    obj = api.get_or_404(request.dbsession, UserEventAssignment, request.matchdict["id"], event_id,
                         label="Assignment")
    if not _is_manager(request, event_id) and obj.user_id != api.identity(request).user_id:
        raise errors.NotFound("Assignment not found", field="id")
    return obj


user_assignments = api.service("user-assignments", "/api/user-assignments/",
                               "Users' roles in my event (non-gestionnaires: their own)")


@user_assignments.get(schema=api.doc(querystring=schemas.UserAssignmentQuery))
def list_user_assignments(request):
    event_id = api.require_event(request)
    q = api.validate(schemas.UserAssignmentQuery(), dict(request.GET), partial=True)
    own = None if _is_manager(request, event_id) else api.identity(request).user_id
    stmt = services.user_assignment_list_query(event_id, own_user_id=own, user_id=q.get("user", q.get("user_id")),
                                               role=q.get("role"), is_active=q.get("is_active"))
    return api.paginate(request, stmt, lambda rows: serializers.serialize_user_assignments(request, rows))


@user_assignments.post(schema=api.doc(schemas.UserAssignmentSchema))
def create_user_assignment(request):
    event_id = api.require_event(request)
    api.require_gestionnaire(request, event_id=event_id)
    ident = api.identity(request)
    raw = _body(request, event_id)
    if "user" in raw and not ident.is_admin:
        raise errors.Forbidden("user: only platform admins assign an account by its id; give the person's "
                               "email instead", field="user")
    data = api.validate(schemas.UserAssignmentSchema(), raw)
    event = api.get_or_404(request.dbsession, Event, event_id, label="Event", field="event")
    typed = None
    if "user" not in data:
        if not data.get("email"):
            raise errors.Invalid("email: give the person's email", field="email")
        user, invited, _ = invitations.enrol_and_notify(request, data["email"], data, event)
        data["user"] = user.id
        typed = None if ident.is_admin else invited
    obj = services.create_user_assignment(request.dbsession, event, data, assigned_by_id=ident.user_id)
    request.response.status = 201
    body = serializers.serialize_user_assignments(request, [obj])[0]
    if typed is not None:  # what the organiser typed, nothing more of the account
        body.update(user_name=f"{data.get('first_name', '')} {data.get('last_name', '')}".strip() or None,
                    invitation_sent=typed)
    return body


user_assignment = api.service("user-assignment", f"/api/user-assignments/{api.UUID_ID}/", "One user assignment")


@user_assignment.get()
def get_user_assignment(request):
    event_id = api.require_event(request)
    obj = _visible_user_assignment(request, event_id)
    return serializers.serialize_user_assignments(request, [obj])[0]


@user_assignment.put(schema=api.doc(schemas.UserAssignmentUpdateSchema))
@user_assignment.patch(schema=api.doc(schemas.UserAssignmentUpdateSchema))
def update_user_assignment(request):
    event_id = api.require_event(request)
    obj = _visible_user_assignment(request, event_id)
    api.require_gestionnaire(request, event_id=event_id)
    raw = _body(request, event_id)
    if "user" in raw and raw.pop("user") != obj.user_id:
        raise errors.Invalid("user: an assignment cannot be moved to another user", field="user")
    data = api.validate(schemas.UserAssignmentUpdateSchema(), raw, partial=request.method == "PATCH")
    services.update_user_assignment(request.dbsession, obj, data)
    return serializers.serialize_user_assignments(request, [obj])[0]


@user_assignment.delete()
def delete_user_assignment(request):
    event_id = api.require_event(request)
    obj = _visible_user_assignment(request, event_id)
    api.require_gestionnaire(request, event_id=event_id)
    services.delete_user_assignment(request.dbsession, obj)
    return api.no_content()


# --------------------------------------------------------------------------- room assignments


def _room_scope(request):
    event_id = api.require_event(request)
    api.require_gestionnaire(request, event_id=event_id)
    return event_id


def _room_assignment(request, event_id) -> RoomAssignment:
    return api.get_or_404(request.dbsession, RoomAssignment, request.matchdict["id"], event_id,
                          label="Room assignment")


def _room_data(request, event_id, partial=False) -> dict:
    data = api.validate(schemas.RoomAssignmentSchema(), _body(request, event_id), partial=partial)
    if "room" in data:
        data["room"] = api.parse_uuid(data["room"], "room")
    return data


room_assignments = api.service("room-assignments", "/api/room-assignments/",
                               "Staff assigned to rooms for time slots (gestionnaire)")


@room_assignments.get(schema=api.doc(querystring=schemas.RoomAssignmentQuery))
def list_room_assignments(request):
    event_id = _room_scope(request)
    q = api.validate(schemas.RoomAssignmentQuery(), dict(request.GET), partial=True)
    room = q.get("room", q.get("room_id"))
    stmt = services.room_assignment_list_query(
        event_id, room_id=api.parse_uuid(room, "room") if room else None, user_id=q.get("user", q.get("user_id")),
        role=q.get("role"), is_active=q.get("is_active"), current=q.get("current"))
    return api.paginate(request, stmt, lambda rows: serializers.serialize_room_assignments(request, rows))


@room_assignments.post(schema=api.doc(schemas.RoomAssignmentSchema))
def create_room_assignment(request):
    event_id = _room_scope(request)
    data = _room_data(request, event_id)
    obj = services.create_room_assignment(request.dbsession, event_id, data,
                                          assigned_by_id=api.identity(request).user_id)
    request.response.status = 201
    return serializers.serialize_room_assignments(request, [obj])[0]


room_assignment = api.service("room-assignment", f"/api/room-assignments/{api.UUID_ID}/", "One room assignment")


@room_assignment.get()
def get_room_assignment(request):
    event_id = _room_scope(request)
    obj = _room_assignment(request, event_id)
    return serializers.serialize_room_assignments(request, [obj])[0]


@room_assignment.put(schema=api.doc(schemas.RoomAssignmentSchema))
@room_assignment.patch(schema=api.doc(schemas.RoomAssignmentSchema))
def update_room_assignment(request):
    event_id = _room_scope(request)
    obj = _room_assignment(request, event_id)
    data = _room_data(request, event_id, partial=request.method == "PATCH")
    services.update_room_assignment(request.dbsession, obj, data)
    return serializers.serialize_room_assignments(request, [obj])[0]


@room_assignment.delete()
def delete_room_assignment(request):
    event_id = _room_scope(request)
    obj = _room_assignment(request, event_id)
    services.delete_room_assignment(request.dbsession, obj)
    return api.no_content()


def includeme(config):
    config.scan(__name__)
