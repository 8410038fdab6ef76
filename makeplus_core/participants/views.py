"""REST: /api/participants/ (seed "Participant Management Endpoints") and the Excel export.

Gestionnaires and controllers see every participant of their event; participants and
exposants see only their own row. Only gestionnaires (and platform admins) create,
update or delete.
"""
from __future__ import annotations

import json

from .. import api, errors, storage, xlsx
from ..auth import invitations
from ..auth.models import User
from ..events.models import Event
from . import importer, schemas, serializers, services
from .export import participants_sheet

ID = api.UUID_ID


def _scope(request):
    """(identity, event id, role, own user id or None)."""
    ident = api.identity(request)
    event_id = api.require_event(request)
    role = "admin" if ident.is_admin else api.role_in_event(request, event_id)
    return ident, event_id, role, services.visible_owner(ident, role)


def _body(request) -> dict:
    raw = api.json_body(request)
    for alias, name in (("user_id", "user"), ("allowed_room_ids", "allowed_rooms")):
        if alias in raw and name not in raw:
            raw[name] = raw.pop(alias)
    return raw


def _check_body_event(request, raw, event_id):
    value = raw.pop("event", None) or raw.pop("event_id", None)
    if value and api.parse_uuid(value, "event") != event_id:
        raise errors.NotFound("Event not found", field="event")


participants = api.service("participants", "/api/participants/", "Participants of my event")


@participants.get(schema=api.doc(querystring=schemas.ParticipantQuery))
def list_participants(request):
    ident, event_id, role, own = _scope(request)
    q = api.validate(schemas.ParticipantQuery(), dict(request.GET), partial=True)
    stmt = services.list_query(event_id, own_user_id=own, badge_number=q.get("badge_number"),
                               search=q.get("search"), user_id=q.get("user", q.get("user_id")),
                               is_checked_in=q.get("is_checked_in"), role=q.get("role"))
    return api.paginate(request, stmt, lambda rows: serializers.serialize(request, rows))


@participants.post(schema=api.doc(schemas.ParticipantSchema))
def create_participant(request):
    """Enrol a person: by ``email`` (event staff and admins) or by ``user`` id (admins only).

    See :mod:`makeplus_core.auth.invitations` for the rule; the answer to event staff
    carries only what they typed (and the badge of an account created just now)."""
    ident, event_id, role, own = _scope(request)
    api.require_gestionnaire(request, event_id=event_id)
    raw = _body(request)
    _check_body_event(request, raw, event_id)
    if "user" in raw and not ident.is_admin:
        raise errors.Forbidden("user: only platform admins enrol an account by its id; give the person's "
                               "email instead", field="user")
    data = api.validate(schemas.ParticipantSchema(), raw)
    event = request.dbsession.get(Event, event_id)
    if event is None:
        raise errors.NotFound("Event not found", field="event")
    db = request.dbsession
    typed = None
    if data.get("user") is not None:
        user = db.get(User, data["user"])
        if user is None:
            raise errors.Invalid("user: no such user", field="user")
    elif data.get("email"):
        user, invited, created = invitations.enrol_and_notify(request, data["email"], data, event)
        typed = None if ident.is_admin else {"invitation_sent": invited, "created": created}
    else:
        raise errors.Invalid("email: give the person's email", field="email")
    obj = services.create(db, event, data, user, assigned_by_id=ident.user_id)
    request.response.status = 201
    body = serializers.serialize(request, [obj])[0]
    if typed is not None:
        body = serializers.as_typed(body, data, **typed)
    return body


participant = api.service("participant", f"/api/participants/{ID}/", "One participant")


@participant.get()
def get_participant(request):
    ident, event_id, role, own = _scope(request)
    obj = services.get_visible(request.dbsession, request.matchdict["id"], event_id, own)
    return serializers.serialize(request, [obj])[0]


