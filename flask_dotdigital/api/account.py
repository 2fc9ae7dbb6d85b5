"""Account calls: account-info, which also drives region discovery and Check connection (§3.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import Client, account_property


@dataclass(frozen=True)
class AccountInfo:
    """The parts of ApiAccount the integration keeps."""

    name: str
    main_email: str | None
    api_endpoint: str
    locale: str

    @classmethod
    def from_api(cls, body: Any, endpoint: str) -> AccountInfo:
        return cls(
            name=account_property(body, "Name") or account_property(body, "MainEmail") or "",
            main_email=account_property(body, "MainEmail"),
            api_endpoint=endpoint,
            # Magento falls back to en-GB when APILocale is missing (§1.3).
            locale=account_property(body, "APILocale") or "en-GB",
        )


def discover_account(client: Client) -> AccountInfo:
    """Region discovery plus the account's name: one call to account-info on the discovery host."""
    body = client.discover()
    assert client.endpoint is not None
    return AccountInfo.from_api(body, client.endpoint)


def get_account_info(client: Client) -> AccountInfo:
    """account-info on the account's own endpoint (after discovery)."""
    body = client.request("GET", "account-info")
    assert client.endpoint is not None
    return AccountInfo.from_api(body, client.endpoint)
