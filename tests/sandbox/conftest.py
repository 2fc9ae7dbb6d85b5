"""Fixtures for the sandbox's data routes: a sandbox holding generated data, and a small GET
helper for its regional (r2) host."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from flask_dotdigital.sandbox import SandboxServer

AUTH = ("demo@apiconnector.com", "sandbox-password")
#: Every generated timestamp lies in 2024; every control-made change is stamped "now".
AFTER_GENERATED = "2025-01-01T00:00:00Z"

Api = Callable[..., requests.Response]


@pytest.fixture
def generated(dotdigital_sandbox: SandboxServer) -> SandboxServer:
    """The session's sandbox, reset and holding 300 generated contacts (seed 1)."""
    dotdigital_sandbox.control(generate={"contacts": 300, "seed": 1})
    return dotdigital_sandbox


@pytest.fixture
def api(dotdigital_sandbox: SandboxServer) -> Api:
    """``api("/v2/campaigns", select=5)``: an authenticated GET on the regional host."""

    def get(path: str, **params: Any) -> requests.Response:
        return requests.get(f"{dotdigital_sandbox.regional_url}{path}", params=params, auth=AUTH, timeout=10)

    return get


@pytest.fixture
def data(generated: SandboxServer) -> dict[str, Any]:
    """``/__state``'s ``data`` for the generated account."""
    result: dict[str, Any] = generated.state()["data"]
    return result