@participant.put(schema=api.doc(schemas.ParticipantSchema))
@participant.patch(schema=api.doc(schemas.ParticipantSchema))
def update_participant(request):
    """Event-level fields for event staff; an account field that would change the account
    is refused with 403 naming it (admins may change names and job title)."""
    ident, event_id, role, own = _scope(request)
    obj = services.get_visible(request.dbsession, request.matchdict["id"], event_id, own)
    api.require_gestionnaire(request, event_id=event_id)
    raw = _body(request)
    _check_body_event(request, raw, event_id)
    if "user" in raw and str(raw["user"]) != str(obj.user_id):
        raise errors.Forbidden("user: a participant row never changes hands", field="user")
    raw.pop("user", None)
    user = request.dbsession.get(User, obj.user_id)
    changed = services.changed_account_fields(user, raw)
    allowed = services.ADMIN_ACCOUNT_FIELDS if ident.is_admin else ()
    refused = [k for k in changed if k not in allowed]
    if refused:
        raise errors.Forbidden(f"{refused[0]}: part of the person's account, which only they (and platform "
                               "admins) change; event staff edit event-level fields (badge_number, "
                               "allowed_rooms, is_checked_in, notes, role, phone, organization)", field=refused[0])
    for key in services.ACCOUNT_FIELDS:
        if key not in changed:
            raw.pop(key, None)
    data = api.validate(schemas.ParticipantSchema(), raw, partial=True)
    account = {k: data[k] for k in services.ADMIN_ACCOUNT_FIELDS if k in data} if ident.is_admin else None
    services.update(request.dbsession, obj, data, account_changes=account)
    return serializers.serialize(request, [obj])[0]


@participant.delete()
def delete_participant(request):
    ident, event_id, role, own = _scope(request)
    obj = services.get_visible(request.dbsession, request.matchdict["id"], event_id, own)
    api.require_gestionnaire(request, event_id=event_id)
    services.delete(request.dbsession, obj)
    return api.no_content()


export = api.service("participants-export", "/api/participants/export/",
                     "The event's participants as an Excel file (.xlsx)")


@export.get()
def export_view(request):
    ident, event_id, role, own = _scope(request)
    api.require_gestionnaire(request, event_id=event_id)
    resp = xlsx.xlsx_response(f"participants-{event_id}.xlsx", [participants_sheet(request.dbsession, event_id)])
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def includeme(config):
    config.scan(__name__)


def _import_options(request) -> tuple[bool, dict | None]:
    dry_run = api.parse_bool(request.POST.get("dry_run", request.GET.get("dry_run", "false")), "dry_run")
    raw = request.POST.get("mapping")
    mapping = None
    if raw not in (None, ""):
        try:
            mapping = json.loads(raw)
        except ValueError:
            mapping = None
        if not isinstance(mapping, dict) or not all(isinstance(k, str) and (v is None or isinstance(v, str))
                                                    for k, v in mapping.items()):
            raise errors.Invalid('mapping: a JSON object {"column": "field"}', field="mapping")
    return bool(dry_run), mapping


import_service = api.service("participants-import", "/api/participants/import/",
                             "Import participants from a CSV or XLSX file (dry run, then for real)")


@import_service.post()
def import_participants(request):
    """Multipart ``file`` (CSV or XLSX), ``mapping`` (JSON ``{column: field}``), ``dry_run``.

    The dry run answers the per-row report and writes nothing; the real run applies exactly
    that plan in this request's transaction, or nothing when a row has an error (400
    ``import_invalid`` with the report). See docs/api-people.md "Bulk import"."""
    ident, event_id, role, own = _scope(request)
    api.require_gestionnaire(request, event_id=event_id)
    dry_run, mapping = _import_options(request)
    data = storage.read_upload(request, "file")
    event = request.dbsession.get(Event, event_id)
    header, rows = importer.read_table(data)
    plan = importer.plan(request.dbsession, event, header, rows, mapping)
    if not dry_run:
        def enrol(people):
            return [user for user, _, _ in invitations.enrol_many_and_notify(request, people, event)]

        importer.apply(request.dbsession, event, plan, enrol=enrol, granted_by_id=ident.user_id)
    return plan.report(dry_run=dry_run)
