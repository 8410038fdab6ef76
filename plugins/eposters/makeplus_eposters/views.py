"""REST: /api/eposter/… — call for contributions, public submission, committee
review, final poster by secret link, gallery (CLIENT_CONTRACT §E-posters), export."""
from __future__ import annotations

import functools
import json

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from makeplus_core.plugin_api import (
    GESTIONNAIRE,
    Event,
    Sheet,
    api,
    errors,
    file_url,
    i18n,
    send_mail,
    storage,
    translate,
    xlsx_response,
)

from . import schemas, services
from .models import STATUSES, Submission

PUBLIC = NO_PERMISSION_REQUIRED
EV = "{event_id:" + api.UUID + "}"


# --------------------------------------------------------------------------- helpers


def _setting(request, name, default):
    return int(request.registry.settings.get(f"makeplus.eposters.{name}", default))


def _abstract_max(request) -> int:
    return _setting(request, "abstract_max_chars", schemas.DEFAULT_ABSTRACT_MAX)


def _event(request) -> Event:
    event_id = api.parse_uuid(request.matchdict["event_id"], "event_id")
    event = request.dbsession.get(Event, event_id)
    if event is None:
        raise errors.NotFound("Event not found", field="event_id")
    return event


def _member_scope(request):
    """(identity, event, role) for a member of the path's event; anyone else gets a 404."""
    ident = api.identity(request)
    event = _event(request)
    role = api.role_in_event(request, event.id)
    if role is None and not ident.is_admin:
        raise errors.NotFound("Event not found", field="event_id")
    return ident, event, role


def _gestionnaire_scope(request):
    ident, event, role = _member_scope(request)
    if not (ident.is_admin or role == GESTIONNAIRE):
        raise errors.Forbidden("Only a gestionnaire of the event can do this")
    return ident, event, role


def _reviewer_scope(request, event_id=None):
    ident, event, role = _member_scope(request)
    if not services.can_review(request.dbsession, event.id, ident.user_id, role, ident.is_admin):
        raise errors.Forbidden("Only committee members and gestionnaires of the event can do this")
    return ident, event, role


def _public_base(request) -> str:
    return (request.registry.settings.get("makeplus.public_url") or request.application_url).rstrip("/")


def _parse_json_field(value, field):
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise errors.Invalid(f"{field}: must be JSON", field=field) from None
    return value


def _submission_input(request) -> dict:
    raw = dict(api.json_body(request))
    multipart = (request.content_type or "").startswith(("multipart/", "application/x-www-form-urlencoded"))
    if multipart:
        authors = raw.get("authors")
        if isinstance(authors, str) and authors.strip().startswith(("[", "{")):
            raw["authors"] = _parse_json_field(authors, "authors")
        elif isinstance(authors, str):  # "Name A; Name B" — one author per line or semicolon
            raw["authors"] = [a for a in (p.strip() for p in authors.replace("\n", ";").split(";")) if a]
        if "abstract" in raw:
            raw["abstract"] = _parse_json_field(raw["abstract"], "abstract")
    if not isinstance(raw.get("abstract"), dict):
        flat = {}
        for part in schemas.ABSTRACT_PARTS:
            for key in (f"abstract_{part}", f"abstract.{part}"):
                if key in raw:
                    flat[part] = raw[key]
        if flat or "abstract" not in raw:
            raw["abstract"] = flat
    if isinstance(raw.get("authors"), list):
        raw["authors"] = [{"name": a} if isinstance(a, str) else a for a in raw["authors"]]
    return api.validate(schemas.submission_schema(_abstract_max(request)), raw)


call_svc = api.service("eposter-call", f"/api/eposter/{EV}/call/",
                       "Call for contributions of an event (public when published)")


# --------------------------------------------------------------------------- call


@call_svc.get(permission=PUBLIC)
def get_call(request):
    event = _event(request)
    call = services.get_call(request.dbsession, event.id)
    ident = request.identity
    full = False
    if ident is not None and ident.kind == "access":
        role = api.role_in_event(request, event.id)
        full = ident.is_admin or role == GESTIONNAIRE
    if call is None or (not call.is_published and not full):
        raise errors.NotFound("This event has no published call for contributions")
    return services.call_json(call, event, full, _abstract_max(request))


