"""Real RQ workers for the tests: ``rq worker`` processes against the test's Redis and database."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
RQ = Path(sys.executable).with_name("rq")


def worker_env(app: Flask, **extra: Any) -> dict[str, str]:
    """The environment in which example_app.create_app() rebuilds this test's app in a worker."""
    config = app.config
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SECRET_KEY": config["SECRET_KEY"],
           "DATABASE_URL": str(config["SQLALCHEMY_DATABASE_URI"]),
           "DOTDIGITAL_API_BASE_URL": config["DOTDIGITAL_API_BASE_URL"],
           "DOTDIGITAL_ALLOW_INSECURE_HOSTS": "true",
           "DOTDIGITAL_REDIS_URL": config["DOTDIGITAL_REDIS_URL"],
           "DOTDIGITAL_API_BACKOFF": str(config["DOTDIGITAL_API_BACKOFF"]),
           "DOTDIGITAL_API_MAX_WAIT": str(config["DOTDIGITAL_API_MAX_WAIT"]),
           "DOTDIGITAL_LOCK_WAIT": str(config["DOTDIGITAL_LOCK_WAIT"]),
           "DOTDIGITAL_API_USAGE_WAIT": str(config["DOTDIGITAL_API_USAGE_WAIT"])}
    env.update({key: str(value) for key, value in extra.items()})
    return env


def _command(app: Flask, *options: str) -> list[str]:
    return [str(RQ), "worker", "--url", app.config["DOTDIGITAL_REDIS_URL"], *options,
            app.config["DOTDIGITAL_QUEUE"]]


def run_burst(app: Flask, timeout: float = 300, **env: Any) -> subprocess.CompletedProcess[str]:
    """One worker that runs every queued job, then exits."""
    result = subprocess.run(_command(app, "--burst"), cwd=ROOT, env=worker_env(app, **env),
                            capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@contextmanager
def running_workers(app: Flask, count: int = 1, **env: Any) -> Iterator[list[subprocess.Popen[str]]]:
    """``count`` long-running workers, stopped (warm shutdown) when the block ends."""
    # Unique names: RQ refuses a second worker under the name of one that died without a goodbye.
    names = [f"test-worker-{uuid.uuid4().hex[:8]}-{n}" for n in range(count)]
    # Logs go to a file, not a pipe: a pipe nobody reads fills up and stalls a busy worker.
    with tempfile.TemporaryFile("w+") as log:
        processes = [subprocess.Popen(_command(app, "--with-scheduler", "--name", name), cwd=ROOT,
                                      env=worker_env(app, **env), stdout=log, stderr=subprocess.STDOUT,
                                      text=True) for name in names]
        try:
            yield processes
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
