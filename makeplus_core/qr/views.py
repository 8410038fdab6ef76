"""REST: QR images of badges.

``POST /api/qr/generate/`` (gestionnaire) with ``{user_id}``, ``{participant_id}`` or
``{data}``; ``GET /api/participants/{id}/qr_code/`` (the holder, or staff of the
event). PNG by default, SVG with ``?format=svg`` (or body ``format``). The image
holds the badge's legacy JSON payload (what the app shows), or the signed token
with ``?variant=signed``.
"""
from __future__ import annotations

import sqlalchemy as sa
from pyramid.response import Response

from .. import api, errors
from ..auth import badges
from ..auth.models import User
from ..events.models import UserEventAssignment
from ..participants.models import Participant
from ..roles import CONTROLLEUR, GESTIONNAIRE
from . import images
from .schemas import GenerateSchema

generate = api.service("qr-generate", "/api/qr/generate/", "Make a QR image (PNG or SVG)")
participant_qr = api.service("qr-participant", f"/api/participants/{api.UUID_ID}/qr_code/",
                             "A participant's badge QR image (PNG or SVG)")


def _fmt(request, data=None) -> str:
    fmt = (request.GET.get("format") or (data or {}).get("format") or "png").lower()
    if fmt not in images.FORMATS:
        raise errors.Invalid("format: must be png or svg", field="format")
    return fmt


def _badge_text(request, user, variant) -> str:
    if not user.badge_id:
        raise errors.NotFound("This user has no badge", field="user_id")
    if variant == "signed":
        return request.badge_keyring.sign(user.id, user.badge_id)
    return badges.qr_payload_string(user)


def _image(data: str, fmt: str) -> Response:
    body, ctype = images.render(data, fmt)
    resp = Response(body=body, content_type=ctype)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@generate.post(schema=api.doc(GenerateSchema))
def generate_view(request):
    event_id = api.require_event(request)
    api.require_gestionnaire(request, event_id=event_id)
    data = api.validate(GenerateSchema(), api.json_body(request))
    db = request.dbsession
    variant = request.GET.get("variant") or data.get("variant") or "json"
    if variant not in ("json", "signed"):
        raise errors.Invalid("variant: must be json or signed", field="variant")
    if "participant_id" in data:
        participant = api.get_or_404(db, Participant, data["participant_id"], event_id, label="Participant",
                                     field="participant_id")
        user = db.get(User, participant.user_id)
        text = _badge_text(request, user, variant)
    elif "user_id" in data:
        user = db.scalar(sa.select(User).join(UserEventAssignment, UserEventAssignment.user_id == User.id)
                         .where(User.id == data["user_id"], UserEventAssignment.event_id == event_id))
        if user is None:
            raise errors.NotFound("User not found", field="user_id")
        text = _badge_text(request, user, variant)
    elif "data" in data:
        text = data["data"]
    else:
        raise errors.Invalid("user_id, participant_id or data is required", field="user_id")
    return _image(text, _fmt(request, data))


@participant_qr.get()
def participant_qr_view(request):
    ident = api.identity(request)
    event_id = api.require_event(request)
    db = request.dbsession
    participant = api.get_or_404(db, Participant, request.matchdict["id"], event_id, label="Participant")
    if participant.user_id != ident.user_id:
        api.require_role(request, GESTIONNAIRE, CONTROLLEUR, event_id=event_id)
    user = db.get(User, participant.user_id)
    variant = request.GET.get("variant") or "json"
    if variant not in ("json", "signed"):
        raise errors.Invalid("variant: must be json or signed", field="variant")
    return _image(_badge_text(request, user, variant), _fmt(request))


def includeme(config):
    config.scan(__name__)
