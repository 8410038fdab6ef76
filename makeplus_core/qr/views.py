"""REST: QR images of badges.

``POST /api/qr/generate/`` (gestionnaire) with ``{user_id}``, ``{participant_id}`` or
``{data}``; ``GET /api/participants/{id}/qr_code/`` (the holder, or staff of the
event). PNG by default, SVG with ``?format=svg`` (or body ``format``). The image
holds the badge's legacy JSON payload (what the app shows), or the signed token
with ``?variant=signed``.
"""
from __future__ import annotations

from pyramid.response import Response

from .. import api, errors
from ..roles import CONTROLLEUR, GESTIONNAIRE
from . import images, services
from .schemas import GenerateSchema


def _fmt(request, data=None) -> str:
    fmt = (request.GET.get("format") or (data or {}).get("format") or "png").lower()
    if fmt not in images.FORMATS:
        raise errors.Invalid("format: must be png or svg", field="format")
    return fmt


def _image(data: str, fmt: str) -> Response:
    body, ctype = images.render(data, fmt)
    resp = Response(body=body, content_type=ctype)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


generate = api.service("qr-generate", "/api/qr/generate/", "Make a QR image (PNG or SVG)")


@generate.post(schema=api.doc(GenerateSchema))
def generate_view(request):
    event_id = api.require_event(request)
    api.require_gestionnaire(request, event_id=event_id)
    data = api.validate(GenerateSchema(), api.json_body(request))
    db = request.dbsession
    variant = services.check_variant(request.GET.get("variant") or data.get("variant") or "json")
    if "participant_id" in data:
        found = services.participant(db, data["participant_id"], event_id, field="participant_id")
        text = services.badge_text(request.badge_keyring, services.user_of(db, found), variant)
    elif "user_id" in data:
        text = services.badge_text(request.badge_keyring, services.member_user(db, data["user_id"], event_id),
                                   variant)
    elif "data" in data:
        text = data["data"]
    else:
        raise errors.Invalid("user_id, participant_id or data is required", field="user_id")
    return _image(text, _fmt(request, data))


participant_qr = api.service("qr-participant", f"/api/participants/{api.UUID_ID}/qr_code/",
                             "A participant's badge QR image (PNG or SVG)")


@participant_qr.get()
def participant_qr_view(request):
    ident = api.identity(request)
    event_id = api.require_event(request)
    db = request.dbsession
    found = services.participant(db, request.matchdict["id"], event_id)
    if found.user_id != ident.user_id:
        api.require_role(request, GESTIONNAIRE, CONTROLLEUR, event_id=event_id)
    variant = services.check_variant(request.GET.get("variant") or "json")
    return _image(services.badge_text(request.badge_keyring, services.user_of(db, found), variant), _fmt(request))


def includeme(config):
    config.scan(__name__)
