"""Domain errors: what a service refuses, with a stable code.

Views turn them into form errors, the API's exception handler into a 4xx with the same
`code`, so every caller reports a refusal the same way.
"""


class DomainError(Exception):
    code = "invalid"
    status = 400
    details: dict = {}  # noqa: RUF012 - read only: what the API adds to the error body

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotAllowed(DomainError):
    code = "not_allowed"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class NotFound(DomainError):
    """For the API: an id this caller cannot see (another merchant's answers the same)."""

    code = "not_found"
    status = 404
