"""The Dotdigital client against the sandbox over loopback: discovery, errors, retries, limits."""

from __future__ import annotations

import logging
import time

import pytest
import requests

from flask_dotdigital.api import Client, ClientSettings, discover_account
from flask_dotdigital.api.base import error_from_response
from flask_dotdigital.errors import (
    ApiError,
    ApiUsageExceeded,
    AuthError,
    InsecureEndpoint,
    RateLimited,
    TransportError,
    WrongRegion,
)

from .conftest import SANDBOX_PASSWORD, SANDBOX_USER


def make_client(sandbox, password=SANDBOX_PASSWORD, **settings):
    defaults = {"base_url": sandbox.discovery_url, "allow_insecure_hosts": True, "backoff": 0.01,
                "max_wait": 3.0}
    defaults.update(settings)
    return Client(SANDBOX_USER, password, settings=ClientSettings(**defaults))


def api_calls(sandbox):
    return [(c["method"], c["path"], c["status"]) for c in sandbox.state()["calls"]]


def test_discovery_switches_to_the_regional_endpoint_without_its_trailing_slash(sandbox):
    client = make_client(sandbox)
    info = discover_account(client)
    assert info.name == "Sandbox Account"
    assert client.endpoint == sandbox.regional_url  # ".../r2", from ".../r2/"
    assert client.request("GET", "address-books", params={"select": 10}) == []
    assert api_calls(sandbox) == [("GET", "/r1/v2/account-info", 200),
                                  ("GET", "/r2/v2/address-books", 200)]


def test_the_discovery_host_refuses_other_routes_so_the_region_matters(sandbox):
    client = make_client(sandbox)
    client.endpoint = sandbox.discovery_url  # as if discovery had been skipped
    with pytest.raises(WrongRegion) as caught:
        client.request("GET", "address-books")
    assert caught.value.status == 403


def test_wrong_password_raises_auth_error_with_dotdigitals_message(sandbox):
    with pytest.raises(AuthError) as caught:
        discover_account(make_client(sandbox, password="wrong-password"))
    assert caught.value.status == 401
    assert caught.value.message == "Authorization has been denied for this request."
    assert "wrong-password" not in repr(caught.value) and "wrong-password" not in str(caught.value)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_answers_are_retried_for_safe_methods(sandbox, status):
    sandbox.control(fail_next=[{"status": status}, {"status": status}])
    info = discover_account(make_client(sandbox))
    assert info.name == "Sandbox Account"
    assert [c[2] for c in api_calls(sandbox)] == [status, status, 200]


def test_retries_stop_after_the_configured_number(sandbox):
    sandbox.control(fail_next=[{"status": 503}] * 3)
    with pytest.raises(ApiError) as caught:
        discover_account(make_client(sandbox, max_retries=2))
    assert caught.value.status == 503
    assert len(api_calls(sandbox)) == 3


def test_429_waits_for_x_ratelimit_reset_then_retries(sandbox):
    sandbox.control(fail_next=[{"status": 429, "reset_in": 1}])
    reset_at = int(time.time()) + 1  # what the sandbox puts in X-RateLimit-Reset
    discover_account(make_client(sandbox))
    first, second = sandbox.state()["calls"]
    assert (first["status"], second["status"]) == (429, 200)
    # It honoured the reset second instead of hammering the API.
    assert second["time"] >= reset_at - 0.01


def test_429_is_retried_even_for_post_because_nothing_was_processed(sandbox):
    client = make_client(sandbox)
    discover_account(client)
    sandbox.control(fail_next=[{"status": 429, "reset_in": 0}])
    with pytest.raises(ApiError) as caught:  # the route does not exist yet: the retry reached it
        client.request("POST", "no-such-route", json={})
    assert caught.value.status in (404, 405)
    assert [c[2] for c in api_calls(sandbox)][-2:][0] == 429


def test_post_is_not_retried_after_a_5xx(sandbox):
    client = make_client(sandbox)
    discover_account(client)
    sandbox.control(fail_next=[{"status": 503}])
    with pytest.raises(ApiError) as caught:
        client.request("POST", "address-books", json={"name": "x"})
    assert caught.value.status == 503
    assert [c[2] for c in api_calls(sandbox)] == [200, 503]


