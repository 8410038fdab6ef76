"""Domain errors: raised by plain domain functions, turned into JSON answers by
one exception view (see :mod:`makeplus_core.api.error_views`). Domain code never
builds HTTP responses itself.

Each class carries its HTTP status and its machine code (the ``error`` of the JSON
body), given as class keywords: ``class Gone(DomainError, status=410, code="gone")``.
Plugins may declare their own the same way (or with ``status``/``code`` attributes).
"""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init_subclass__(cls, status: int | None = None, code: str | None = None, **kwargs):
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(self, message: str, field: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    def as_json(self) -> dict:
        body = {"error": self.code, "message": self.message, "detail": self.message}
        if self.field:
            body["field"] = self.field
            body["errors"] = [{"location": "body", "name": self.field, "description": self.message}]
        body.update(self.extra)
        return body


class Invalid(DomainError, status=400, code="validation_failed"):
    """Input a schema or a domain rule refuses; names the field."""


class NotAuthenticated(DomainError, status=401, code="not_authenticated"):
    """No valid credentials (answered with ``WWW-Authenticate: Bearer``)."""


class PaymentRequired(DomainError, status=402, code="payment_required"):
    """A paid session or item the badge holder has not paid for."""


class Forbidden(DomainError, status=403, code="forbidden"):
    """Authenticated, but not allowed to do this."""


class NotFound(DomainError, status=404, code="not_found"):
    """Unknown, or another event's (which does not exist for the caller)."""


class Conflict(DomainError, status=409, code="conflict"):
    """The current state of the data forbids it (a duplicate, a clash, a used code)."""


class TooLarge(DomainError, status=413, code="too_large"):
    """A body or an upload over its limit."""


class UnsupportedMediaType(DomainError, status=415, code="unsupported_media_type"):
    """A body that is neither JSON nor a form."""


class RateLimited(DomainError, status=429, code="rate_limited"):
    """Too many attempts: ``retry_after`` seconds to wait (answered as ``Retry-After``)."""

    def __init__(self, message: str, retry_after: int, **extra):
        super().__init__(message, **extra)
        self.retry_after = retry_after
