"""One exception hierarchy for the whole library.

Every message is in French for the user; attributes keep the precise
context (file, line, column, value) for the developer and for reports.
"""

from __future__ import annotations


class MatcherError(Exception):
    """Base class of every error raised on purpose by matcher."""


class GeoError(MatcherError, ValueError):
    """A geographic value cannot be used (outside any territory, bad CRS...)."""


class OutOfAreaError(GeoError):
    """A coordinate lies outside the area of use of the chosen CRS or of France."""

    def __init__(self, message: str, *, lon: float | None = None, lat: float | None = None):
        super().__init__(message)
        self.lon = lon
        self.lat = lat


class UnknownTerritoryError(MatcherError, KeyError):
    """An INSEE code, a name or a département is not in the reference."""

    def __init__(self, message: str, *, value: object = None):
        super().__init__(message)
        self.value = value

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class AmbiguousTerritoryError(UnknownTerritoryError):
    """An old INSEE code now covers several communes (a split): the point or the user decides."""

    def __init__(self, message: str, *, value: object = None, candidates: tuple[str, ...] = ()):
        super().__init__(message, value=value)
        self.candidates = candidates


class InvalidCodeError(MatcherError, ValueError):
    """A code is malformed (INSEE, département, SIREN...)."""

    def __init__(self, message: str, *, value: object = None):
        super().__init__(message)
        self.value = value


class ValidationError(MatcherError, ValueError):
    """User input is not valid (weights, project needs, form values)."""

    def __init__(self, message: str, *, field: str | None = None, value: object = None):
        super().__init__(message)
        self.field = field
        self.value = value


class FormErrors(ValidationError):
    """Several values of one form are not valid: ``errors`` maps each field to its message.

    >>> exc = FormErrors({"floor_area_m2": "Surface : hors bornes.", "kind": "Type : obligatoire."})
    >>> exc.field, str(exc)
    ('floor_area_m2', 'Surface : hors bornes. Type : obligatoire.')
    """

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        first = next(iter(self.errors), None)
        super().__init__(" ".join(self.errors.values()), field=first)


class ImportFileError(MatcherError):
    """A whole file cannot be read (empty, binary, too large, bad encoding)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
    ):
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column
        self.value = value


class PermissionDenied(MatcherError, PermissionError):
    """The acting user may not do this."""


class NotFound(MatcherError, LookupError):
    """The object does not exist (or is not visible to the acting user)."""


class ConcurrentModification(MatcherError):
    """Optimistic locking: the row was modified in between (version mismatch)."""


class AuthenticationError(MatcherError):
    """Wrong credentials, or too many attempts."""