@call_svc.put(schema=api.doc(schemas.CallSchema))
def put_call(request):
    ident, event, role = _gestionnaire_scope(request)
    data = api.validate(schemas.CallSchema(), api.json_body(request))
    call = services.save_call(request.dbsession, event.id, data)
    return services.call_json(call, event, True, _abstract_max(request))


submissions_svc = api.service("eposter-submissions", f"/api/eposter/{EV}/submissions/",
                              "Public submission (POST, no account); committee list (GET)")


# --------------------------------------------------------------------------- submissions


@submissions_svc.post(permission=PUBLIC, schema=api.doc(schemas.SubmissionDoc))
def submit(request):
    limiter = request.rate_limiter
    if limiter is not None:
        limiter.hit(request, "public_submit")
    event = _event(request)
    db = request.dbsession
    call = services.open_call(db, event.id)  # 404/409 before reading anything else
    data = _submission_input(request)
    services.check_theme(call, data)  # before storing a file
    pdf_path = storage.save_pdf_upload(request, "abstract_pdf", "eposters/abstracts", required=False)
    sub = services.submit(db, event.id, data, abstract_pdf=pdf_path)
    request.response.status = 201
    # A receipt only: nothing submitted is echoed back.
    return {"id": str(sub.id), "status": "pending",
            "message": "Thank you: your contribution was received and will be reviewed by the committee. "
                       "The decision will be sent by e-mail."}


@submissions_svc.get()
def list_submissions(request):
    ident, event, role = _reviewer_scope(request)
    status = api.param(request, "status")
    if status is not None and status not in STATUSES:
        raise errors.Invalid("status: must be one of " + ", ".join(STATUSES), field="status")
    stmt = services.submissions_query(event.id, status=status, search=api.param(request, "q", "search"))
    return api.paginate(request, stmt, lambda rows: services.serialize_submissions(
        request, rows, file_url, viewer_id=ident.user_id))


committee_svc = api.service("eposter-committee", f"/api/eposter/{EV}/committee/", "Review committee")


# --------------------------------------------------------------------------- committee


@committee_svc.get()
def list_committee(request):
    ident, event, role = _reviewer_scope(request)
    return api.paginate(request, services.committee_query(event.id),
                        lambda rows: services.serialize_committee(request.dbsession, rows))


@committee_svc.post(schema=api.doc(schemas.CommitteeSchema))
def add_committee(request):
    ident, event, role = _gestionnaire_scope(request)
    data = api.validate(schemas.CommitteeSchema(), api.json_body(request))
    cm = services.add_committee_member(request.dbsession, event.id, data["user_id"], ident.user_id)
    request.response.status = 201
    return services.serialize_committee(request.dbsession, [cm])[0]


committee_member_svc = api.service("eposter-committee-member", f"/api/eposter/{EV}/committee/{{user_id:\\d+}}/",
                                   "Remove a committee member")


@committee_member_svc.delete()
def remove_committee(request):
    ident, event, role = _gestionnaire_scope(request)
    services.remove_committee_member(request.dbsession, event.id, api.path_int(request, "user_id", "User"))
    resp = Response(status=204)
    del resp.content_type  # a 204 carries no body and no Content-Type
    return resp


review_svc = api.service("eposter-review", f"/api/eposter/submissions/{api.UUID_ID}/review/",
                         "Record a committee member's review")


# --------------------------------------------------------------------------- review


