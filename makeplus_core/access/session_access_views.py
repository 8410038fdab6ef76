"""REST: /api/session-access/ and /api/my-ateliers/ (seed "Session Access Endpoints").

Permission matrix: gestionnaires (and platform admins) view, grant and update;
participants view their own records; controllers and exposants get 403.
"""
from __future__ import annotations

import sqlalchemy as sa

from .. import api, errors
from ..participants.models import Participant
from ..roles import GESTIONNAIRE, PARTICIPANT
from . import schemas
from . import session_access as services


def _own_participant_id(request, event_id):
    return request.dbsession.scalar(sa.select(Participant.id).where(
        Participant.user_id == api.identity(request).user_id, Participant.event_id == event_id))


def _scope(request, write=False):
    """(event id, own participant id or None for managers)."""
    ident = api.identity(request)
    event_id = api.require_event(request)
    role = "admin" if ident.is_admin else api.role_in_event(request, event_id)
    if role in ("admin", GESTIONNAIRE):
        return event_id, None
    if role == PARTICIPANT and not write:
        own = _own_participant_id(request, event_id)
        if own is None:
            raise errors.NotFound("You have no participant profile in this event")
        return event_id, own
    raise errors.Forbidden("You do not have permission to perform this action")


def _body(request, event_id) -> dict:
    raw = api.json_body_in_event(request, event_id, (("participant_id", "participant"), ("session_id", "session")))
    if "amount_paid" in raw:
        raw["amount_paid"] = services.amount_as_text(raw["amount_paid"])
    return raw


accesses = api.service("session-accesses", "/api/session-access/", "Paid-atelier access records")


@accesses.get(schema=api.doc(querystring=schemas.SessionAccessQuery))
def list_accesses(request):
    event_id, own = _scope(request)
    q = api.validate(schemas.SessionAccessQuery(), dict(request.GET), partial=True)
    pid = q.get("participant", q.get("participant_id"))
    sid = q.get("session", q.get("session_id"))
    stmt = services.list_query(event_id, own_participant_id=own,
                               participant_id=api.parse_uuid(pid, "participant") if pid else None,
                               session_id=api.parse_uuid(sid, "session") if sid else None,
                               payment_status=q.get("payment_status"), has_access=q.get("has_access"))
    return api.paginate(request, stmt, lambda rows: services.serialize(request, rows))


@accesses.post(schema=api.doc(schemas.SessionAccessSchema))
def create_access(request):
    event_id, _ = _scope(request, write=True)
    data = api.validate(schemas.SessionAccessSchema(), _body(request, event_id))
    obj = services.create(request.dbsession, event_id, data, granted_by_id=api.identity(request).user_id)
    request.response.status = 201
    return services.serialize(request, [obj])[0]


access = api.service("session-access", f"/api/session-access/{api.UUID_ID}/", "One access record")


@access.get()
def get_access(request):
    event_id, own = _scope(request)
    obj = services.get_in_event(request.dbsession, request.matchdict["id"], event_id, own)
    return services.serialize(request, [obj])[0]


@access.put(schema=api.doc(schemas.SessionAccessUpdateSchema))
@access.patch(schema=api.doc(schemas.SessionAccessUpdateSchema))
def update_access(request):
    event_id, _ = _scope(request, write=True)
    obj = services.get_in_event(request.dbsession, request.matchdict["id"], event_id)
    raw = _body(request, event_id)
    for key in ("participant", "session"):
        if key in raw and str(raw.pop(key)) != str(getattr(obj, f"{key}_id")):
            raise errors.Invalid(f"{key}: cannot be changed; create another record", field=key)
    data = api.validate(schemas.SessionAccessUpdateSchema(), raw, partial=request.method == "PATCH")
    services.update(request.dbsession, obj, data, granted_by_id=api.identity(request).user_id)
    return services.serialize(request, [obj])[0]


@access.delete()
def delete_access(request):
    event_id, _ = _scope(request, write=True)
    obj = services.get_in_event(request.dbsession, request.matchdict["id"], event_id)
    request.dbsession.delete(obj)
    request.dbsession.flush()
    return api.no_content()


my_ateliers = api.service("my-ateliers", "/api/my-ateliers/", "My paid ateliers with a payment summary")


@my_ateliers.get()
def my_ateliers_view(request):
    ident = api.identity(request)
    event_id = api.require_event(request)
    participant = request.dbsession.scalar(sa.select(Participant).where(
        Participant.user_id == ident.user_id, Participant.event_id == event_id))
    if participant is None:
        raise errors.NotFound("You have no participant profile in this event")
    return services.my_ateliers(request.dbsession, participant, ident.user)


def includeme(config):
    config.scan(__name__)
