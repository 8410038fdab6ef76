"""Auth REST endpoints (seed "Authentication" + the app's aliases)."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED

from .. import api, errors
from ..db import keep_writes
from ..i18n import mail_locale, translate
from ..mail import send_mail
from ..security import SELECT_EVENT
from . import pages, schemas, serializers, services, throttle, tokens, verification

PUBLIC = NO_PERMISSION_REQUIRED


register = api.service("auth-register", "/api/auth/register/", "Create an account")


@register.post(permission=PUBLIC, schema=api.doc(schemas.RegisterSchema))
def register_view(request):
    api_rate_limit(request, "register")
    data = api.validate(schemas.RegisterSchema(), api.json_body(request))
    user = services.create_user(request.dbsession, **data)

    verification.send_verification(request, user, verification.start(request.dbsession, user))
    request.response.status = 201
    return {**serializers.user_json(user), "qr_code": serializers.qr_code_json(request.dbsession, user)}


def api_rate_limit(request, bucket):
    limiter = request.rate_limiter
    if limiter is not None:
        limiter.hit(request, bucket)


login = api.service("auth-login", "/api/auth/login/", "Log in with e-mail and password")


login_alias = api.service("auth-token", "/api/auth/token/", "Log in (the mobile app's path)")


@login.post(permission=PUBLIC, schema=api.doc(schemas.LoginSchema))
@login_alias.post(permission=PUBLIC, schema=api.doc(schemas.LoginSchema))
def login_view(request):
    api_rate_limit(request, "login")
    data = api.validate(schemas.LoginSchema(), api.json_body(request))
    event_id = services.parse_event_id(data["event_id"]) if data.get("event_id") else None
    throttle.check_attempt(request, data["email"])  # 429 after too many failures on this account
    try:
        result = services.login(request, request.dbsession, data["email"], data["password"], event_id)
    except errors.NotAuthenticated:
        # Same 401 for an unknown e-mail and a wrong password.
        raise errors.NotAuthenticated("No active account found with the given credentials") from None
    throttle.succeeded(request, data["email"])
    # Keep last_login_at and rehashes: the answer is 200 so the transaction commits.
    return result


select_event = api.service("auth-select-event", "/api/auth/select-event/",
                           "Choose the event after a multi-event login (temp token)")


@select_event.post(permission=SELECT_EVENT, schema=api.doc(schemas.SelectEventSchema))
def select_event_view(request):
    ident = api.identity(request)
    data = api.validate(schemas.SelectEventSchema(), api.json_body(request))
    event_id = services.parse_event_id(data["event_id"])
    if ident.kind == "select":  # the temporary token: used up by this call
        return services.select_event(request, request.dbsession, ident.user, event_id,
                                     select_record=ident.session_id)
    return services.select_event(request, request.dbsession, ident.user, event_id,
                                 current_session_id=ident.session_id)


switch_event = api.service("auth-switch-event", "/api/auth/switch-event/", "Switch to another of my events")


@switch_event.post(schema=api.doc(schemas.SelectEventSchema))
def switch_event_view(request):
    return select_event_view(request)


my_events = api.service("auth-my-events", "/api/auth/my-events/", "My events with role and badge")


@my_events.get()
def my_events_view(request):
    ident = api.identity(request)
    events = services.my_events(request, request.dbsession, ident.user)
    return {"count": len(events), "results": events, "events": events,
            "current_event_id": str(ident.event_id) if ident.event_id else None}


profile = api.service("auth-profile", "/api/auth/profile/", "My profile")


me = api.service("auth-me", "/api/auth/me/", "My profile (the app's alias)")


@profile.get()
@me.get()
def profile_view(request):
    ident = api.identity(request)
    data = serializers.profile_json(request, request.dbsession, ident)
    pm = request.plugins
    pm.hook.makeplus_extend_json(kind="user", objects=[ident.user], payloads=[data], request=request)
    return data


@profile.patch(schema=api.doc(schemas.ProfileSchema))
@profile.put(schema=api.doc(schemas.ProfileSchema))
@me.patch(schema=api.doc(schemas.ProfileSchema))
@me.put(schema=api.doc(schemas.ProfileSchema))
def profile_update_view(request):
    ident = api.identity(request)
    raw = api.json_body(request)
    forbidden = {"email", "is_staff", "is_admin", "is_active", "role", "password", "badge_id", "id"} & set(raw)
    if forbidden:
        field = sorted(forbidden)[0]
        raise errors.Invalid(f"{field}: cannot be changed here", field=field)
    data = api.validate(schemas.ProfileSchema(), raw, partial=True)
    services.update_profile(request.dbsession, ident.user, data)
    return profile_view(request)


@profile.delete(schema=api.doc(schemas.DeleteAccountSchema))
@me.delete(schema=api.doc(schemas.DeleteAccountSchema))
def delete_account_view(request):
    ident = api.identity(request)
    data = api.validate(schemas.DeleteAccountSchema(), api.json_body(request))
    services.delete_account(request.dbsession, ident.user, data["password"])
    return api.no_content()


export = api.service("auth-me-export", "/api/auth/me/export/", "Everything held about me, as JSON")


@export.get()
def export_view(request):
    ident = api.identity(request)
    pm = request.plugins
    sections = pm.hook.makeplus_user_export(dbsession=request.dbsession, user=ident.user)
    data = services.export_user_data(request, request.dbsession, ident, sections)
    request.response.headers["Content-Disposition"] = 'attachment; filename="makeplus-my-data.json"'
    return data


change_password = api.service("auth-change-password", "/api/auth/change-password/", "Change my password")


@change_password.post(schema=api.doc(schemas.ChangePasswordSchema))
def change_password_view(request):
    ident = api.identity(request)
    data = api.validate(schemas.ChangePasswordSchema(), api.json_body(request))
    services.change_password(request.dbsession, ident.user, data["old_password"], data["new_password"],
                             keep_session=ident.session_id)
    # Every other session has ended and every issued token is void: this one goes on with new tokens.
    pair = services.reissue_tokens(request, request.dbsession, ident.user, ident.session_id)
    return {"message": "Password changed", **pair}


reset = api.service("auth-password-reset", "/api/auth/password-reset/", "Ask for a password reset e-mail")


@reset.post(permission=PUBLIC, schema=api.doc(schemas.ResetRequestSchema))
def reset_view(request):
    api_rate_limit(request, "password_reset")
    data = api.validate(schemas.ResetRequestSchema(), api.json_body(request))
    found = services.request_password_reset(request.dbsession, data["email"])
    if found is not None:
        user, code = found
        lang = mail_locale(request, own=True)
        send_mail(request, to=user.email, subject=translate(request, "MakePlus: reset your password", lang),
                  body=translate(request, "Hello ${name},\n\nTo choose a new password, use this code within two "
                                          "hours:\n\n${code}\n\nor open ${url}\n\nIf you did not ask for it, "
                                          "ignore this message.", lang,
                                 name=user.full_name, code=code, url=pages.page_url(request, code)))
    return {"message": "If an account exists for this address, a reset e-mail has been sent."}


reset_confirm = api.service("auth-password-reset-confirm", "/api/auth/password-reset/confirm/",
                            "Set a new password with the code from the e-mail")


@reset_confirm.get(permission=PUBLIC)
def reset_confirm_link_view(request):
    """Links of earlier reset e-mails pointed here: send the browser to the reset page."""
    token = request.GET.get("token", "")[:200]
    return HTTPSeeOther(location=pages.page_url(request, token) if token else request.route_url(pages.ROUTE))


@reset_confirm.post(permission=PUBLIC, schema=api.doc(schemas.ResetConfirmSchema))
def reset_confirm_view(request):
    api_rate_limit(request, "password_reset")
    data = api.validate(schemas.ResetConfirmSchema(), api.json_body(request))
    services.confirm_password_reset(request.dbsession, data["token"], data["new_password"])
    return {"message": "Password has been reset. Log in with the new password."}


refresh = api.service("token-refresh", "/api/token/refresh/", "Exchange a refresh token for new tokens")


refresh_alias = api.service("auth-token-refresh", "/api/auth/token/refresh/", "Refresh (the app's path)")


@refresh.post(permission=PUBLIC, schema=api.doc(schemas.RefreshSchema))
@refresh_alias.post(permission=PUBLIC, schema=api.doc(schemas.RefreshSchema))
def refresh_view(request):
    data = api.validate(schemas.RefreshSchema(), api.json_body(request))
    try:
        user, auth_session = tokens.rotate(request.dbsession, request.registry, data["refresh"])
    except errors.NotAuthenticated as exc:
        if exc.extra.get("reuse_detected"):
            keep_writes(request)  # the revocation stands though the answer is 401
            exc.extra.pop("reuse_detected")
        raise
    return tokens.token_pair(request.registry, user, auth_session)


logout = api.service("auth-logout", "/api/auth/logout/", "Log out: revoke the refresh token")


@logout.post(permission=SELECT_EVENT, schema=api.doc(schemas.LogoutSchema))
def logout_view(request):
    """Revoke the caller's session (or temporary token), the session of a given refresh
    token, and the user's unused temporary tokens (logins in progress)."""
    ident = api.identity(request)
    data = api.validate(schemas.LogoutSchema(), api.json_body(request))
    token = data.get("refresh_token") or data.get("refresh")
    if token:
        try:
            claims = tokens.decode_refresh(request.registry, token)
            if int(claims["sub"]) == ident.user_id:
                tokens.revoke_session(request.dbsession, services.parse_event_id(claims["sid"]))
        except (errors.DomainError, ValueError):
            pass  # an invalid refresh token needs no revoking
    tokens.revoke_session(request.dbsession, ident.session_id)
    tokens.revoke_pending_selections(request.dbsession, ident.user_id)
    return {"message": "Logged out"}


def includeme(config):
    config.scan(__name__)
