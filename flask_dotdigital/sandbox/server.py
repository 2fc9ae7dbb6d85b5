"""``SandboxServer``: the sandbox app on a real loopback HTTP server (werkzeug's threaded server)
running in a background thread, plus small ``requests`` helpers for the control routes. Tests,
the demo and benchmarks start one and point the Dotdigital client at ``discovery_url``.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app
from .generator import generate as generate_data
from .state import (
    DEFAULT_ACCOUNT_NAME,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    SandboxConfig,
    SandboxState,
)

CONTROL_TIMEOUT = 10.0


class QuietRequestHandler(WSGIRequestHandler):
    """Request handler that does not log every request (tests and benchmarks)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SandboxServer:
    """A running Dotdigital sandbox; ``port=0`` picks a free port when started."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        account_name: str = DEFAULT_ACCOUNT_NAME,
        log_requests: bool = False,
        generate: int | None = None,
        seed: int = 1,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.log_requests = log_requests
        self.config = SandboxConfig(
            username=username,
            password=password,
            client_id=client_id,
            client_secret=client_secret,
            account_name=account_name,
        )
        self.live_state = SandboxState(self.config)
        self.app = create_app(state=self.live_state)
        if generate is not None:
            self.generate(contacts=generate, seed=seed)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def integration_settings(self) -> dict[str, str]:
        """What an Integration needs to talk to this account, with discovery already done:
        ``models.Integration(type="dotdigital", name=..., **server.integration_settings())``."""
        return {"username": self.config.username, "password": self.config.password,
                "api_endpoint": self.regional_url, "account_name": self.config.account_name}

    # -- lifecycle ------------------------------------------------------------------------
    def bind(self) -> BaseWSGIServer:
        if self._server is None:
            handler = WSGIRequestHandler if self.log_requests else QuietRequestHandler
            self._server = make_server(
                self.host, self.requested_port, self.app, threaded=True, request_handler=handler
            )
        return self._server

    def start(self) -> SandboxServer:
        """Serve in a daemon thread and return at once."""
        if self._thread is not None:
            return self
        server = self.bind()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"dotdigital-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI)."""
        server = self.bind()
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.server_close()
            self._server = None

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        if thread is not None:
            server.shutdown()
            thread.join(timeout=5)
        server.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not started; call start() first")
        return int(self._server.server_port)

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def discovery_url(self) -> str:
        """Stands for https://r1-api.dotdigital.com (reference §1.3)."""
        return f"{self.base_url}/r1"

    @property
    def regional_url(self) -> str:
        """Stands for the account's regional host, e.g. https://r2-api.dotdigital.com."""
        return f"{self.base_url}/r2"

    @property
    def app_url(self) -> str:
        """Stands for the web-app host used by OAuth single sign-on (reference §5)."""
        return f"{self.base_url}/app/"

    # -- data -------------------------------------------------------------------------------
    def generate(self, *, contacts: int, books: int = 3, campaigns: int = 4, seed: int = 1) -> dict[str, Any]:
        """Replace the account's data with generated data (``generator.generate``), in process;
        works before ``start()``. Returns the counts of what was made."""
        return generate_data(self.live_state, contacts=contacts, books=books, campaigns=campaigns, seed=seed)

    # -- control helpers ------------------------------------------------------------------
    def control(self, **settings: Any) -> dict[str, Any]:
        """POST ``settings`` to ``/__control``, e.g. ``control(fail_next=[{"status": 503}])`` or
        ``control(touch_contacts={"count": 5})``. The reply is the state without ``data``, plus the
        records a data change affected (``touched``, ``unsubscribed``, ...; see ``control.py``)."""
        response = requests.post(f"{self.base_url}/__control", json=settings, timeout=CONTROL_TIMEOUT)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def state(self) -> dict[str, Any]:
        """GET ``/__state``: call log, account, configuration (no secrets), faults, limits, data."""
        response = requests.get(f"{self.base_url}/__state", timeout=CONTROL_TIMEOUT)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result
