"""The web-app host's OAuth side of the sandbox (reference §5): issued codes, live tokens and
counters, kept in ``SandboxState.oauth`` under the state's lock. ``/__state`` shows only the
counters and the host each OAuth endpoint was reached on (so a test can tell a custom domain from
the default one), never a code or a token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OAuthCode:
    """An authorisation code: single use, for the client and redirect_uri it was issued to (§5)."""

    client_id: str
    redirect_uri: str
    expires: float


def _no_grants() -> dict[str, int]:
    return {"authorization_code": 0, "refresh_token": 0}


@dataclass
class OAuthLedger:
    """Everything the OAuth endpoints issued and counted since the last reset."""

    codes: dict[str, OAuthCode] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)
    #: access token → expiry (epoch seconds)
    access_tokens: dict[str, float] = field(default_factory=dict)
    authorise_calls: int = 0
    #: every POST to Tokens.ashx, refused ones included
    token_requests: int = 0
    #: tokens issued, by grant type
    grants: dict[str, int] = field(default_factory=_no_grants)
    signed_in_pages: int = 0
    #: (endpoint, Host header) of every OAuth request, in order
    hosts: list[tuple[str, str]] = field(default_factory=list)
    #: what the next authorise answers instead of a code: (error, error_description)
    error_next: tuple[str, str] | None = None

    def counts(self) -> dict[str, Any]:
        return {
            "authorise_calls": self.authorise_calls,
            "token_requests": self.token_requests,
            "grants": dict(self.grants),
            "signed_in_pages": self.signed_in_pages,
            "live_refresh_tokens": len(self.refresh_tokens),
            "hosts": [{"endpoint": endpoint, "host": host} for endpoint, host in self.hosts],
        }
