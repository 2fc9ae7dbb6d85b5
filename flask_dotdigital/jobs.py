"""RQ entry points. They take ids (never ORM objects), build the host app once per worker process
from its factory, push an app context and call into :mod:`flask_dotdigital.sync`.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from functools import cache
from typing import Any

from flask import Flask, current_app
from rq import get_current_job


@cache
def app_for(factory: str) -> Flask:
    """The host app, built once per worker process from ``module:function``."""
    module_name, _, function = factory.partition(":")
    app = getattr(importlib.import_module(module_name), function or "create_app")()
    if "dotdigital" not in app.extensions:
        raise RuntimeError(f"{factory} built an app without flask-dotdigital.")
    return app


def _save_progress(info: dict[str, Any]) -> None:
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = info
        job.save_meta()


def sync_integration(run_id: int, app_factory: str) -> str:
    """Run the queued SyncRun ``run_id``; when Dotdigital's limit stops it, schedule the rest."""
    from .sync.runner import SyncPaused, run_sync

    with app_for(app_factory).app_context():
        try:
            run = run_sync(run_id, progress=_save_progress)
        except SyncPaused as paused:
            _resume_later(paused, app_factory)
            return f"run {run_id}: paused ({paused})"
        return f"run {run_id}: {run.status if run is not None else 'missing'}"


def _resume_later(paused: Any, app_factory: str) -> None:
    """Enqueue the same run at ``resume_at`` (workers run with ``--with-scheduler``)."""
    from .redis_conn import redis_connection, sync_queue
    from .sync.scheduling import pending_key

    ext = current_app.extensions["dotdigital"].ext
    run = ext.db.session.get(ext.models.SyncRun, paused.run_id)
    timeout = int(current_app.config["DOTDIGITAL_JOB_TIMEOUT"])
    when = datetime.fromtimestamp(paused.resume_at, UTC)
    job = sync_queue().enqueue_at(
        when, "flask_dotdigital.jobs.sync_integration", paused.run_id, app_factory,
        job_id=f"dotdigital-sync-{paused.run_id}-resume-{int(paused.resume_at)}", job_timeout=timeout)
    run.job_id = job.id
    ext.db.session.commit()
    # New requests join the paused run instead of queueing another one.
    redis_connection().set(pending_key(run.integration_id), str(run.id), ex=timeout)


def schedule_all(app_factory: str) -> int:
    """Queue a sync of every enabled integration (registered with ``rq cron``)."""
    from .sync.scheduling import request_all

    with app_for(app_factory).app_context():
        return sum(1 for request in request_all(trigger="schedule") if not request.coalesced)


def poll_export_status(app_factory: str) -> int:
    """Queue the export-status step for integrations with unsettled uploads (every 5 minutes)."""
    from .sync.scheduling import request_sync

    with app_for(app_factory).app_context():
        state = current_app.extensions["dotdigital"]
        models, db = state.ext.models, state.ext.db
        export = models.ContactExport
        ids = db.session.execute(db.select(export.integration_id).where(
            (export.status == "NotFinished") | export.faults_processed.is_(False)).distinct()).scalars()
        return sum(1 for i in ids
                   if not request_sync(i, trigger="schedule", connectors=["export_status"]).coalesced)


def force_fields_sync(app_factory: str) -> int:
    """The daily force sync of mapped fields (``DOTDIGITAL_FORCE_SYNC``, Oro §5)."""
    from .sync.force import force_sync

    with app_for(app_factory).app_context():
        return force_sync()
