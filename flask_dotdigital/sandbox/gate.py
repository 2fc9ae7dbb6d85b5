"""What every emulated API call passes through before it reaches a route, in this order: an
injected fault (5xx, 429, a dropped connection or a stall), HTTP Basic auth, the active rate-limit
scheme, and the wrong-region rule for the discovery host. Also the call log and the WSGI wrapper
that really drops a connection.
"""

from __future__ import annotations

import contextlib
import hmac
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, g, request

from .conventions import message_response
from .state import Fault, SandboxState, TieredWindow, current_state

DISCOVERY_PREFIX = "/r1"
REGIONAL_PREFIX = "/r2"
DROP_MARKER = "dotdigital_sandbox.drop"

# ASP.NET Web API's stock texts, which Dotdigital's v2 API returns (§1.4, §2.1).
AUTH_DENIED = "Authorization has been denied for this request."
SERVER_ERROR = "An error has occurred."
ACCESS_DENIED = "Access is denied"
APIUSAGE_EXCEEDED = (
    "Your account has generated excess API activity and is being temporarily capped. "
    "Please contact support. ERROR_APIUSAGE_EXCEEDED"
)


def is_api_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in (DISCOVERY_PREFIX, REGIONAL_PREFIX))


def too_many_requests(limit: int, reset_at: int, scope: str) -> Response:
    # Tiered scheme (§2.1): 429 with the X-RateLimit-* headers; Reset is UTC epoch seconds.
    # The v2 429 body is undocumented, so the sandbox sends none: clients must rely on headers.
    response = Response(status=429)
    response.headers["X-RateLimit-Limit"] = str(limit)
    response.headers["X-RateLimit-Remaining"] = "0"
    response.headers["X-RateLimit-Reset"] = str(reset_at)
    response.headers["X-RateLimit-Scope"] = scope
    return response


def _fault_response(fault: Fault) -> Response | None:
    if fault.kind == "stall":
        time.sleep(fault.seconds)
        return None
    if fault.kind == "drop":
        request.environ[DROP_MARKER] = True
        return Response(status=500)
    if fault.status == 429:
        return too_many_requests(fault.limit, int(time.time()) + fault.reset_in, fault.scope)
    return message_response(fault.status, fault.message or SERVER_ERROR)


def _authorized(state: SandboxState) -> bool:
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return False
    user_ok = hmac.compare_digest(auth.username or "", state.config.username)
    password_ok = hmac.compare_digest(auth.password or "", state.config.password)
    return user_ok and password_ok


def _limit_response(verdict: str | TieredWindow) -> Response:
    if isinstance(verdict, TieredWindow):
        return too_many_requests(verdict.per_minute, verdict.reset_at(), verdict.scope)
    # Flat scheme (§2.1): HTTP 400 with the ERROR_APIUSAGE_EXCEEDED sentence.
    return message_response(400, APIUSAGE_EXCEEDED)


def gate_api_call() -> Response | None:
    """``before_request`` hook: answer early for faults, bad auth, limits and wrong region."""
    if not is_api_path(request.path):
        return None
    g.sandbox_api_call = True
    state = current_state()
    fault = state.next_fault()
    if fault is not None:
        g.sandbox_fault = fault.label()
        early = _fault_response(fault)
        if early is not None:
            return early
    if not _authorized(state):
        return message_response(401, AUTH_DENIED)
    verdict = state.admit(time.time())
    if verdict is not None:
        return _limit_response(verdict)
    # Wrong region (§1.2): r1 serves discovery only; any other route there is 403 once the
    # caller is authenticated, whether or not the route exists on the regional host.
    if request.path.startswith(DISCOVERY_PREFIX) and request.endpoint != "r1.account_info":
        return message_response(403, ACCESS_DENIED)
    return None


def log_api_call(response: Response) -> Response:
    """``after_request`` hook: add the call to the log tests count calls and retries with."""
    if g.get("sandbox_api_call"):
        dropped = bool(request.environ.get(DROP_MARKER))
        current_state().record_call(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode("latin-1"),
                "status": None if dropped else response.status_code,
                "fault": g.get("sandbox_fault"),
                "time": time.time(),
            }
        )
    return response


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DropConnections:
    """WSGI wrapper that closes the socket without a response when a "drop" fault fired.

    Flask would turn an exception raised in a view into a 500, so the view only marks the environ
    and this wrapper, outside Flask, shuts the socket and raises ``ConnectionError``: werkzeug's
    server treats that as a client disconnect and writes nothing.
    """

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body = self.app(environ, start_response_unless_dropped(environ, start_response))
        if not environ.get(DROP_MARKER):
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()
        sock = environ.get("werkzeug.socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # the client may be gone already
                sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionError("dotdigital sandbox dropped the connection (fault injection)")


def start_response_unless_dropped(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Callable[..., Any]:
    def guarded(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if environ.get(DROP_MARKER):
            return lambda data: None
        return start_response(status, headers, exc_info)

    return guarded


def install(app: Flask) -> None:
    app.before_request(gate_api_call)
    app.after_request(log_api_call)
    app.wsgi_app = DropConnections(app.wsgi_app)  # type: ignore[method-assign]