@review_svc.post(schema=api.doc(schemas.ReviewSchema))
def post_review(request):
    ident = api.identity(request)
    db = request.dbsession
    sub = api.get_or_404(db, Submission, request.matchdict["id"], label="Submission")
    request.matchdict["event_id"] = str(sub.event_id)
    ident, event, role = _reviewer_scope(request)
    data = api.validate(schemas.ReviewSchema(), api.json_body(request))
    result = services.review(db, sub.id, event.id, ident.user_id, data["decision"], data.get("comment", ""),
                             final_link_days=_setting(request, "final_link_days",
                                                      services.DEFAULT_FINAL_LINK_DAYS))
    sub = result["submission"]
    if result["outcome"] == "accepted":
        link = f"{_public_base(request)}/api/eposter/final/{result['token']}/"
        lang = i18n.mail_locale(request, event=event)  # the event's language if it names one, else French
        t = functools.partial(translate, request, locale=lang)
        deadline = i18n.format_datetime(sub.final_token_expires_at, tz=event.timezone, locale=lang)
        send_mail(request, to=sub.author_email,
                  subject=t("${event}: contribution accepted (${code})", event=event.name, code=sub.code),
                  body=t("Dear ${first_name} ${last_name},\n\nYour contribution \"${title}\" to ${event} has been "
                         "accepted by the scientific committee. Its contribution code is ${code}.\n\nUpload your "
                         "final poster (PDF) with its title, authors and co-authors here, before ${deadline} "
                         "(${timezone}):\n\n${link}\n\nThis link is personal and works once. Keep it secret.\n",
                         first_name=sub.author_first_name, last_name=sub.author_last_name, title=sub.title,
                         event=event.name, code=sub.code, deadline=deadline, timezone=event.timezone, link=link))
    elif result["outcome"] == "rejected":
        t = functools.partial(translate, request, locale=i18n.mail_locale(request, event=event))
        send_mail(request, to=sub.author_email, subject=t("${event}: decision on your contribution", event=event.name),
                  body=t("Dear ${first_name} ${last_name},\n\nWe regret that your contribution \"${title}\" to "
                         "${event} was not accepted.\n\nReason given by the committee:\n${reason}\n",
                         first_name=sub.author_first_name, last_name=sub.author_last_name, title=sub.title,
                         event=event.name, reason=sub.decision_reason))
    request.response.status = 201
    out = services.serialize_submissions(request, [sub], file_url, viewer_id=ident.user_id)[0]
    out["outcome"] = result["outcome"]
    return out


final_svc = api.service("eposter-final", "/api/eposter/final/{token:[A-Za-z0-9_-]{10,100}}/",
                        "Final poster upload through the secret link of the acceptance mail")


# --------------------------------------------------------------------------- final poster


@final_svc.get(permission=PUBLIC)
def get_final(request):
    limiter = request.rate_limiter
    if limiter is not None:
        limiter.hit(request, "public_submit")
    sub = services.final_lookup(request.dbsession, request.matchdict["token"])
    return {"title": sub.title, "status": sub.status}


@final_svc.post(permission=PUBLIC, schema=api.doc(schemas.FinalSchema))
def post_final(request):
    limiter = request.rate_limiter
    if limiter is not None:
        limiter.hit(request, "public_submit")
    db = request.dbsession
    sub = services.final_lookup(db, request.matchdict["token"], lock=True)
    raw = api.json_body(request)
    for key in ("authors", "co_authors"):  # JSON lists are accepted and joined
        if isinstance(raw.get(key), list):
            raw[key] = services.names_text(raw[key])
    data = api.validate(schemas.FinalSchema(), raw)
    services.check_code(sub, data)  # before storing a file
    path = storage.save_pdf_upload(request, "poster_pdf", "eposters/posters", required=True)
    services.final_submit(db, sub, data, path)
    request.response.status = 201
    return {"title": sub.final_title, "status": "final_submitted",
            "message": "Thank you: your final poster was received."}


gallery_svc = api.service("eposter-gallery", f"/api/eposter/{EV}/gallery/",
                          "Final posters of accepted contributions (members of the event)")


# --------------------------------------------------------------------------- gallery & export


@gallery_svc.get()
def gallery(request):
    ident, event, role = _member_scope(request)
    stmt = services.gallery_query(event.id, search=api.param(request, "q", "search"))
    return api.paginate(request, stmt, lambda rows: services.serialize_gallery(request, rows, file_url))


export_svc = api.service("eposter-export", f"/api/eposter/{EV}/export/", "Excel export of all submissions")


@export_svc.get()
def export(request):
    ident, event, role = _gestionnaire_scope(request)
    rows = services.export_rows(request.dbsession, event.id)
    return xlsx_response(f"eposters-{event.id}.xlsx", [Sheet("Contributions", services.EXPORT_COLUMNS, rows)])
