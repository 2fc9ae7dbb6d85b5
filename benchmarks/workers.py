"""Real ``rq worker`` processes for the scale-out and rate-limit scenarios.

Each worker rebuilds the example app from the environment (``DATABASE_URL``, ``DOTDIGITAL_*``),
as a deployed worker would, and runs in burst mode: it exits when the queue is empty, so the
wall time from enqueueing to the last worker's exit is the time the syncs took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flask import Flask

from example_app.models import db
from flask_dotdigital.sync.scheduling import request_sync

from .env import ROOT, M

RQ = Path(sys.executable).with_name("rq")


def worker_env(app: Flask, **extra: Any) -> dict[str, str]:
    config = app.config
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SECRET_KEY": config["SECRET_KEY"],
           "DATABASE_URL": str(config["SQLALCHEMY_DATABASE_URI"]),
           "DOTDIGITAL_REDIS_URL": config["DOTDIGITAL_REDIS_URL"],
           "DOTDIGITAL_API_BASE_URL": config["DOTDIGITAL_API_BASE_URL"],
           "DOTDIGITAL_ALLOW_INSECURE_HOSTS": "true",
           "DOTDIGITAL_API_BACKOFF": str(config["DOTDIGITAL_API_BACKOFF"]),
           "DOTDIGITAL_API_MAX_WAIT": str(config["DOTDIGITAL_API_MAX_WAIT"])}
    env.update({key: str(value) for key, value in extra.items()})
    return env


def sync_with_workers(app: Flask, integration_ids: list[int], workers: int, *, timeout: float = 1200,
                      cpu: dict[str, float] | None = None, **env: Any) -> tuple[float, list[Any]]:
    """Queue a full sync of each integration, run ``workers`` burst workers; (seconds, root runs).

    ``cpu``, if given, receives the CPU seconds the workers used and those this process used
    meanwhile (the sandbox, which serves every page, runs here).
    """
    before = os.times()
    started = time.perf_counter()
    for integration_id in integration_ids:
        request_sync(integration_id, trigger="benchmark")
    command = [str(RQ), "worker", "--burst", "--url", app.config["DOTDIGITAL_REDIS_URL"],
               app.config["DOTDIGITAL_QUEUE"]]
    # rq from this interpreter's environment, with arguments built here.
    named = [[*command[:2], "--name", f"bench-{os.getpid()}-{n}", *command[2:]] for n in range(workers)]
    environment = worker_env(app, **env)
    processes = [subprocess.Popen(argv, cwd=ROOT, env=environment,  # noqa: S603
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for argv in named]
    outputs = []
    for process in processes:
        try:
            outputs.append(process.communicate(timeout=timeout)[0])
        except subprocess.TimeoutExpired:
            process.kill()
            outputs.append(process.communicate()[0])
    took = time.perf_counter() - started
    after = os.times()
    if cpu is not None:
        cpu["workers"] = (after.children_user + after.children_system
                          - before.children_user - before.children_system)
        cpu["here"] = after.user + after.system - before.user - before.system
    failed = [out for process, out in zip(processes, outputs, strict=True) if process.returncode != 0]
    if failed:
        raise RuntimeError(f"a worker failed:\n{failed[0][-3000:]}")
    db.session.expire_all()
    runs = list(db.session.execute(db.select(M.SyncRun).where(M.SyncRun.parent_id.is_(None))
                                   .order_by(M.SyncRun.id)).scalars())
    return took, runs
