"""One exception tree for the whole package, translated once at the CLI (and later the API) boundary."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boligsocial.common.problems import Report


class BsmError(Exception):
    """Base of every error the package raises on purpose; its message is safe to show a user."""


class ConfigError(BsmError):
    """A settings, mapping, catalogue or key file is missing or wrong."""


class DeliveryInvalid(BsmError):
    """A delivery has problems that make results wrong; carries the full report."""

    def __init__(self, report: Report) -> None:
        self.report = report
        super().__init__(
            f"Leverancen har {report.error_count} fejl og kan ikke indlæses "
            f"(the delivery has {report.error_count} errors and cannot be loaded)"
        )


class DatabaseError(BsmError):
    """The database is missing, from another key, or not a boligsocial database."""


class RequestError(BsmError):
    """A question the data cannot answer; `code` is stable for programs, `detail` helps fix it."""

    status = 400

    def __init__(self, code: str, message: str, detail: dict[str, object] | None = None) -> None:
        self.code = code
        self.detail = detail or {}
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        """Picklable as made (an export process raises it to the server)."""
        return (type(self), (self.code, str(self), self.detail))


class NotFound(RequestError):
    """An unknown layer, area, indicator or model."""

    status = 404


class InvalidParameter(RequestError):
    """A parameter outside what the data allow (e.g. a year out of range)."""

    status = 422


class NotPermitted(RequestError):
    """The viewer may not see this (e.g. a housing association asking about another
    organisation's area in detail)."""

    status = 403
