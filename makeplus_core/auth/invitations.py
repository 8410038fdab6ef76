"""Adding people to an event by e-mail, and account invitations.

The enrolment rule (docs/security.md "Accounts and enrolment"):

* event staff name a person by **e-mail**, never by account id (a raw ``user`` id is for
  platform admins only);
* an unknown address gets a new account with no usable password and an **invitation**:
  a single-use, expiring link (only its hash is stored) to a page where the owner of
  the address sets a password; using it also verifies the address;
* a known address whose owner has **verified** it is enrolled at once (the organiser's
  usual case); the owner is told by mail, and the answer to staff carries only what
  they typed;
* a known address that was **never verified** proves nothing about who holds the
  account: the account is reclaimed for the address (its password is made unusable,
  its sessions ended) and an invitation goes to the address, so only the address's
  real owner can use the enrolment.

Nothing here ever writes an existing account's names, e-mail, phone or badge.
"""
from __future__ import annotations

import datetime as dt
import functools
import html
import secrets
from urllib.parse import urlencode

import sqlalchemy as sa
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from .. import api, errors
from ..db import utcnow
from ..i18n import LANGUAGE_NAMES, available, mail_locale, translate, translate_message
from ..mail import send_mail
from . import account_tokens, badges, passwords, schemas, tokens
from . import services as auth_services
from .models import User

INVITATION_TTL = dt.timedelta(days=7)
PAGE_PATH = "/account/invitation/"


def enrol_by_email(db, email: str, profile: dict | None = None, *, event=None, invited_by_id=None):
    """The account for ``email`` that an event may enrol, as ``(user, invitation code or None,
    created)``. ``profile`` (first_name, last_name) is used only to create a new account.
    """
    email = auth_services.normalize_email(email)
    user = db.scalar(sa.select(User).where(User.email == email).with_for_update())
    if user is None:
        names = {k: v for k, v in (profile or {}).items() if k in ("first_name", "last_name") and v}
        try:
            user = auth_services.create_user(db, email=email, password=None, **names)
        except sa.exc.IntegrityError:  # the same address enrolled by a concurrent request (PostgreSQL)
            raise errors.Conflict("email: this address is being added by another request; try again",
                                  field="email") from None
        created = True
    elif user.email_verified_at is not None:
        return user, None, False
    else:
        reclaim(db, user)
        created = False
    code = account_tokens.issue(db, user, account_tokens.INVITATION, user.email, INVITATION_TTL,
                                event_id=event.id if event is not None else None, created_by_id=invited_by_id)
    return user, code, created


def enrol_many(db, people: list, *, event=None, invited_by_id=None) -> list:
    """:func:`enrol_by_email` for many addresses at once, with the same rules, in a fixed
    number of statements per call (the bulk import calls it with 500 people at a time).

    ``people`` is a list of ``(email, profile)``; the answer is a list of ``(user,
    invitation code or None, created)`` in the same order. New accounts are inserted
    together (their badges in one more statement), invitations of new and reclaimed
    accounts together; an unverified known account is reclaimed as in the one-by-one path.
    Addresses must be distinct. The ORM writes them, so the audit trail records each row
    (its rows are inserted in one statement per flush).
    """
    emails = [auth_services.normalize_email(email) for email, _ in people]
    if len(set(emails)) != len(emails):
        raise ValueError("enrol_many: the addresses must be distinct")
    if not emails:
        return []
    existing = {u.email: u for u in db.scalars(sa.select(User).where(User.email.in_(emails)).with_for_update())}
    wanted = {}
    for email, (_, profile) in zip(emails, people, strict=True):
        if email not in existing:
            base = email.split("@")[0].strip()
            names = {k: v for k, v in (profile or {}).items() if k in ("first_name", "last_name") and v}
            wanted[email] = (base, names)
    taken = set(db.scalars(sa.select(User.username).where(
        User.username.in_({base for base, _ in wanted.values()})))) if wanted else set()
    new_users = {}
    ids = _new_user_ids(db, len(wanted))
    now = utcnow()
    for (email, (base, names)), user_id in zip(wanted.items(), ids, strict=True):
        username = base
        while username in taken:
            username = f"{base}-{secrets.token_hex(3)}"
        taken.add(username)
        # The id is known before the INSERT, so the badge (it embeds the id) is written with the row.
        new_users[email] = User(id=user_id, email=email, username=username, first_name=names.get("first_name", ""),
                                last_name=names.get("last_name", ""), password_hash=passwords.UNUSABLE,
                                is_admin=False, email_verified_at=None, badge_id=badges.new_badge_id(user_id),
                                badge_issued_at=now, is_active=True, token_version=1, created_at=now,
                                updated_at=now)
    if new_users:
        db.add_all(new_users.values())
        try:
            db.flush()  # one multi-row INSERT (ids given: nothing to read back)
        except sa.exc.IntegrityError:  # an address added by a concurrent request (PostgreSQL)
            raise errors.Conflict("email: one of these addresses is being added by another request; try again",
                                  field="email") from None
    invite = []
    out = []
    for email in emails:
        user = existing.get(email)
        if user is None:
            user = new_users[email]
            invite.append(user)
            out.append([user, None, True])
        elif user.email_verified_at is not None:
            out.append([user, None, False])
        else:
            reclaim(db, user)
            invite.append(user)
            out.append([user, None, False])
    codes = account_tokens.issue_many(db, invite, account_tokens.INVITATION, INVITATION_TTL,
                                      event_id=event.id if event is not None else None,
                                      created_by_id=invited_by_id)
    for row in out:
        row[1] = codes.get(row[0].id)
    return [tuple(row) for row in out]


