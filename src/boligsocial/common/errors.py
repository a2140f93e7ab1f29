"""One exception tree for the whole package, translated once at the CLI (and later the API) boundary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from boligsocial.common.words import language, words

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
        da, en = (words(lang)("system.delivery_invalid", errors=report.error_count) for lang in ("da", "en"))
        super().__init__(f"{da} ({en})")


class DatabaseError(BsmError):
    """The database is missing, from another key, or not a boligsocial database."""


class RequestError(BsmError):
    """A question the data cannot answer; `code` is stable for programs, `detail` helps fix it.

    The message a user reads is the catalogue's `error.<code>` in the user's language, filled
    with `params` (`words_of`); `message` is the English text for logs and programs."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        detail: dict[str, object] | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        self.code = code
        self.detail = detail or {}
        self.params = params or {}
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        """Picklable as made (an export process raises it to the server)."""
        return (type(self), (self.code, str(self), self.detail, self.params))

    def words_of(self, lang: str) -> str:
        """The message in `lang` from the catalogues (errors.po); the English text where the
        catalogue has no message for the code."""
        say = words(language(lang))
        key = f"error.{self.code}"
        if not say.has(key):
            return str(self)
        try:
            return say(key, **self.params)
        except (KeyError, IndexError):  # a message naming a parameter this raise did not give
            return str(self)


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
