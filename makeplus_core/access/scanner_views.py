"""REST: offline scanners.

* ``GET /api/scanner/manifest/?room=`` — what a phone needs to decide at that room's door
  offline (:mod:`.manifest`): ETag, ``If-None-Match`` → 304, ``?since=<version>`` → delta.
* ``POST /api/scanner/sync/`` — up to :data:`MAX_SYNC` scans made offline, each recorded
  exactly once (``room_access.scan_id`` is unique per scanner), re-decided by the server
  with the scan's time; the answer reports, per item, the server's decision and a conflict
  when it differs from the phone's. One transaction for the whole batch.

Both are for the scanner roles (controller, gestionnaire) of the room's event and platform
admins; a scanner with room assignments in the event must have one for that room.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from .. import api, errors, idempotency
from ..db import keep_writes, utcnow
from ..events.models import Event
from ..roles import CONTROLLEUR, GESTIONNAIRE
from ..rooms.models import Room
from ..staff.models import RoomAssignment
from . import manifest, pipeline
from .models import RoomAccess
from .schemas import MAX_SYNC, ManifestQuery, SyncSchema

MAX_SKEW = dt.timedelta(minutes=5)  # a scan time this far in the future is refused
MAX_AGE = dt.timedelta(days=7)  # offline scans older than this are refused


def _scanner_room(request, raw_room, field="room") -> Room:
    """The room, in the caller's event, that the caller may scan at (else 404/403)."""
    ident = api.identity(request)
    event_id = api.require_event(request)
    if raw_room in (None, ""):
        raise errors.Invalid(f"{field}: a room id is required", field=field)
    room = api.get_or_404(request.dbsession, Room, raw_room, event_id, label="Room", field=field)
    api.require_role(request, CONTROLLEUR, GESTIONNAIRE, event_id=room.event_id)
    if not ident.is_admin:
        ra = RoomAssignment
        mine = sa.and_(ra.user_id == ident.user_id, ra.event_id == room.event_id, ra.is_active.is_(True))
        has_any, here = request.dbsession.execute(
            sa.select(sa.exists().where(mine), sa.exists().where(mine, ra.room_id == room.id))).one()
        if has_any and not here:
            raise errors.Forbidden("You are assigned to other rooms of this event", field=field)
    return room


manifest_service = api.service("scanner-manifest", "/api/scanner/manifest/",
                               "The offline scanner's manifest for one room (ETag, ?since= delta)")


@manifest_service.get(schema=api.doc(querystring=ManifestQuery))
def manifest_view(request):
    raw = request.GET.get("room") or request.GET.get("room_id")
    room = _scanner_room(request, raw)
    hours = manifest.DEFAULT_HOURS
    if request.GET.get("hours") not in (None, ""):
        from ..schema import to_int

        hours = to_int(request.GET["hours"], "hours", minimum=1)
        if hours > manifest.MAX_HOURS:
            raise errors.Invalid(f"hours: at most {manifest.MAX_HOURS}", field="hours")
    since = request.GET.get("since") or None
    if since is not None and (len(since) > 64 or not since.isalnum()):
        raise errors.Invalid("since: not a manifest version", field="since")
    db = request.dbsession
    now = utcnow()
    event = db.get(Event, room.event_id)
    content = manifest.build(db, request.badge_keyring, request.registry.settings, room, event, now,
                             hours)
    etag = f'"m-{content["version"]}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
    store = request.kv
    manifest.remember(store, room.id, content)
    if request.headers.get("If-None-Match") == etag and since is None:
        from pyramid.response import Response

        resp = Response(status=304)
        resp.headers.pop("Content-Type", None)
        resp.headers.pop("Content-Length", None)
        resp.headers.update(headers)
        return resp
    return api.json_response(manifest.answer(store, content, since, now), headers=headers)


def _scan_time(raw, now, index) -> dt.datetime:
    field = f"scans.{index}.scanned_at"
    try:
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise errors.Invalid(f"{field}: not an ISO-8601 datetime", field=field) from None
    if when.tzinfo is None:  # the app sends naive UTC times
        when = when.replace(tzinfo=dt.UTC)
    when = when.astimezone(dt.UTC)
    if when > now + MAX_SKEW:
        raise errors.Invalid(f"{field}: in the future", field=field)
    if when < now - MAX_AGE:
        raise errors.Invalid(f"{field}: older than {MAX_AGE.days} days", field=field)
    return when


sync_service = api.service("scanner-sync", "/api/scanner/sync/",
                           "Record up to 1,000 offline scans exactly once; the server re-decides each")