def _new_user_ids(db, n: int) -> list[int]:
    """``n`` fresh ids for new accounts: drawn from the sequence on PostgreSQL (never reused,
    safe under concurrency); on SQLite the writing request holds the database's write lock
    (``BEGIN IMMEDIATE``), so the ids after the largest one are free."""
    if n <= 0:
        return []
    if db.bind.dialect.name == "postgresql":
        seq = sa.func.pg_get_serial_sequence(User.__tablename__, "id")
        return list(db.scalars(sa.select(sa.func.nextval(seq)).select_from(sa.func.generate_series(1, n))))
    top = db.scalar(sa.select(sa.func.max(User.id))) or 0
    return list(range(top + 1, top + 1 + n))


def reclaim(db, user) -> None:
    """An unverified account named by an organiser: nobody has proved they own the address,
    so whoever set its password loses it (and every session); the invitation decides."""
    user.password_hash = passwords.UNUSABLE
    user.token_version += 1
    tokens.revoke_all(db, user.id)
    db.flush()


def accept(db, code: str, password: str) -> User:
    """Set the password of an invited account; the address is verified by the link."""
    row = account_tokens.consume(db, code, account_tokens.INVITATION)
    user = db.get(User, row.user_id)
    if user is None or user.email != row.email or not user.is_active:
        raise errors.Invalid("token: this link is invalid, already used or expired", field="token")
    auth_services.set_password(db, user, password)
    user.email_verified_at = user.email_verified_at or utcnow()
    db.flush()
    return user


# --------------------------------------------------------------------------- mails


def _base(request) -> str:
    return (request.registry.settings.get("makeplus.public_url") or request.application_url).rstrip("/")


def send_invitation(request, user, code: str, event=None, inviter=None) -> None:
    lang = mail_locale(request, event=event)  # the event's language, else the default (French)
    t = functools.partial(translate, request, locale=lang)
    if event is not None:
        subject = t("MakePlus: you are invited to ${event}", event=event.name)
        who = (t("${name} invited you to ${event}", name=inviter.full_name, event=event.name) if inviter is not None
               else t("You are invited to ${event}", event=event.name))
    else:
        subject = t("MakePlus: you are invited")
        who = t("${name} invited you", name=inviter.full_name) if inviter is not None else t("You are invited")
    send_mail(request, to=user.email, subject=subject,
              body=t("Hello,\n\n${who} on MakePlus.\n\nTo choose your password and open your account, follow "
                     "this link within ${days} days (it works once):\n\n${url}\n\nIf you do not expect this, "
                     "ignore this message: nothing happens without the link.",
                     who=who, days=INVITATION_TTL.days, url=f"{_base(request)}{PAGE_PATH}?token={code}"))


def send_enrolment_notice(request, user, event, inviter=None) -> None:
    t = functools.partial(translate, request, locale=mail_locale(request, event=event))
    who = inviter.full_name if inviter is not None else t("An organiser")
    send_mail(request, to=user.email, subject=t("MakePlus: you were added to ${event}", event=event.name),
              body=t("Hello ${name},\n\n${who} added you to ${event} on MakePlus. It appears in your events when "
                     "you log in.\n\nIf this is a mistake, tell the organiser.",
                     name=user.full_name, who=who, event=event.name))


def enrol_and_notify(request, email: str, profile: dict | None, event) -> tuple:
    """``enrol_by_email`` plus its mail (after commit): an invitation or an enrolment notice.

    Returns ``(user, invitation_sent, created)``."""
    ident = api.identity(request)
    db = request.dbsession
    user, code, created = enrol_by_email(db, email, profile, event=event, invited_by_id=ident.user_id)
    if code is not None:
        send_invitation(request, user, code, event, ident.user)
    else:
        send_enrolment_notice(request, user, event, ident.user)
    return user, code is not None, created


