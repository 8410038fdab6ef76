"""Colander schemas of the auth endpoints, and the e-mail node every enrolment form shares."""
import colander

from .passwords import MIN_LENGTH


def text(max_len: int, min_len: int | None = None, **kw) -> colander.SchemaNode:
    """A string of at most ``max_len`` characters (and at least ``min_len``)."""
    return colander.SchemaNode(colander.String(), validator=colander.Length(min=min_len, max=max_len), **kw)


def email(**kw) -> colander.SchemaNode:
    """A well-formed e-mail address (254 characters at most)."""
    return colander.SchemaNode(colander.String(), validator=colander.All(colander.Email(), colander.Length(max=254)),
                               **kw)


def _password(**kw):
    """A new password (the policy's minimum length)."""
    return text(256, MIN_LENGTH, **kw)


def _current_password():
    """The account's current password, to confirm a change (any non-empty text)."""
    return text(256, 1)


def _token():
    """A single-use code from an e-mail link."""
    return text(200, 1)


class RegisterSchema(colander.MappingSchema):
    email = email()
    password = _password()
    username = text(150, 1, missing=colander.drop)
    first_name = text(150, missing="")
    last_name = text(150, missing="")
    phone = text(40, missing=colander.drop)
    organization = text(200, missing=colander.drop)


class LoginSchema(colander.MappingSchema):
    email = text(254, 1)
    password = _current_password()
    event_id = colander.SchemaNode(colander.String(), missing=colander.drop)


class SelectEventSchema(colander.MappingSchema):
    event_id = colander.SchemaNode(colander.String())


class RefreshSchema(colander.MappingSchema):
    refresh = text(4096, 1)


class LogoutSchema(colander.MappingSchema):
    refresh_token = colander.SchemaNode(colander.String(), missing=colander.drop)
    refresh = colander.SchemaNode(colander.String(), missing=colander.drop)


class ProfileSchema(colander.MappingSchema):
    first_name = text(150, missing=colander.drop)
    last_name = text(150, missing=colander.drop)
    username = text(150, 1, missing=colander.drop)
    phone = text(40, missing=colander.drop)
    organization = text(200, missing=colander.drop)
    job_title = text(200, missing=colander.drop)
    profile_photo_url = colander.SchemaNode(colander.String(), validator=colander.url, missing=colander.drop)


# duplicates: deliberate — one small colander schema per endpoint body; alike in shape, each its own fields.
class ChangePasswordSchema(colander.MappingSchema):
    old_password = _current_password()
    new_password = _password()


class DeleteAccountSchema(colander.MappingSchema):
    password = _current_password()


class ResetRequestSchema(colander.MappingSchema):
    email = text(254, 1)


class ResetConfirmSchema(colander.MappingSchema):
    token = _token()
    new_password = _password()


class InvitationAcceptSchema(colander.MappingSchema):
    token = _token()
    password = _password()


class VerifyEmailSchema(colander.MappingSchema):
    token = _token()


class ChangeEmailSchema(colander.MappingSchema):
    new_email = email()
    password = _current_password()
