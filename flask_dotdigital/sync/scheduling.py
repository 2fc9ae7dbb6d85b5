"""Asking for a sync: every way in (button, row action, CLI, schedule) comes through here.

Requests are coalesced per integration. While a run is *queued* (not yet started), further requests
join it; once it has started, the next request queues exactly one follow-up run. The ``pending`` key
in Redis holds the queued run's id; the runner deletes it when the run takes the lock.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from rq import Retry

from ..models.enums import SyncStatus
from ..redis_conn import app_factory_spec, redis_connection, sync_queue


def pending_key(integration_id: int) -> str:
    return f"dotdigital:sync:{integration_id}:pending"


def pending_run(value: bytes | str | None) -> int | None:
    """The run id held by a pending key ("reserving" while the request is still being made)."""
    text = value.decode() if isinstance(value, bytes) else value
    return int(text) if text and text.isdigit() else None


@dataclass(frozen=True)
class SyncRequest:
    run_id: int | None
    job_id: str | None
    #: True when the request joined a run that was already queued
    coalesced: bool


def request_sync(integration_id: int, *, trigger: str, connectors: list[str] | None = None
                 ) -> SyncRequest:
    """Queue a sync of one integration, or join the one already queued."""
    state = current_app.extensions["dotdigital"]
    db, models = state.ext.db, state.ext.models
    redis = redis_connection()
    timeout = int(current_app.config["DOTDIGITAL_JOB_TIMEOUT"])
    key = pending_key(integration_id)
    if not redis.set(key, "reserving", nx=True, ex=timeout):
        return SyncRequest(run_id=pending_run(redis.get(key)), job_id=None, coalesced=True)
    run = models.SyncRun(integration_id=integration_id, trigger=trigger,
                         requested_connectors=",".join(connectors) if connectors else None)
    db.session.add(run)
    db.session.commit()
    # The key names the run before the job exists: a worker that starts the job at once must find
    # its own id there to clear it. Set after the enqueue, it could land after that check, and
    # every later request would join a run that had already started (for the key's whole life).
    redis.set(key, str(run.id), ex=timeout)
    try:
        job = _enqueue(run, integration_id, timeout)
    except Exception:
        with suppress(RedisError):
            redis.delete(key)
        run.status, run.message = SyncStatus.failed, "The sync could not be queued (Redis refused the job)."
        db.session.commit()
        raise
    run.job_id = job.id
    db.session.commit()
    return SyncRequest(run_id=run.id, job_id=job.id, coalesced=False)


def _enqueue(run: Any, integration_id: int, timeout: int) -> Any:
    return sync_queue().enqueue(
        "flask_dotdigital.jobs.sync_integration", run.id, app_factory_spec(),
        job_id=f"dotdigital-sync-{run.id}", job_timeout=timeout,
        # A crashed job (worker killed, DB away) is tried again; connector failures are not
        # exceptions and are recorded on the run instead.
        retry=Retry(max=3, interval=[10, 60, 300]),
        description=f"Dotdigital sync of integration {integration_id} (run {run.id})")


def request_all(*, trigger: str = "schedule") -> list[SyncRequest]:
    """Queue a sync of every enabled integration (the periodic schedule)."""
    state = current_app.extensions["dotdigital"]
    db, model = state.ext.db, state.ext.models.Integration
    ids = db.session.execute(db.select(model.id).where(model.enabled.is_(True))).scalars().all()
    return [request_sync(i, trigger=trigger) for i in ids]


__all__: list[Any] = ["SyncRequest", "pending_key", "pending_run", "request_all", "request_sync"]