def enrol_many_and_notify(request, people: list, event) -> list:
    """:func:`enrol_many` plus each person's mail (an invitation or an enrolment notice),
    queued to be sent after the request's transaction commits. Returns ``(user, invitation_sent,
    created)`` per person."""
    ident = api.identity(request)
    inviter = ident.user
    out = []
    for user, code, created in enrol_many(request.dbsession, people, event=event, invited_by_id=ident.user_id):
        if code is not None:
            send_invitation(request, user, code, event, inviter)
        else:
            send_enrolment_notice(request, user, event, inviter)
        out.append((user, code is not None, created))
    return out


# --------------------------------------------------------------------------- REST + page

accept_service = api.service("auth-invitation-accept", "/api/auth/invitation/accept/",
                             "Accept an account invitation: set the password with the code from the e-mail")


def limit_codes(request) -> None:
    """Codes from mails are guessed nowhere: the ``password_reset`` rate-limit bucket."""
    limiter = request.rate_limiter
    if limiter is not None:
        limiter.hit(request, "password_reset")


@accept_service.post(permission=NO_PERMISSION_REQUIRED, schema=api.doc(schemas.InvitationAcceptSchema))
def accept_view(request):
    limit_codes(request)
    data = api.validate(schemas.InvitationAcceptSchema(), api.json_body(request))
    user = accept(request.dbsession, data["token"], data["password"])
    return {"message": "Your password is set. Log in with your e-mail and this password.", "email": user.email}


def _page(request, title: str, body: str, status: int = 200) -> Response:
    """A small page reached from a mailed link, in the request's language, with the switch."""
    lang = request.localizer.locale_name
    switch = " · ".join(
        f"<a href='?{html.escape(urlencode({**request.GET, 'lang': code}), quote=True)}' hreflang={code} lang={code}>"
        f"{LANGUAGE_NAMES.get(code, code)}</a>" for code in available(request.registry) if code != lang)
    doc = (f"<!doctype html><html lang={lang}><head><meta charset=utf-8><title>{html.escape(title)}</title>"
           "<meta name=viewport content='width=device-width, initial-scale=1'></head>"
           f"<body style='font-family:sans-serif;max-width:30em;margin:3em auto'>"
           f"<nav class=langs>{switch}</nav><h1>{html.escape(title)}</h1>"
           f"{body}</body></html>")
    resp = Response(doc, status=status, content_type="text/html", charset="utf-8")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the code is in the URL
    return resp


def _form(request, code: str, error: str = "") -> str:
    err = f"<p role=alert style='color:#b00'>{html.escape(error)}</p>" if error else ""
    label = translate(request, "New password (at least ${num} characters)", num=passwords.MIN_LENGTH)
    return (f"{err}<form method=post action='{PAGE_PATH}'>"
            f"<input type=hidden name=token value='{html.escape(code, quote=True)}'>"
            f"<p><label>{html.escape(label)}<br>"
            "<input type=password name=password autocomplete=new-password required></label></p>"
            f"<p><button type=submit>{html.escape(translate(request, 'Set my password'))}</button></p></form>")


def page_get(request):
    code = request.GET.get("token", "")
    row = account_tokens.find_valid(request.dbsession, code, account_tokens.INVITATION)
    if row is None:
        return _page(request, translate(request, "Invitation"), "<p>" + html.escape(translate(
            request, "This link is invalid, already used or expired. Ask the organiser for a new invitation, "
                     "or use “forgot password” in the app.")) + "</p>", status=400)
    return _page(request, translate(request, "Choose your password"),
                 "<p>" + html.escape(translate(request, "Account: ${email}", email=row.email)) + "</p>"
                 + _form(request, code))


def page_post(request):
    code = request.POST.get("token", "")
    try:
        data = api.validate(schemas.InvitationAcceptSchema(),
                            {"token": code, "password": request.POST.get("password", "")})
        user = accept(request.dbsession, data["token"], data["password"])
    except errors.DomainError as exc:
        message = translate_message(request, exc.message)
        if exc.field == "password":
            return _page(request, translate(request, "Choose your password"), _form(request, code, message),
                         status=400)
        return _page(request, translate(request, "Invitation"), f"<p>{html.escape(message)}</p>", status=exc.status)
    return _page(request, translate(request, "Password set"), "<p>" + html.escape(translate(
        request, "Your password is set. Log in to the app as ${email}.", email=user.email)) + "</p>")


def add_page(config, name: str, path: str, get_view, post_view) -> None:
    """A public page reached from a mailed link: GET shows a form, POST uses the code."""
    config.add_route(name, path)
    for method, view in (("GET", get_view), ("POST", post_view)):
        config.add_view(view, route_name=name, request_method=method, permission=NO_PERMISSION_REQUIRED)


def includeme(config):
    add_page(config, "account.invitation", PAGE_PATH, page_get, page_post)
    config.scan(__name__)
