"""RQ entry points. They take ids (never ORM objects), build the host app once per worker process
from its factory, push an app context and call into :mod:`flask_dotdigital.sync`.
"""

from __future__ import annotations

import importlib
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
    """Run the queued SyncRun ``run_id``."""
    from .sync.runner import run_sync

    with app_for(app_factory).app_context():
        run = run_sync(run_id, progress=_save_progress)
        return f"run {run_id}: {run.status if run is not None else 'missing'}"


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
