"""Every ``DOTDIGITAL_*`` configuration key, with its default.

``init_app`` calls ``app.config.setdefault`` for each key below, so ``app.config`` always shows the
effective value. The README's configuration table repeats the ``#:`` comments here, and
``tests/test_docs.py`` checks that it lists every key with its default.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from .api.urls import checked_url, is_loopback
from .errors import ConfigError

DEFAULTS: dict[str, Any] = {
    #: Where region discovery starts (GET /v2/account-info); every account answers there (§1.3).
    "DOTDIGITAL_API_BASE_URL": "https://r1-api.dotdigital.com",
    #: Web app domain for OAuth single sign-on when an integration has no Custom OAuth Domain.
    "DOTDIGITAL_OAUTH_DEFAULT_DOMAIN": "https://r1-app.dotdigital.com/",
    #: URL prefix of the single sign-on blueprint; Dotdigital calls back to ``<prefix>/oauth/callback``.
    "DOTDIGITAL_SSO_URL_PREFIX": "/dotdigital",
    #: Accept plain-http URLs for loopback hosts (127.0.0.0/8, ::1, localhost). For the sandbox only:
    #: ``init_app`` refuses it in production mode (see :func:`production_mode`).
    "DOTDIGITAL_ALLOW_INSECURE_HOSTS": False,
    #: Fernet keys (urlsafe base64, newest first) that encrypt secrets at rest. None derives one key
    #: from SECRET_KEY. Put a new key first to rotate; older keys stay readable.
    "DOTDIGITAL_ENCRYPTION_KEYS": None,
    #: Seconds to wait for a TCP connection to Dotdigital.
    "DOTDIGITAL_API_CONNECT_TIMEOUT": 10.0,
    #: Seconds to wait for an answer; Dotdigital asks clients to allow 121 s per call (§1.1).
    "DOTDIGITAL_API_READ_TIMEOUT": 121.0,
    #: Extra attempts after a connection error, a 5xx or a 429, where retrying is safe.
    "DOTDIGITAL_API_MAX_RETRIES": 4,
    #: First backoff delay in seconds; it doubles on each attempt, with full jitter.
    "DOTDIGITAL_API_BACKOFF": 1.0,
    #: Seconds a sync pauses after Dotdigital's hourly cut-off (ERROR_APIUSAGE_EXCEEDED) before resuming.
    "DOTDIGITAL_API_USAGE_WAIT": 900,
    #: Longest single wait in seconds, for backoff and for X-RateLimit-Reset alike.
    "DOTDIGITAL_API_MAX_WAIT": 60.0,
    #: Share each account's per-minute call budget through Redis, so that workers wait for the reset
    #: instead of each spending a 429 on it.
    "DOTDIGITAL_API_SHARED_BUDGET": True,
    #: RQ queue the sync jobs go to.
    "DOTDIGITAL_QUEUE": "dotdigital",
    #: Redis URL for RQ. None means the host app passes a connection (or uses redis://localhost).
    "DOTDIGITAL_REDIS_URL": None,
    #: ``module:function`` that builds the app in an RQ worker; None means ``<app import name>:create_app``.
    "DOTDIGITAL_APP_FACTORY": None,
    #: Minutes between scheduled syncs of every enabled integration (``rq cron flask_dotdigital.cron``).
    "DOTDIGITAL_SYNC_INTERVAL": 5,
    #: Seconds an RQ sync job may run before RQ stops it.
    "DOTDIGITAL_JOB_TIMEOUT": 14400,
    #: Seconds the per-integration sync lock lives without a heartbeat (a crashed worker's lock expires).
    "DOTDIGITAL_LOCK_TTL": 60,
    #: Seconds a queued sync waits for the running one of the same integration before RQ retries it.
    "DOTDIGITAL_LOCK_WAIT": 900,
    #: Minutes between polls of unfinished contact imports (``rq cron``), as Oro's 5-minute job.
    "DOTDIGITAL_EXPORT_STATUS_INTERVAL": 5,
    #: Daily re-export of mapped fields: "None", "VirtualOnly" (mappings with virtual fields) or "Always".
    "DOTDIGITAL_FORCE_SYNC": "VirtualOnly",
    #: When the force sync runs (cron syntax, UTC); Oro runs it at 01:00.
    "DOTDIGITAL_FORCE_SYNC_CRON": "0 1 * * *",
    #: Rows per CSV file uploaded to an address book (files also stop short of Dotdigital's 50 MB).
    "DOTDIGITAL_EXPORT_BATCH_SIZE": 10000,
    #: Hours between checks of every member's values, catching host writes that bypass the ORM (0: never).
    "DOTDIGITAL_EXPORT_RECHECK_HOURS": 24,
    #: Contact imports one account may have running at once (Dotdigital refuses more; §2.2).
    "DOTDIGITAL_MAX_ACTIVE_IMPORTS": 25,
    #: Seconds an export waits inside a run for a free import slot before leaving the rest for later.
    "DOTDIGITAL_IMPORT_SLOT_WAIT": 300,
    #: Admin menu category that holds the Integrations group.
    "DOTDIGITAL_SYSTEM_CATEGORY": "System",
    #: Admin menu category that holds the dotdigital group.
    "DOTDIGITAL_MARKETING_CATEGORY": "Marketing",
}


def apply_defaults(config: dict[str, Any]) -> None:
    """Fill every missing ``DOTDIGITAL_*`` key with its default."""
    for key, value in DEFAULTS.items():
        config.setdefault(key, value)


def production_mode(app: Flask) -> bool:
    """Whether ``app`` may be talking to the real Dotdigital.

    Not when Flask runs in debug or testing mode, and not when region discovery starts on a loopback
    host: such an app talks to a local emulator (the sandbox), which is what the demo, the test
    suite's RQ workers and the benchmarks do, none of them in debug or testing mode. Everything else
    is production. The discovery URL decides because it is the one host every API call starts from:
    an app that can reach Dotdigital at all has a non-loopback one.
    """
    if app.debug or app.testing:
        return False
    try:
        host = urlsplit(str(app.config["DOTDIGITAL_API_BASE_URL"]).strip()).hostname or ""
    except ValueError:
        return True
    return not is_loopback(host)


def check_production_settings(app: Flask) -> None:
    """In production mode: no plain-http hosts, and https for the configured Dotdigital URLs.

    TLS verification needs no check here: no setting turns it off (the API client and the single
    sign-on client both set ``verify = True`` on their sessions).
    """
    if not production_mode(app):
        return
    if bool(app.config["DOTDIGITAL_ALLOW_INSECURE_HOSTS"]):
        raise ConfigError(
            "DOTDIGITAL_ALLOW_INSECURE_HOSTS is set, but this app is in production mode (not debug or "
            "testing, and DOTDIGITAL_API_BASE_URL is not a loopback host). Plain http is for the local "
            "sandbox only: remove DOTDIGITAL_ALLOW_INSECURE_HOSTS.")
    for key in ("DOTDIGITAL_API_BASE_URL", "DOTDIGITAL_OAUTH_DEFAULT_DOMAIN"):
        checked_url(str(app.config[key]), what=key)  # InsecureEndpoint is a ConfigError
