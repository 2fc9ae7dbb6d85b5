"""Running one sync: take the integration's lock, run the connectors in order, record everything.

Each connector gets its own SyncRun row under the run's row, with counts and the error message.
A connector's cursor moves only when it succeeds, so a failed one repeats its window next time.
A 401 ends the whole run: every later call would fail the same way. So does losing Redis (or the
lock kept there): without the lock another worker may start the same integration, so the run is
recorded failed, naming the cause, and the next run does the work again from the stored cursors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from rq.job import Job
from sqlalchemy.exc import SQLAlchemyError

from ..connection import client_for
from ..errors import ApiError, AuthError, ConfigError, DotDigitalError, RateLimited
from ..models.enums import SyncStatus
from ..models.types import utcnow
from ..redis_conn import redis_connection
from .connectors import CONNECTORS, LABELS
from .context import SyncContext
from .lock import LockLost, SyncLock
from .scheduling import pending_key, pending_run
from .upsert import upsert

log = logging.getLogger("flask_dotdigital.sync")

Progress = Callable[[dict[str, Any]], None]


class LockBusy(DotDigitalError):
    """Another worker is syncing this integration; RQ retries the job later."""


class DatabaseFailed(DotDigitalError):
    """A connector's database work failed (connection lost, file locked); its cursor stays put."""


class SyncPaused(DotDigitalError):
    """Dotdigital's API limit was reached: the run waits (queued) and resumes at ``resume_at``."""

    def __init__(self, run_id: int, resume_at: float, message: str) -> None:
        super().__init__(message)
        self.run_id, self.resume_at = run_id, resume_at


def run_sync(run_id: int, *, progress: Progress | None = None) -> Any:
    """Run the queued SyncRun ``run_id`` to its end; return it."""
    state = current_app.extensions["dotdigital"]
    db, models = state.ext.db, state.ext.models
    run = db.session.get(models.SyncRun, run_id)
    if run is None or run.status not in (SyncStatus.queued, SyncStatus.running):
        return run  # already done (a retried job whose first attempt finished)
    lock = SyncLock(redis_connection(), run.integration_id,
                    ttl=float(current_app.config["DOTDIGITAL_LOCK_TTL"]))
    if not _wait_for(lock, float(current_app.config["DOTDIGITAL_LOCK_WAIT"])):
        raise LockBusy(f"Integration {run.integration_id} is still being synced by another worker.")
    try:
        _close_abandoned(db, models, run)
        # From here on, a new request queues a follow-up run instead of joining this one.
        key = pending_key(run.integration_id)
        redis = redis_connection()
        if pending_run(redis.get(key)) == run.id:
            redis.delete(key)
        _run_connectors(db, models, run, _guarded(lock, progress or (lambda info: None)))
    finally:
        lock.release()
    return run


def _guarded(lock: SyncLock, progress: Progress) -> Progress:
    """Progress reports double as checkpoints: a run whose lock was lost stops at the next one."""

    def report(info: dict[str, Any]) -> None:
        lock.check()
        progress(info)

    return report


def _close_abandoned(db: Any, models: Any, run: Any) -> None:
    """Runs left "running" by a worker that died (kill -9, lost machine) are failed now, and so are
    runs left "queued" whose RQ job no longer exists (Redis restarted without its data).

    Holding the integration's lock proves that no other run of it is alive.
    """
    model = models.SyncRun
    others = db.session.execute(db.select(model).where(
        model.integration_id == run.integration_id, model.id != run.id,
        model.status.in_((SyncStatus.running, SyncStatus.queued)))).scalars().all()
    redis = redis_connection()
    stale = []
    for other in others:
        if other.status == SyncStatus.running:
            other.message = "The worker running this sync stopped before it finished; a later run took over."
        elif other.job_id and not Job.exists(other.job_id, connection=redis):
            other.message = "This sync's job was lost from Redis before it ran; a later run took over."
        else:
            continue  # still waiting for its job (or for the limit to lift), or being requested now
        other.status, other.finished_at = SyncStatus.failed, utcnow()
        stale.append(other)
    if stale:
        db.session.commit()


