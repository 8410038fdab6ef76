"""E-mail verification: registering with an address proves nothing until its owner
uses the single-use link mailed to it.

* ``POST /api/auth/register/`` mails a verification link (the account works at once,
  but ``email_verified`` stays false);
* ``POST /api/auth/verify-email/`` ``{token}`` (or the page ``/account/verify-email/``,
  whose GET shows a button, so mail scanners that follow links change nothing) uses it;
* ``POST /api/auth/verify-email/resend/`` mails a new link to the caller's address;
* ``POST /api/auth/change-email/`` ``{new_email, password}``: the user's own e-mail
  change. The account's address changes only when the link sent to the **new** address
  is used; the old address is told.

Data linked to an address (e-poster submissions, invitations) is attached to an
account only while ``User.email_verified_at`` is set.
"""
from __future__ import annotations

import datetime as dt
import html

import sqlalchemy as sa
from pyramid.security import NO_PERMISSION_REQUIRED

from .. import api, errors
from ..db import utcnow
from ..i18n import mail_locale, translate, translate_message
from ..mail import send_mail
from . import account_tokens, passwords, schemas
from .invitations import _base, _page, add_page, limit_codes
from .models import User
from .services import normalize_email

VERIFY_TTL = dt.timedelta(days=2)
PAGE_PATH = "/account/verify-email/"


def is_verified(user) -> bool:
    return user is not None and user.email_verified_at is not None


def start(db, user, email: str | None = None) -> str:
    """A verification code for ``email`` (default: the account's current address)."""
    return account_tokens.issue(db, user, account_tokens.VERIFY_EMAIL, email or user.email, VERIFY_TTL)


def confirm(db, code: str) -> tuple[User, str | None]:
    """Use a verification code: the address it was sent to becomes the account's, verified.

    Returns ``(user, previous address if it changed)``."""
    row = account_tokens.consume(db, code, account_tokens.VERIFY_EMAIL)
    user = db.scalar(sa.select(User).where(User.id == row.user_id).with_for_update())
    if user is None:
        raise errors.Invalid("token: this link is invalid, already used or expired", field="token")
    previous = None
    if row.email != user.email:
        if db.scalar(sa.select(User.id).where(User.email == row.email, User.id != user.id)) is not None:
            raise errors.Conflict("email: another account uses this address now", field="email")
        previous, user.email = user.email, row.email
    user.email_verified_at = utcnow()
    db.flush()
    return user, previous


def request_change(db, user, new_email: str, password: str) -> str:
    """The owner asks to move their account to ``new_email`` (password required)."""
    if not passwords.verify_password(user.password_hash, password):
        raise errors.Invalid("password: the password is wrong", field="password")
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise errors.Invalid("new_email: this is already your address", field="new_email")
    if db.scalar(sa.select(User.id).where(User.email == new_email)) is not None:
        raise errors.Conflict("new_email: another account uses this address", field="new_email")
    return start(db, user, new_email)


def send_verification(request, user, code: str, email: str | None = None) -> None:
    to = email or user.email
    lang = mail_locale(request, own=True)
    send_mail(request, to=to, subject=translate(request, "MakePlus: confirm your e-mail address", lang),
              body=translate(request, "Hello ${name},\n\nTo confirm that ${email} is your address on MakePlus, "
                                      "open this link within ${days} days (it works once):\n\n${url}\n\n"
                                      "or enter this code in the app: ${code}\n\n"
                                      "If you did not ask for it, ignore this message.", lang,
                             name=user.full_name, email=to, days=VERIFY_TTL.days, code=code,
                             url=f"{_base(request)}{PAGE_PATH}?token={code}"))


def send_changed_notice(request, user, previous: str) -> None:
    lang = mail_locale(request, own=True)
    send_mail(request, to=previous, subject=translate(request, "MakePlus: your e-mail address was changed", lang),
              body=translate(request, "Hello ${name},\n\nThe address of your MakePlus account is now ${email}. "
                                      "If you did not do this, contact the platform's administrators.", lang,
                             name=user.full_name, email=user.email))


# --------------------------------------------------------------------------- REST


verify = api.service("auth-verify-email", "/api/auth/verify-email/",
                     "Confirm an e-mail address with the code from the verification mail")
resend = api.service("auth-verify-email-resend", "/api/auth/verify-email/resend/",
                     "Mail a new verification link to my address")
change_email = api.service("auth-change-email", "/api/auth/change-email/",
                           "Change my e-mail address (applied when the link sent to the new one is used)")


def _confirm_and_notify(request, code):
    user, previous = confirm(request.dbsession, code)
    if previous:
        send_changed_notice(request, user, previous)
    return user


@verify.post(permission=NO_PERMISSION_REQUIRED, schema=api.doc(schemas.VerifyEmailSchema))
def verify_view(request):
    limit_codes(request)
    data = api.validate(schemas.VerifyEmailSchema(), api.json_body(request))
    user = _confirm_and_notify(request, data["token"])
    return {"message": "Your e-mail address is confirmed.", "email": user.email, "email_verified": True}


@resend.post()
def resend_view(request):
    limit_codes(request)
    user = api.identity(request).user
    if is_verified(user):
        return {"message": "Your e-mail address is already confirmed.", "email_verified": True}
    send_verification(request, user, start(request.dbsession, user))
    return {"message": f"A confirmation link was sent to {user.email}.", "email_verified": False}


@change_email.post(schema=api.doc(schemas.ChangeEmailSchema))
def change_email_view(request):
    limit_codes(request)
    user = api.identity(request).user
    data = api.validate(schemas.ChangeEmailSchema(), api.json_body(request))
    code = request_change(request.dbsession, user, data["new_email"], data["password"])

    new = normalize_email(data["new_email"])
    send_verification(request, user, code, new)
    request.response.status = 202
    return {"message": f"A confirmation link was sent to {new}; your address changes when it is used.",
            "email": user.email, "pending_email": new}


# --------------------------------------------------------------------------- page


def page_get(request):
    code = request.GET.get("token", "")
    row = account_tokens.find_valid(request.dbsession, code, account_tokens.VERIFY_EMAIL)
    if row is None:
        return _page(request, translate(request, "Confirm your address"),
                     "<p>" + html.escape(translate(request, "This link is invalid, already used or expired. "
                                                            "Ask for a new one in the app.")) + "</p>", status=400)
    return _page(request, translate(request, "Confirm your address"),
                 f"<form method=post action='{PAGE_PATH}'><p>"
                 + html.escape(translate(request, "Address: ${email}", email=row.email)) + "</p>"
                 f"<input type=hidden name=token value='{html.escape(code, quote=True)}'>"
                 "<p><button type=submit>" + html.escape(translate(request, "Confirm this address"))
                 + "</button></p></form>")


def page_post(request):
    try:
        user = _confirm_and_notify(request, request.POST.get("token", ""))
    except errors.DomainError as exc:
        return _page(request, translate(request, "Confirm your address"),
                     f"<p>{html.escape(translate_message(request, exc.message))}</p>", status=exc.status)
    return _page(request, translate(request, "Address confirmed"),
                 "<p>" + html.escape(translate(request, "${email} is confirmed. You can close this page.",
                                               email=user.email)) + "</p>")


def includeme(config):
    add_page(config, "account.verify_email", PAGE_PATH, page_get, page_post)
    config.scan(__name__)
