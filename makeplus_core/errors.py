"""Domain errors: raised by plain domain functions, turned into JSON answers by
one exception view (see :mod:`makeplus_core.api`). Domain code never builds HTTP
responses itself."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

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


class Invalid(DomainError):
    status = 400
    code = "validation_failed"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class PaymentRequired(DomainError):
    status = 402
    code = "payment_required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int, **extra):
        super().__init__(message, **extra)
        self.retry_after = retry_after
