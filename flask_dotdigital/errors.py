"""Exceptions raised by flask-dotdigital.

Everything derives from :class:`DotDigitalError`, so a host app can catch the whole family at once.
API failures carry the HTTP status, the Dotdigital ``ERROR_*`` code (parsed out of the ``message``
text, see dotdigital-api.md §3.0) and the message itself. None of them ever carries a password,
client secret or token: the client builds messages from the response body and the request path only.
"""

from __future__ import annotations


class DotDigitalError(Exception):
    """Base class of every error this package raises."""


class ConfigError(DotDigitalError):
    """The extension or an integration is configured in a way that cannot work."""


class ApiError(DotDigitalError):
    """Dotdigital answered with an error (or with no usable answer at all)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, {self.message!r})"


class AuthError(ApiError):
    """401: the API user name or password is wrong (§1.4)."""


class NotFound(ApiError):
    """404: the address book, contact, campaign or import does not exist."""


class WrongRegion(ApiError):
    """403 from a host that is not the account's region (§1.2), or a missing account permission."""


class RateLimited(ApiError):
    """429 (tiered scheme) or ERROR_APIUSAGE_EXCEEDED (flat scheme, §2.1).

    ``retry_at`` is the UTC epoch second after which a retry may succeed, when Dotdigital said so.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 retry_at: float | None = None) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_at = retry_at


class ApiUsageExceeded(RateLimited):
    """The flat, hourly cut-off (HTTP 400 + ERROR_APIUSAGE_EXCEEDED): back off until the hour rolls."""


class TransportError(ApiError):
    """No HTTP answer: connection refused or dropped, TLS failure, or a timeout."""


class InsecureEndpoint(ConfigError):
    """A URL that is not https (plain http is allowed only for loopback hosts, and only on request)."""
