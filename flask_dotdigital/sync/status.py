"""What admins and the CLI see of a sync: the latest run, its steps and live progress."""

from __future__ import annotations

from typing import Any

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job

from ..labels import sync_run_status
from ..models.enums import SyncStatus
from ..redis_conn import redis_connection
from .connectors import CONNECTORS, LABELS

ACTIVE = (SyncStatus.queued, SyncStatus.running)


def latest_run(integration_id: int) -> Any:
    ext = current_app.extensions["dotdigital"].ext
    model = ext.models.SyncRun
    return ext.db.session.execute(
        ext.db.select(model).where(model.integration_id == integration_id, model.parent_id.is_(None))
        .order_by(model.id.desc()).limit(1)).scalar()


def live_progress(run: Any) -> dict[str, Any] | None:
    """The running job's ``meta["progress"]``, or None."""
    if run is None or run.status not in ACTIVE or not run.job_id:
        return None
    try:
        return Job.fetch(run.job_id, connection=redis_connection()).meta.get("progress")
    except (NoSuchJobError, ValueError):
        return None


def describe(run: Any) -> dict[str, Any]:
    """A JSON-friendly view of a run, for the progress bar."""
    if run is None:
        return {"status": None, "text": "Never synced"}
    total = len(run.requested_connectors.split(",")) if run.requested_connectors else len(CONNECTORS)
    done = sum(1 for step in run.steps if step.status not in ACTIVE)
    progress = live_progress(run)
    return {
        "id": run.id, "status": str(run.status), "active": run.status in ACTIVE,
        "steps_done": done, "steps_total": total,
        "percent": round(100 * (done / total if total else 1)),
        "current": f'{progress["label"]}: {progress["note"]} ({progress["read"]} read)' if progress else None,
        "text": status_text(run),
        "steps": [{"connector": LABELS.get(s.connector, s.connector), "status": str(s.status),
                   "read": s.read, "created": s.created, "updated": s.updated, "deleted": s.deleted,
                   "errors": s.errors, "message": s.message} for s in run.steps],
    }


def status_text(run: Any) -> str:
    if run is None:
        return "Never synced"
    when = run.finished_at or run.started_at or run.requested_at
    stamp = when.strftime("%Y-%m-%d %H:%M UTC") if when else ""
    return f"{sync_run_status(run.status)} {stamp}".strip()
