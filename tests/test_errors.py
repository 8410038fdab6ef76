"""The domain errors: each class's status and code (the ``error`` of the JSON body), as the
client contract and the error views rely on them, now that they are declared as class keywords."""
import pytest

from makeplus_core import errors

TABLE = [
    (errors.DomainError, 400, "bad_request"),
    (errors.Invalid, 400, "validation_failed"),
    (errors.NotAuthenticated, 401, "not_authenticated"),
    (errors.PaymentRequired, 402, "payment_required"),
    (errors.Forbidden, 403, "forbidden"),
    (errors.NotFound, 404, "not_found"),
    (errors.Conflict, 409, "conflict"),
    (errors.TooLarge, 413, "too_large"),
    (errors.UnsupportedMediaType, 415, "unsupported_media_type"),
    (errors.RateLimited, 429, "rate_limited"),
]


@pytest.mark.parametrize(("cls", "status", "code"), TABLE)
def test_status_and_code(cls, status, code):
    assert (cls.status, cls.code) == (status, code)
    assert issubclass(cls, errors.DomainError)


def test_the_json_shape_names_the_field():
    exc = errors.NotFound("Room not found", field="id")
    assert exc.as_json() == {"error": "not_found", "message": "Room not found", "detail": "Room not found",
                             "field": "id",
                             "errors": [{"location": "body", "name": "id", "description": "Room not found"}]}
    assert errors.Conflict("Taken", code_hint="x").as_json() == {
        "error": "conflict", "message": "Taken", "detail": "Taken", "code_hint": "x"}


def test_rate_limited_carries_retry_after():
    exc = errors.RateLimited("Slow down", retry_after=30)
    assert exc.retry_after == 30 and exc.status == 429


def test_subclasses_inherit_or_declare_status_and_code():
    class Gone(errors.DomainError, status=410, code="gone"):
        pass

    class ModuleOff(errors.NotFound):  # inherits 404 / not_found
        pass

    class Legacy(errors.DomainError):  # the attribute form plugins use
        status = 503
        code = "unavailable"

    assert (Gone.status, Gone.code) == (410, "gone")
    assert (ModuleOff.status, ModuleOff.code) == (404, "not_found")
    assert (Legacy.status, Legacy.code) == (503, "unavailable")
    assert (errors.DomainError.status, errors.DomainError.code) == (400, "bad_request")
