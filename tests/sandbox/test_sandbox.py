"""The Dotdigital sandbox over real loopback HTTP: discovery, auth, wrong region, paging, fault
injection, both rate-limit schemes and the call log."""

from __future__ import annotations

import time

import pytest
import requests

from flask_dotdigital.sandbox import SandboxServer, fold_keys
from flask_dotdigital.sandbox.model import AddressBook

pytest_plugins = ["flask_dotdigital.sandbox.pytest_plugin"]

AUTH = ("demo@apiconnector.com", "sandbox-password")


def get(url: str, **kwargs: object) -> requests.Response:
    kwargs.setdefault("auth", AUTH)
    return requests.get(url, timeout=10, **kwargs)  # type: ignore[arg-type]


def properties(body: dict) -> dict[str, str]:
    return {prop["name"]: prop["value"] for prop in body["properties"]}


def test_discovery_reports_regional_endpoint_with_trailing_slash(dotdigital_sandbox):
    response = get(f"{dotdigital_sandbox.discovery_url}/v2/account-info")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == 1
    assert all(set(p) == {"name", "type", "value"} for p in body["properties"])
    assert all(isinstance(p["value"], str) for p in body["properties"])
    props = properties(body)
    assert props["ApiEndpoint"] == f"{dotdigital_sandbox.regional_url}/"
    assert props["Name"] == "Sandbox Account"
    assert props["APILocale"] == "en-GB"
    assert props["MainEmail"] == "demo@apiconnector.com"
    assert props["ApiCallsInLastHour"] == "1"
    assert props["ApiCallsRemaining"] == "1999"


def test_regional_host_serves_account_info_too(dotdigital_sandbox):
    response = get(f"{dotdigital_sandbox.regional_url}/v2/account-info")
    assert response.status_code == 200
    assert properties(response.json())["ApiEndpoint"].endswith("/r2/")


def test_configured_account_name_and_credentials():
    with SandboxServer(username="u@example.com", password="pw", account_name="Acme") as server:
        url = f"{server.discovery_url}/v2/account-info"
        assert get(url).status_code == 401
        response = get(url, auth=("u@example.com", "pw"))
        assert properties(response.json())["Name"] == "Acme"
        config = server.state()["config"]
        assert config["username"] == "u@example.com"
        assert "password" not in config and "client_secret" not in config


@pytest.mark.parametrize("auth", [None, ("demo@apiconnector.com", "wrong"), ("x@y.z", "")])
def test_bad_credentials_are_denied(dotdigital_sandbox, auth):
    response = requests.get(f"{dotdigital_sandbox.regional_url}/v2/account-info", auth=auth, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"message": "Authorization has been denied for this request."}


def test_other_routes_on_discovery_host_are_forbidden_after_auth(dotdigital_sandbox):
    for path in ("/v2/address-books", "/v2/no-such-route"):
        response = get(f"{dotdigital_sandbox.discovery_url}{path}")
        assert response.status_code == 403
        assert response.json() == {"message": "Access is denied"}
    unauthenticated = get(f"{dotdigital_sandbox.discovery_url}/v2/address-books", auth=None)
    assert unauthenticated.status_code == 401


def test_unknown_regional_route_is_resource_not_found(dotdigital_sandbox):
    response = get(f"{dotdigital_sandbox.regional_url}/v2/no-such-route")
    assert response.status_code == 404
    assert response.json() == {"message": "Error: ERROR_RESOURCE_NOT_FOUND"}


def test_address_books_list_is_a_bare_array(dotdigital_sandbox):
    response = get(f"{dotdigital_sandbox.regional_url}/v2/address-books?select=1000&skip=0")
    assert response.status_code == 200
    assert response.json() == []


def test_address_books_list_pages_state(dotdigital_sandbox):
    books = [{"id": i, "name": f"List {i}", "visibility": "Private", "contacts": 0} for i in (1, 2, 3)]
    with dotdigital_sandbox.live_state.lock:
        for i in (1, 2, 3):
            dotdigital_sandbox.live_state.data.address_books[i] = AddressBook(i, f"List {i}")
    url = f"{dotdigital_sandbox.regional_url}/v2/address-books"
    assert get(url, params={"select": 2, "skip": 0}).json() == books[:2]
    assert get(url, params={"select": 2, "skip": 2}).json() == books[2:]
    assert get(url, params={"select": 2, "skip": 4}).json() == []


@pytest.mark.parametrize("query", ["select=0", "select=1001", "skip=-1", "select=abc", "select=10&skip=-5"])
def test_paging_bounds_are_enforced(dotdigital_sandbox, query):
    response = get(f"{dotdigital_sandbox.regional_url}/v2/address-books?{query}")
    assert response.status_code == 400
    assert response.json() == {
        "message": "select must be between 1 and 1000, skip must not be negative. ERROR_PARAMETER_INVALID"
    }


@pytest.mark.parametrize("query", ["select=1", "select=1000&skip=0", "skip=5000"])
def test_paging_bounds_accept_the_edges(dotdigital_sandbox, query):
    assert get(f"{dotdigital_sandbox.regional_url}/v2/address-books?{query}").status_code == 200


def test_faults_are_consumed_in_order_one_per_call(dotdigital_sandbox):
    dotdigital_sandbox.control(fail_next=[{"status": 503}, {"status": 500}, {"status": 429}])
    url = f"{dotdigital_sandbox.regional_url}/v2/account-info"
    first, second, third, fourth = (get(url) for _ in range(4))
    assert (first.status_code, second.status_code) == (503, 500)
    assert first.json() == second.json() == {"message": "An error has occurred."}
    assert third.status_code == 429
    assert fourth.status_code == 200


