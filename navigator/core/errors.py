"""Typed domain errors. The API maps each to an HTTP status in one place (api/errors.py)."""

from __future__ import annotations


class NavigatorError(ValueError):
    """Something a caller asked for that the map cannot give; `field` names the input at fault."""

    def __init__(self, message: str, *, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc

    @property
    def field(self) -> str | None:
        return str(self.loc[0]) if self.loc else None


class InvalidPostcode(NavigatorError):
    pass


class UnknownNeed(NavigatorError):
    pass


class UnknownService(NavigatorError):
    pass


class NotFound(NavigatorError):
    pass


class InvalidEdit(NavigatorError):
    """An edit that refers to something the map does not hold, or breaks a rule of the map."""


class AlreadyExists(NavigatorError):
    pass


class PreconditionRequired(NavigatorError):
    """An edit sent without the ETag of what it changes (If-Match)."""


class PreconditionFailed(NavigatorError):
    """An edit based on a version that is no longer current: someone else changed it first."""


class UnknownArea(InvalidEdit):
    pass


class UnknownGpList(InvalidEdit):
    pass


class UnsupportedParameter(NavigatorError):
    """A query parameter a feed cannot honour as its standard defines it: 400, naming it, rather
    than silently answering with everything."""
