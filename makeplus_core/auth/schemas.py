"""Colander schemas of the auth endpoints."""
import colander

from .passwords import MIN_LENGTH


def _password(**kw):
    return colander.SchemaNode(colander.String(), validator=colander.Length(min=MIN_LENGTH, max=256), **kw)


class RegisterSchema(colander.MappingSchema):
    email = colander.SchemaNode(colander.String(), validator=colander.All(colander.Email(),
                                                                          colander.Length(max=254)))
    password = _password()
    username = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=150),
                                   missing=colander.drop)
    first_name = colander.SchemaNode(colander.String(), validator=colander.Length(max=150), missing="")
    last_name = colander.SchemaNode(colander.String(), validator=colander.Length(max=150), missing="")
    phone = colander.SchemaNode(colander.String(), validator=colander.Length(max=40), missing=colander.drop)
    organization = colander.SchemaNode(colander.String(), validator=colander.Length(max=200),
                                       missing=colander.drop)


class LoginSchema(colander.MappingSchema):
    email = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=254))
    password = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=256))
    event_id = colander.SchemaNode(colander.String(), missing=colander.drop)


class SelectEventSchema(colander.MappingSchema):
    event_id = colander.SchemaNode(colander.String())


class RefreshSchema(colander.MappingSchema):
    refresh = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=4096))


class LogoutSchema(colander.MappingSchema):
    refresh_token = colander.SchemaNode(colander.String(), missing=colander.drop)
    refresh = colander.SchemaNode(colander.String(), missing=colander.drop)


class ProfileSchema(colander.MappingSchema):
    first_name = colander.SchemaNode(colander.String(), validator=colander.Length(max=150), missing=colander.drop)
    last_name = colander.SchemaNode(colander.String(), validator=colander.Length(max=150), missing=colander.drop)
    username = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=150),
                                   missing=colander.drop)
    phone = colander.SchemaNode(colander.String(), validator=colander.Length(max=40), missing=colander.drop)
    organization = colander.SchemaNode(colander.String(), validator=colander.Length(max=200),
                                       missing=colander.drop)
    job_title = colander.SchemaNode(colander.String(), validator=colander.Length(max=200),
                                    missing=colander.drop)
    profile_photo_url = colander.SchemaNode(colander.String(), validator=colander.url, missing=colander.drop)


class ChangePasswordSchema(colander.MappingSchema):
    old_password = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=256))
    new_password = _password()


class DeleteAccountSchema(colander.MappingSchema):
    password = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=256))


class ResetRequestSchema(colander.MappingSchema):
    email = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=254))


class ResetConfirmSchema(colander.MappingSchema):
    token = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))
    new_password = _password()



class InvitationAcceptSchema(colander.MappingSchema):
    token = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))
    password = _password()


class VerifyEmailSchema(colander.MappingSchema):
    token = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=200))


class ChangeEmailSchema(colander.MappingSchema):
    new_email = colander.SchemaNode(colander.String(), validator=colander.All(colander.Email(),
                                                                              colander.Length(max=254)))
    password = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=256))
