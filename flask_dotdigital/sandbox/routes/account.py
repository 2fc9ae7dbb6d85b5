"""Account routes (reference §1.3, §3.2): ``GET /v2/account-info``, the region-discovery call,
served on both the discovery host and the regional host.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from ..conventions import json_response
from ..gate import REGIONAL_PREFIX
from ..state import current_state


def _property(name: str, kind: str, value: object) -> dict[str, str]:
    # Every property value is a string whatever its type: "153", "False" (§1.3).
    return {"name": name, "type": kind, "value": str(value)}


def regional_endpoint() -> str:
    # The real example ends with "/" and clients must rstrip it (§1.3); keep the slash so the
    # client's normalisation is exercised.
    return f"{request.host_url.rstrip('/')}{REGIONAL_PREFIX}/"


def account_body() -> dict[str, Any]:
    state = current_state()
    config = state.config
    used = state.calls_in_last_hour()
    remaining = max(state.hourly_allowance() - used, 0)
    properties = [
        _property("AvailableEmailSendsCredits", "Int", 10000),
        _property("AvailableSmsSendsCredits", "Int", 0),
        _property("PremiumWalletBalance", "Decimal", "0.00"),
        _property("ListManagedUsers", "String", ""),
        _property("Name", "String", config.account_name),
        _property("MainMobilePhoneNumber", "String", ""),
        _property("MainEmail", "String", config.main_email),
        _property("APILocale", "String", "en-GB"),
        _property("ApiCallsInLastHour", "Int", used),
        _property("ApiCallsRemaining", "Int", remaining),
        _property("ApiEndpoint", "String", regional_endpoint()),
        _property("CurrencyCode", "String", "GBP"),
        _property("CampaignEmailMtaPool", "String", ""),
        _property("ShowClock", "Boolean", "False"),
        _property("TimeZoneIana", "String", "Europe/London"),
    ]
    return {"id": config.account_id, "properties": properties}


def account_info() -> Response:
    return json_response(account_body())


def register_discovery(discovery: Blueprint) -> None:
    discovery.add_url_rule("/v2/account-info", "account_info", account_info, methods=["GET"])


def register(regional: Blueprint) -> None:
    regional.add_url_rule("/v2/account-info", "account_info", account_info, methods=["GET"])