def test_fault_fires_before_auth(dotdigital_sandbox):
    dotdigital_sandbox.control(fail_next=[{"status": 502}])
    response = get(f"{dotdigital_sandbox.regional_url}/v2/account-info", auth=None)
    assert response.status_code == 502


def test_injected_429_carries_rate_limit_headers_and_no_body(dotdigital_sandbox):
    dotdigital_sandbox.control(fail_next=[{"status": 429, "reset_in": 7}])
    before = int(time.time())
    response = get(f"{dotdigital_sandbox.regional_url}/v2/account-info")
    assert response.status_code == 429
    assert response.content == b""
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Scope"] == "lowCallRate"
    assert int(response.headers["X-RateLimit-Limit"]) > 0
    assert before + 7 <= int(response.headers["X-RateLimit-Reset"]) <= int(time.time()) + 7


def test_drop_closes_the_connection_without_a_response(dotdigital_sandbox):
    dotdigital_sandbox.control(fail_next=[{"status": "drop"}])
    url = f"{dotdigital_sandbox.regional_url}/v2/account-info"
    with pytest.raises(requests.ConnectionError):
        get(url)
    assert get(url).status_code == 200
    dropped = dotdigital_sandbox.state()["calls"][0]
    assert dropped["status"] is None and dropped["fault"] == "drop"


def test_stall_delays_then_answers_normally(dotdigital_sandbox):
    dotdigital_sandbox.control(fail_next=[{"status": "stall", "seconds": 0.5}])
    url = f"{dotdigital_sandbox.regional_url}/v2/account-info"
    started = time.monotonic()
    assert get(url).status_code == 200
    assert time.monotonic() - started >= 0.5
    dotdigital_sandbox.control(fail_next=[{"status": "stall", "seconds": 1}])
    with pytest.raises(requests.Timeout):
        requests.get(url, auth=AUTH, timeout=0.3)
    # Let the stalled call finish so it cannot land in a later test's call log.
    deadline = time.monotonic() + 5
    while len(dotdigital_sandbox.state()["calls"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [c["fault"] for c in dotdigital_sandbox.state()["calls"]] == ["stall", "stall"]


def test_flat_limit_caps_with_apiusage_exceeded(dotdigital_sandbox):
    dotdigital_sandbox.control(flat_limit=2)
    url = f"{dotdigital_sandbox.regional_url}/v2/account-info"
    assert properties(get(url).json())["ApiCallsRemaining"] == "1"
    assert get(url).status_code == 200
    capped = get(url)
    assert capped.status_code == 400
    assert capped.json()["message"].endswith(". ERROR_APIUSAGE_EXCEEDED")
    assert capped.json()["message"].startswith("Your account has generated excess API activity")
    dotdigital_sandbox.control(flat_limit=None)
    assert get(url).status_code == 200


def test_tiered_limit_answers_429_with_headers(dotdigital_sandbox):
    dotdigital_sandbox.control(tiered_limit={"per_minute": 2})
    url = f"{dotdigital_sandbox.regional_url}/v2/address-books"
    assert [get(url).status_code for _ in range(2)] == [200, 200]
    limited = get(url)
    assert limited.status_code == 429
    assert limited.headers["X-RateLimit-Limit"] == "2"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Scope"] == "lowCallRate"
    assert time.time() < int(limited.headers["X-RateLimit-Reset"]) <= time.time() + 61
    dotdigital_sandbox.control(tiered_limit=None)
    assert get(url).status_code == 200


def test_state_logs_every_api_call(dotdigital_sandbox):
    get(f"{dotdigital_sandbox.discovery_url}/v2/account-info")
    get(f"{dotdigital_sandbox.regional_url}/v2/address-books?select=5", auth=None)
    get(f"{dotdigital_sandbox.regional_url}/v2/address-books?select=5&skip=5")
    calls = dotdigital_sandbox.state()["calls"]
    assert [(c["method"], c["path"], c["query"], c["status"]) for c in calls] == [
        ("GET", "/r1/v2/account-info", "", 200),
        ("GET", "/r2/v2/address-books", "select=5", 401),
        ("GET", "/r2/v2/address-books", "select=5&skip=5", 200),
    ]


def test_reset_clears_calls_faults_and_limits(dotdigital_sandbox):
    dotdigital_sandbox.control(fail_next=[{"status": 500}], flat_limit=0)
    get(f"{dotdigital_sandbox.regional_url}/v2/account-info")
    state = dotdigital_sandbox.control(reset=True)
    assert state["calls"] == [] and state["faults"] == []
    assert state["limits"] == {"flat_limit": None, "tiered_limit": None}
    assert get(f"{dotdigital_sandbox.regional_url}/v2/account-info").status_code == 200


def test_control_rejects_malformed_requests(dotdigital_sandbox):
    url = f"{dotdigital_sandbox.base_url}/__control"
    for body in ({"fail_next": [{"status": 200}]}, {"nonsense": 1}, {"flat_limit": -1}):
        assert requests.post(url, json=body, timeout=10).status_code == 400


def test_fold_keys_lowercases_nested_keys_only():
    body = {"Email": "A@B.com", "DataFields": [{"Key": "FIRSTNAME", "Value": "Ann"}]}
    assert fold_keys(body) == {
        "email": "A@B.com",
        "datafields": [{"key": "FIRSTNAME", "value": "Ann"}],
    }


def test_server_picks_a_free_port_and_stops():
    server = SandboxServer().start()
    try:
        port = server.port
        assert port > 0
        assert server.base_url == f"http://127.0.0.1:{port}"
        assert server.app_url == f"{server.base_url}/app/"
        assert get(f"{server.discovery_url}/v2/account-info").status_code == 200
    finally:
        server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/r1/v2/account-info", timeout=2)