def test_dropped_connections_are_retried_for_safe_methods(sandbox):
    sandbox.control(fail_next=[{"status": "drop"}])
    assert discover_account(make_client(sandbox)).name == "Sandbox Account"


def test_a_stall_past_the_read_timeout_is_a_transport_error(sandbox):
    sandbox.control(fail_next=[{"status": "stall", "seconds": 2}])
    with pytest.raises(TransportError, match="timed out"):
        discover_account(make_client(sandbox, read_timeout=0.5, max_retries=0))
    # Let the stalled request finish here, so that it is not logged during the next test.
    deadline = time.monotonic() + 5
    while not sandbox.state()["calls"] and time.monotonic() < deadline:
        time.sleep(0.1)


def test_flat_rate_limit_is_recognised_and_not_retried_in_place(sandbox):
    sandbox.control(flat_limit=0)
    with pytest.raises(ApiUsageExceeded) as caught:
        discover_account(make_client(sandbox))
    assert caught.value.code == "ERROR_APIUSAGE_EXCEEDED"
    assert isinstance(caught.value, RateLimited)
    assert len(api_calls(sandbox)) == 1


def test_error_codes_are_parsed_from_both_message_shapes():
    def response(status, body):
        r = requests.Response()
        r.status_code = status
        r._content = body.encode()
        r.headers["Content-Type"] = "application/json"
        return r

    first = error_from_response(response(404, '{"message": "Error: ERROR_ADDRESSBOOK_NOT_FOUND"}'))
    second = error_from_response(response(
        400, '{"message": "That name is in use already, please choose another. '
             'ERROR_ADDRESSBOOK_DUPLICATE"}'))
    bare = error_from_response(response(401, ""))
    assert (first.status, first.code) == (404, "ERROR_ADDRESSBOOK_NOT_FOUND")
    assert second.code == "ERROR_ADDRESSBOOK_DUPLICATE"
    assert second.message.startswith("That name is in use already")
    assert isinstance(bare, AuthError) and bare.code is None


def test_plain_http_is_refused_unless_loopback_and_allowed(sandbox):
    with pytest.raises(InsecureEndpoint):
        discover_account(make_client(sandbox, allow_insecure_hosts=False))
    with pytest.raises(InsecureEndpoint):
        Client("u@example.com", "p", endpoint="http://example.com/",
               settings=ClientSettings(allow_insecure_hosts=True))
    assert api_calls(sandbox) == []


def test_tls_verification_is_on(sandbox):
    assert make_client(sandbox).session.verify is True


def test_logs_carry_no_password(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox.control(fail_next=[{"status": 503}])
    discover_account(make_client(sandbox))
    assert "retry 1" in caplog.text
    assert SANDBOX_PASSWORD not in caplog.text


def test_a_redirect_is_refused_and_the_credentials_never_reach_its_target():
    """A redirecting host must not lead the client (and its Basic credentials) somewhere unchecked."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    reached: list[str | None] = []

    class Target(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            reached.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"id": 1, "properties": []}')

        def log_message(self, *args):
            pass

    target = ThreadingHTTPServer(("127.0.0.1", 0), Target)

    class Redirector(Target):
        def do_GET(self):  # noqa: N802
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{target.server_port}/v2/account-info")
            self.end_headers()

    redirector = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    for server in (target, redirector):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client(SANDBOX_USER, SANDBOX_PASSWORD, settings=ClientSettings(
            base_url=f"http://127.0.0.1:{redirector.server_port}", allow_insecure_hosts=True))
        with pytest.raises(ApiError, match="redirect"):
            discover_account(client)
        assert reached == []
    finally:
        for server in (target, redirector):
            server.shutdown()
            server.server_close()


def test_an_infinite_rate_limit_reset_is_not_a_wait_for_ever():
    from flask_dotdigital.api.base import _reset_of

    answer = requests.Response()
    answer.headers["X-RateLimit-Reset"] = "inf"
    assert _reset_of(answer) is None
    answer.headers["X-RateLimit-Reset"] = "1700000030"
    assert _reset_of(answer) == 1_700_000_030.0
