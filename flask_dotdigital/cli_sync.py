"""``flask dotdigital sync``: queue syncs, optionally wait with a progress bar and print a summary."""

from __future__ import annotations

import sys
import time
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker
from rq.job import Job

from .models.enums import SyncStatus
from .redis_conn import redis_connection, sync_queue
from .sync.connectors import CONNECTORS, LABELS

FINISHED = {SyncStatus.success, SyncStatus.failed, SyncStatus.skipped}


def _ext() -> Any:
    return current_app.extensions["dotdigital"].ext


def _integrations(name: str | None) -> list[Any]:
    ext = _ext()
    model = ext.models.Integration
    query = ext.db.select(model).order_by(model.name)
    query = query.where(model.name == name) if name else query.where(model.enabled.is_(True))
    found = list(ext.db.session.execute(query).scalars())
    if name and not found:
        raise click.ClickException(f'No integration is named "{name}".')
    return found


@click.command("sync")
@click.option("--integration", "name", default=None, help="Only this integration (default: all enabled).")
@click.option("--connector", "connectors", multiple=True, type=click.Choice(list(CONNECTORS)),
              help="Only these connectors (repeatable; default: all, in Oro's order).")
@click.option("--wait", is_flag=True, help="Wait for the runs, with a progress bar and a summary table.")
@with_appcontext
def sync_command(name: str | None, connectors: tuple[str, ...], wait: bool) -> None:
    """Queue a sync on the RQ queue (a worker runs it)."""
    from .sync.scheduling import request_sync

    runs = []
    for integration in _integrations(name):
        request = request_sync(integration.id, trigger="cli", connectors=list(connectors) or None)
        state = "joined the queued run" if request.coalesced else "queued"
        click.echo(f'{integration.name}: sync {state} (run {request.run_id}).')
        if request.run_id is not None:
            runs.append(request.run_id)
    if not runs:
        click.echo("Nothing to sync.")
        return
    if not wait:
        return
    if not Worker.all(queue=sync_queue()):
        click.echo(f'No RQ worker listens on "{current_app.config["DOTDIGITAL_QUEUE"]}" yet; start one '
                   f'with `rq worker --url <redis> {current_app.config["DOTDIGITAL_QUEUE"]}`.', err=True)
    finished = [_wait(run_id) for run_id in runs]
    for run in finished:
        _summary(run)
    sys.exit(0 if all(run.status == SyncStatus.success for run in finished) else 1)


def _wait(run_id: int) -> Any:
    ext = _ext()
    db, model = ext.db, ext.models.SyncRun
    run = db.session.get(model, run_id)
    total = len(run.requested_connectors.split(",")) if run.requested_connectors else len(CONNECTORS)
    done = 0
    with click.progressbar(length=total, label=f"Run {run_id}", show_pos=True,
                           item_show_func=lambda note: note) as bar:
        while True:
            db.session.expire_all()
            run = db.session.get(model, run_id)
            finished_steps = sum(1 for step in run.steps if step.status in FINISHED)
            bar.update(finished_steps - done, _progress_note(run))
            done = finished_steps
            if run.status in FINISHED:
                return run
            time.sleep(0.5)


def _progress_note(run: Any) -> str:
    if run.job_id:
        try:
            info = Job.fetch(run.job_id, connection=redis_connection()).meta.get("progress")
        except Exception:  # noqa: BLE001 - a missing job only means no progress to show
            info = None
        if info:
            return f'{info["label"]}: {info["note"]} ({info["read"]} read)'
    return str(run.status)


def _summary(run: Any) -> None:
    click.echo(f"\nRun {run.id}: {run.status}" + (f" — {run.message}" if run.message else ""))
    header = ("Connector", "Status", "Read", "Created", "Updated", "Deleted", "Errors", "Seconds")
    rows = [header] + [
        (LABELS.get(s.connector, s.connector), str(s.status), str(s.read), str(s.created),
         str(s.updated), str(s.deleted), str(s.errors), f"{s.duration or 0:.1f}") for s in run.steps]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        click.echo("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths, strict=True))))
