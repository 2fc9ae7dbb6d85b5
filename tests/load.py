"""Helpers for the load tests: the example app under gunicorn, locust driving it, and its figures.

Both run as subprocesses from this venv. Gunicorn builds the app with ``example_app:create_app()``
from the same environment the RQ workers get (``workers.worker_env``), so it serves the test's
database. Locust runs headless with ``tests/load_locustfile.py`` until it is sent SIGTERM, and
writes its statistics as CSV files and as JSON; the JSON holds every response-time bucket, from
which the percentiles are computed here.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from flask import Flask

from .workers import ROOT, worker_env

BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).resolve().with_name("load_locustfile.py")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn_server(app: Flask, *, workers: int = 2, threads: int = 8) -> Iterator[str]:
    """The example app in a real multi-threaded server on loopback; yields its base URL."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "gthread", "--threads", str(threads), "--timeout", "120",
               "example_app:create_app()"]
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=worker_env(app), stdout=log,
                                  stderr=subprocess.STDOUT, text=True, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_serving(base, server, log)
            yield base
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _wait_until_serving(base: str, server: subprocess.Popen[str], log: Any) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            # The port is open before the workers have built the app; a busy machine takes a while.
            if requests.get(f"{base}/login", timeout=30).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    log.seek(0)
    raise AssertionError(f"gunicorn did not start:\n{log.read()[-4000:]}")


@dataclass
class LoadFigures:
    """What locust measured: request count, failures and response times in milliseconds."""

    requests: int
    failures: int
    p50: float
    p95: float
    max: float
    #: requests and p95 (ms) of each page, by locust's name for it ("GET contacts")
    per_page: dict[str, int] = field(default_factory=dict)
    p95_per_page: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def percentile(buckets: Counter[float], share: float) -> float:
    """The response time below which ``share`` of the requests fell (locust's rounded buckets)."""
    total = sum(buckets.values())
    if not total:
        return 0.0
    seen = 0
    for value in sorted(buckets):
        seen += buckets[value]
        if seen >= share * total:
            return value
    return max(buckets)


def _buckets(entry: dict[str, Any]) -> Counter[float]:
    return Counter({float(ms): count for ms, count in entry["response_times"].items()})


#: The sign-in of each user (its password hash is slow on purpose) counts, but not in the percentiles.
SIGN_IN = {"login page", "sign in"}


def figures(json_path: Path, failures_csv: Path) -> LoadFigures:
    entries = json.loads(json_path.read_text())
    buckets: Counter[float] = Counter()
    for entry in entries:
        if entry["name"] not in SIGN_IN:
            buckets.update(_buckets(entry))
    errors = failures_csv.read_text().splitlines()[1:] if failures_csv.exists() else []
    return LoadFigures(
        requests=sum(e["num_requests"] for e in entries),
        failures=sum(e["num_failures"] for e in entries),
        p50=percentile(buckets, 0.50), p95=percentile(buckets, 0.95),
        max=max((e["max_response_time"] or 0.0 for e in entries if e["name"] not in SIGN_IN), default=0.0),
        per_page={f'{e["method"]} {e["name"]}': e["num_requests"] for e in entries},
        p95_per_page={f'{e["method"]} {e["name"]}': percentile(_buckets(e), 0.95) for e in entries},
        errors=errors)


class LocustRun:
    """A headless locust process; ``stop()`` ends it (SIGTERM) and returns its figures."""

    def __init__(self, base_url: str, pages: dict[str, str], *, users: int, email: str, password: str,
                 folder: Path, spawn_rate: float = 10.0) -> None:
        self.folder = folder
        self.prefix = folder / "load"
        env = {**os.environ, "LOAD_PAGES": json.dumps(pages), "LOAD_EMAIL": email,
               "LOAD_PASSWORD": password}
        command = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", base_url,
                   "--users", str(users), "--spawn-rate", str(spawn_rate), "--csv", str(self.prefix),
                   "--json-file", str(self.prefix), "--only-summary", "--loglevel", "WARNING",
                   "--exit-code-on-error", "0"]
        self.log = (folder / "locust.log").open("w+")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, text=True)
        self.started = time.monotonic()

    def running_users(self) -> int:
        """Users spawned so far, from the CSV history locust writes every second."""
        history = Path(f"{self.prefix}_stats_history.csv")
        if not history.exists():
            return 0
        with history.open(newline="") as rows:
            last = list(csv.DictReader(rows))[-1:]
        return int(last[0]["User Count"]) if last else 0

    def stop(self) -> LoadFigures:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.seek(0)
        output = self.log.read()
        self.log.close()
        json_path = Path(f"{self.prefix}.json")
        assert json_path.exists(), f"locust wrote no statistics:\n{output[-4000:]}"
        return figures(json_path, Path(f"{self.prefix}_failures.csv"))