@sync_service.post(schema=api.doc(SyncSchema))
def sync_view(request):
    keep_writes(request)  # denied scans are recorded too
    ident = api.identity(request)
    request.rate_limiter.hit(request, "scan", user_key=ident.user_id)
    body = api.json_body(request)
    scans = body.get("scans")
    if not isinstance(scans, list):
        raise errors.Invalid("scans: must be a list of scans", field="scans")
    if len(scans) > MAX_SYNC:
        raise errors.Invalid(f"scans: at most {MAX_SYNC} scans per call", field="scans")
    now = utcnow()
    items, seen = [], set()
    for i, raw in enumerate(scans):  # validate the whole batch before recording anything
        if not isinstance(raw, dict):
            raise errors.Invalid(f"scans.{i}: must be an object", field=f"scans.{i}")
        scan_id = raw.get("scan_id")
        if not isinstance(scan_id, str) or not scan_id.strip() or len(scan_id.strip()) > idempotency.MAX_KEY_LENGTH:
            raise errors.Invalid(f"scans.{i}.scan_id: 1 to {idempotency.MAX_KEY_LENGTH} characters",
                                 field=f"scans.{i}.scan_id")
        scan_id = scan_id.strip()
        if not isinstance(raw.get("qr_data"), (str, dict)):
            raise errors.Invalid(f"scans.{i}.qr_data: required", field=f"scans.{i}.qr_data")
        if not isinstance(raw.get("scanned_at"), str):
            raise errors.Invalid(f"scans.{i}.scanned_at: required (ISO-8601)", field=f"scans.{i}.scanned_at")
        when = _scan_time(raw["scanned_at"], now, i)
        room_raw = raw.get("room") or raw.get("room_id") or body.get("room") or body.get("room_id")
        if not isinstance(room_raw, str):
            raise errors.Invalid(f"scans.{i}.room: a room id is required", field=f"scans.{i}.room")
        direction = raw.get("direction")
        if direction not in (None, "", "entry", "exit"):
            raise errors.Invalid(f"scans.{i}.direction: must be entry or exit", field=f"scans.{i}.direction")
        decision = raw.get("decision")
        if decision not in (None, "granted", "denied"):
            raise errors.Invalid(f"scans.{i}.decision: must be granted or denied", field=f"scans.{i}.decision")
        if scan_id in seen:
            raise errors.Invalid(f"scans.{i}.scan_id: {scan_id!r} appears twice in this batch",
                                 field=f"scans.{i}.scan_id")
        seen.add(scan_id)
        items.append((i, scan_id, when, room_raw, raw, decision))
    rooms = {}
    for i, _, _, room_raw, _, _ in items:
        if room_raw not in rooms:
            rooms[room_raw] = _scanner_room(request, room_raw, field=f"scans.{i}.room")
    db = request.dbsession
    # Scans this scanner already recorded (a retry): reported, never recorded again.
    known = {}
    ids = [pipeline.journal_scan_id(it[1]) for it in items]
    for chunk in range(0, len(ids), 500):
        for sid, status, reason, code in db.execute(
                sa.select(RoomAccess.scan_id, RoomAccess.status, RoomAccess.reason, RoomAccess.http_status)
                .where(RoomAccess.verified_by_id == ident.user_id, RoomAccess.scan_id.in_(ids[chunk:chunk + 500]))):
            known[sid] = (status, reason, code)
    results = [None] * len(items)
    # In the order the scans happened (an exit after its entry), ties by scan id: two processes
    # syncing the same batch also take their row locks in the same order (no deadlock).
    for pos, (_, scan_id, when, room_raw, raw, decision) in sorted(enumerate(items),
                                                                   key=lambda x: (x[1][2], x[1][1])):
        if pipeline.journal_scan_id(scan_id) in known:
            status, reason, code = known[pipeline.journal_scan_id(scan_id)]
            results[pos] = _result(scan_id, "duplicate", status, reason, code, decision)
            continue
        body_i = {"qr_data": raw["qr_data"], "direction": raw.get("direction") or None}
        if raw.get("session"):
            body_i["session"] = raw["session"]
        answer = pipeline.scan_room(request, rooms[room_raw].id, body_i, scan_id, now=when)
        status = "granted" if answer.status == 200 else "denied"
        reason = answer.body.get("reason") or ("exit" if answer.body.get("direction") == "exit" else "granted")
        # replayed: another process recorded this scan id first (the unique constraint decided)
        outcome = "duplicate" if answer.replayed else "recorded"
        results[pos] = _result(scan_id, outcome, status, reason, answer.status, decision)
    counts = {"recorded": 0, "duplicate": 0, "conflicts": 0}
    for r in results:
        counts[r["result"]] += 1
        counts["conflicts"] += 1 if r["conflict"] else 0
    return {"count": len(results), **counts, "results": results}


def _result(scan_id, result, status, reason, code, phone_decision) -> dict:
    return {"scan_id": scan_id, "result": result, "decision": status, "reason": reason, "http_status": code,
            "phone_decision": phone_decision,
            "conflict": phone_decision is not None and phone_decision != status}


def includeme(config):
    config.scan(__name__)
