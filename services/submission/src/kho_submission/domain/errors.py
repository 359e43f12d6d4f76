"""Domain errors: each names its HTTP status and says what went wrong in English (operators) and Vietnamese
(citizens). Entry points turn them into problem+json responses; nothing has changed when one is raised."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail: str, detail_vi: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_vi = detail_vi
        if code:
            self.code = code
        self.extra = extra


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Invalid(DomainError):
    status = 422
    code = "invalid"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unavailable(DomainError):
    status = 503
    code = "dependency_unavailable"
