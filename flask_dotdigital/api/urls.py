"""Validation of the URLs the server is allowed to call.

Both the API endpoint that discovery returns and an admin's Custom OAuth Domain end up as hosts our
server talks to, so both pass through :func:`checked_url`: https only, except plain http for loopback
hosts when the host app allows it (that is how the sandbox is reached). This keeps a typo or a hostile
value from turning the integration into a proxy to arbitrary hosts. The host app refuses
``DOTDIGITAL_ALLOW_INSECURE_HOSTS`` in production mode (:func:`flask_dotdigital.config.production_mode`).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ..errors import InsecureEndpoint


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_url(url: str, *, allow_insecure_hosts: bool = False, what: str = "URL") -> str:
    """Return ``url`` if the server may call it, else raise :class:`InsecureEndpoint`."""
    url = url.strip()
    # urlsplit silently drops tabs and newlines, and requests parses with urllib3: a URL with any
    # whitespace or control character could be checked as one host and called as another.
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        raise InsecureEndpoint(f"The {what} must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as err:
        raise InsecureEndpoint(f"The {what} is not a valid URL.") from err
    if not host or parts.username or parts.password:
        raise InsecureEndpoint(f"The {what} must be an absolute URL with a host and no user info.")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and is_loopback(host):
        if allow_insecure_hosts:
            return url
        raise InsecureEndpoint(
            f"The {what} uses plain http; that is allowed only for loopback hosts when "
            "DOTDIGITAL_ALLOW_INSECURE_HOSTS is set."
        )
    raise InsecureEndpoint(f"The {what} must start with https://.")


def normalise_domain(url: str, *, allow_insecure_hosts: bool = False) -> str:
    """A web-app domain, checked and ending with exactly one ``/`` (OAuth paths are appended)."""
    checked = checked_url(url, allow_insecure_hosts=allow_insecure_hosts, what="custom OAuth domain")
    return checked.rstrip("/") + "/"
