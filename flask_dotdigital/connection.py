"""Glue between the app's configuration, an Integration row and the API client.

Admin screens, the CLI and (later) the sync jobs ask this module for a client or a credentials check;
the api package itself never reads Flask config. Clients for saved integrations share their
account's call budget through the app's Redis (:mod:`.api.budget`); a credentials check, or an app
without Redis, calls without one.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from .api import AccountInfo, Client, ClientSettings, discover_account
from .api.budget import RateBudget, account_key
from .redis_conn import configured_redis


def client_settings(config: Any = None) -> ClientSettings:
    config = config if config is not None else current_app.config
    return ClientSettings(
        base_url=config["DOTDIGITAL_API_BASE_URL"],
        connect_timeout=float(config["DOTDIGITAL_API_CONNECT_TIMEOUT"]),
        read_timeout=float(config["DOTDIGITAL_API_READ_TIMEOUT"]),
        max_retries=int(config["DOTDIGITAL_API_MAX_RETRIES"]),
        backoff=float(config["DOTDIGITAL_API_BACKOFF"]),
        max_wait=float(config["DOTDIGITAL_API_MAX_WAIT"]),
        allow_insecure_hosts=bool(config["DOTDIGITAL_ALLOW_INSECURE_HOSTS"]),
        usage_wait=float(config["DOTDIGITAL_API_USAGE_WAIT"]),
    )


def check_credentials(username: str, password: str) -> AccountInfo:
    """Region discovery with these credentials: the account, or the API's own error."""
    return discover_account(Client(username, password, settings=client_settings()))


def client_for(integration: Any) -> Client:
    """A client for a saved integration, reusing the endpoint found by an earlier discovery."""
    settings = client_settings()
    return Client(integration.username, integration.password or "", settings=settings,
                  endpoint=integration.api_endpoint, budget=rate_budget(integration.username, settings))


def rate_budget(username: str, settings: ClientSettings) -> RateBudget | None:
    """The account's shared call budget, or None without Redis or with DOTDIGITAL_API_SHARED_BUDGET off.

    The key is built on the discovery URL, not the regional endpoint, so that account-info counts
    against the same budget as the calls after it (the tiered limit is per account, and an API user
    belongs to one account in one region).
    """
    redis = configured_redis() if current_app.config["DOTDIGITAL_API_SHARED_BUDGET"] else None
    if redis is None:
        return None
    return RateBudget(redis, account_key(settings.base_url, username),
                      probe_timeout=settings.connect_timeout + settings.read_timeout)


def refresh_account(integration: Any) -> AccountInfo:
    """Discover again and store the endpoint and account name on the integration (not committed)."""
    info = check_credentials(integration.username, integration.password or "")
    integration.api_endpoint = info.api_endpoint
    integration.account_name = info.name
    return info