def _wait_for(lock: SyncLock, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not lock.acquire():
        if time.monotonic() >= deadline:
            return False
        time.sleep(1.0)
    return True


def _run_connectors(db: Any, models: Any, run: Any, progress: Progress) -> None:
    integration = db.session.get(models.Integration, run.integration_id)
    run.status, run.started_at = SyncStatus.running, utcnow()
    run.steps.clear()
    db.session.commit()
    if integration is None or not integration.enabled:
        _finish(db, run, SyncStatus.skipped, "The integration is disabled.")
        return
    names = run.requested_connectors.split(",") if run.requested_connectors else list(CONNECTORS)
    client = client_for(integration)
    failures: list[str] = []
    for index, name in enumerate(names):
        step = models.SyncRun(integration_id=run.integration_id, parent_id=run.id, connector=name,
                              status=SyncStatus.running, started_at=utcnow(), trigger=run.trigger)
        db.session.add(step)
        db.session.commit()
        ctx = SyncContext(db=db, models=models, integration=integration, client=client,
                          started_at=step.started_at, connector=name)
        ctx.progress = _reporter(progress, ctx, index, len(names))
        error = _run_one(ctx, CONNECTORS[name])
        _record(db, step, ctx, error)
        if isinstance(error, RateLimited):
            _pause(db, run, error)
        if error is not None:
            failures.append(f"{LABELS[name]}: {error}")
            if isinstance(error, AuthError | ConfigError | LockLost):
                break  # every later call would fail the same way, or the run is no longer alone
    if client.endpoint and client.endpoint != integration.api_endpoint:
        integration.api_endpoint = client.endpoint  # discovery ran during this sync
    _finish(db, run, SyncStatus.failed if failures else SyncStatus.success,
            "; ".join(failures) or None)


def _pause(db: Any, run: Any, error: RateLimited) -> None:
    """Stop here and wait for the limit to lift; the connectors that finished keep their cursors."""
    wait = float(current_app.config["DOTDIGITAL_API_USAGE_WAIT"])
    resume_at = max(error.retry_at or 0.0, time.time() + (0 if error.retry_at else wait))
    when = datetime.fromtimestamp(resume_at, UTC).strftime("%H:%M:%S UTC")
    run.status = SyncStatus.queued
    run.message = f"Dotdigital's API limit was reached ({error.message}); the sync resumes at {when}."
    db.session.commit()
    raise SyncPaused(run.id, resume_at, run.message)


def _run_one(ctx: SyncContext, connector: Any) -> Exception | None:
    try:
        ctx.progress("starting")
        connector.run(ctx)
        _store_cursors(ctx)
        if hasattr(connector, "after_success"):
            connector.after_success(ctx)
        ctx.commit()
    except (ApiError, ConfigError, SQLAlchemyError, LockLost, RedisError) as err:
        ctx.session.rollback()
        error = _recordable(err)
        log.warning("Dotdigital %s sync of integration %s failed: %s", ctx.connector,
                    ctx.integration_id, error)
        return error
    return None


def _recordable(err: Exception) -> Exception:
    """The error as a run records it: infrastructure failures say what went away, in a line."""
    if isinstance(err, RedisError):
        # Progress and the lock live in Redis; without it the run cannot stay the only one.
        return LockLost(f"The sync stopped: Redis became unreachable ({err}).")
    if isinstance(err, SQLAlchemyError):
        # SQLAlchemy appends the statement and its parameters (contacts' emails) to its message;
        # the driver's first line says what happened (a lost connection, a locked file).
        cause = getattr(err, "orig", None) or err
        first = (str(cause).strip().splitlines() or [""])[0]
        return DatabaseFailed(f"The database failed ({type(cause).__name__}: {first})")
    return err


def _store_cursors(ctx: SyncContext) -> None:
    rows = [{"integration_id": ctx.integration_id, "connector": ctx.connector, "scope": scope,
             "last_success_start": moment} for scope, moment in ctx.new_cursors.items()]
    upsert(ctx.session, ctx.models.SyncCursor.__table__, rows,
           ["integration_id", "connector", "scope"], update=["last_success_start"])


def _record(db: Any, step: Any, ctx: SyncContext, error: Exception | None) -> None:
    for name in ("read", "created", "updated", "deleted", "errors"):
        setattr(step, name, getattr(ctx.counts, name))
    step.status = SyncStatus.failed if error is not None else SyncStatus.success
    step.message = str(error) if error is not None else None
    step.finished_at = utcnow()
    db.session.commit()


def _finish(db: Any, run: Any, status: SyncStatus, message: str | None) -> None:
    for name in ("read", "created", "updated", "deleted", "errors"):
        setattr(run, name, sum(getattr(step, name) for step in run.steps))
    run.status, run.message, run.finished_at = status, message, utcnow()
    db.session.commit()


def _reporter(progress: Progress, ctx: SyncContext, index: int, total: int) -> Callable[[str], None]:
    last = [0.0]

    def report(note: str) -> None:
        now = time.monotonic()
        if now - last[0] < 0.3 and note != "starting":
            return  # progress is for people: a few updates a second is plenty
        last[0] = now
        progress({"connector": ctx.connector, "label": LABELS[ctx.connector], "note": note,
                  "step": index + 1, "steps": total, "read": ctx.counts.read,
                  "at": datetime.now().isoformat(timespec="seconds")})

    return report
