"""A worker killed with SIGKILL in the middle of an export: its lock expires, the run is finished by
RQ's retry or closed by a later run, and Dotdigital ends up with exactly the list (an upload sent
twice is harmless: the import is an upsert)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from sqlalchemy import select

from example_app.models import db
from flask_dotdigital.models.enums import SyncStatus
from flask_dotdigital.sync.scheduling import request_sync

from ..conftest import add_stat
from ..exporting import M, book_members, connected_list, run_inline, seed_contacts, settle, uploads, waiting
from ..syncing import runs, wait_until
from ..workers import running_workers


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (RQ's work horse runs in a session of its own)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def export_started():
    db.session.expire_all()
    return db.session.execute(select(M.SyncRun).where(
        M.SyncRun.connector == "contact_export", M.SyncRun.status == SyncStatus.running)).first()


def test_a_killed_worker_loses_nothing(app, sandbox):
    seed_contacts(8_000)
    integration, _, book = connected_list()
    app.config["DOTDIGITAL_LOCK_TTL"] = 3
    app.config["DOTDIGITAL_EXPORT_BATCH_SIZE"] = 1000  # several uploads, so the kill lands mid-export
    request_sync(integration.id, trigger="test", connectors=["contact_export"])
    # Every API call takes 0.7 s, so the export is surely in the middle of its 8 uploads at the kill.
    sandbox.control(fault_rate={"rate": 1.0, "faults": [{"status": "stall", "seconds": 0.7}]})
    with running_workers(app, DOTDIGITAL_LOCK_TTL=3, DOTDIGITAL_EXPORT_BATCH_SIZE=1000) as (worker,):
        wait_until(export_started)
        wait_until(lambda: uploads(sandbox))
        for pid in [*children(worker.pid), worker.pid]:  # the work horse (its own session), then the worker
            os.kill(pid, signal.SIGKILL)
        time.sleep(1)  # an upload already on the wire may still be answered
        at_kill = len(uploads(sandbox))
        time.sleep(2)
        assert len(uploads(sandbox)) == at_kill < 8, "the export was cut off in the middle"
    (dead,) = runs()
    assert dead.status == SyncStatus.running  # nobody could say otherwise yet
    sandbox.control(fault_rate=None)

    request_sync(integration.id, trigger="test", connectors=["contact_export"])
    with running_workers(app, DOTDIGITAL_LOCK_TTL=3, DOTDIGITAL_EXPORT_BATCH_SIZE=1000):
        wait_until(lambda: len(runs()) == 2 and runs()[1].status in (SyncStatus.success, SyncStatus.failed),
                   timeout=180)
    first, second = runs()
    assert second.status == SyncStatus.success, second.message
    # Either RQ retried the dead job (the same run finished) or the later run closed it as abandoned.
    assert first.status == SyncStatus.success or (
        first.status == SyncStatus.failed and "stopped before it finished" in first.message), first.message
    # Members not sent before the kill still wait: the next runs send them once the book's
    # earlier import has settled (a book waits for its previous import).
    for _ in range(6):
        settle(integration.id, rounds=8)
        if not waiting(book):
            break
        assert run_inline(integration.id, "contact_export").status == SyncStatus.success
    assert waiting(book) == 0
    members = book_members(sandbox, book.origin_id)
    assert len(members) == 8_000
    add_stat("faults injected", 1)  # the SIGKILL
    add_stat("faults recovered", 1)
    add_stat("rows compared", len(members))
    assert members["c7999@example.com"]["FIRSTNAME"] == "F7999"
