"""Redis restarted, and the database away for a moment, in the middle of a sync run by a real RQ
worker: the run ends recorded (failed, naming the cause) or is retried by RQ, no cursor moves past
data that was not stored, and the retry leaves exactly the sandbox's data.

Each test first syncs the account, then changes contacts and activity "on Dotdigital's side", so
the interrupted run has new data to fetch: a cursor moved without that data being stored would
make the retry skip it, and the final comparison with the sandbox would fail.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from rq.job import Job
from sqlalchemy.engine import make_url

from example_app.models import db
from flask_dotdigital.models.enums import SyncStatus
from flask_dotdigital.redis_conn import redis_connection
from flask_dotdigital.sync.scheduling import request_all, request_sync

from ..conftest import add_stat, app_config, fresh_app
from ..syncing import make_integration, mapping, models, runs, steps, wait_until
from ..test_sync_import import assert_matches_sandbox
from ..workers import run_burst, running_workers
from .outages import RedisServer, TcpProxy, descendants, kill_all, sqlite_locked

#: Every API call takes a second: the run is surely in the middle of its connectors at the fault.
SLOW = {"rate": 1.0, "faults": [{"status": "stall", "seconds": 1.0}]}
DONE = (SyncStatus.success, SyncStatus.failed, SyncStatus.skipped)


@pytest.fixture
def own_redis(tmp_path: Any) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_app(tmp_path: Any, sandbox: Any, own_redis: RedisServer) -> Iterator[Any]:
    """The test app, on a Redis server that only this test uses (and kills)."""
    app = fresh_app(app_config(tmp_path, sandbox, DOTDIGITAL_REDIS_URL=own_redis.url))
    with app.app_context():
        yield app
        db.session.remove()


class Watch:
    """Checks, whenever the test looks, that the contact cursors have not moved past the contacts
    changed on Dotdigital's side unless those changes are stored."""

    def __init__(self, sandbox: Any) -> None:
        self.before = self.cursors()
        touched = sandbox.control(touch_contacts={"count": 60, "seed": 7})["touched"]
        sandbox.control(add_activity={"count": 10})
        members = {c["id"] for c in sandbox.state()["data"]["contacts"] if c["memberships"]}
        #: contact id → new first name, for the touched contacts that the import brings in
        self.touched = {t["id"]: t["dataFields"]["FIRSTNAME"] for t in touched if t["id"] in members}
        assert self.touched, "the sandbox touched no contact that belongs to a book"
        self.looks = 0

    @staticmethod
    def cursors() -> dict[tuple[str, str], Any]:
        db.session.rollback()  # see other connections' commits
        cursor = models.SyncCursor
        return {(c, s): at for c, s, at in db.session.execute(
            db.select(cursor.connector, cursor.scope, cursor.last_success_start))}

    def stored_first_names(self) -> dict[int, Any]:
        fields = mapping(models.Contact, "origin_id", "data_fields")
        return {origin: (fields.get(origin) or {}).get("FIRSTNAME") for origin in self.touched}

    def __call__(self) -> None:
        moved = {key for key, at in self.cursors().items()
                 if key[0] == "contact" and at != self.before.get(key)}
        if moved:  # cursors are read first: data committed before them is visible by now
            assert self.stored_first_names() == self.touched, f"{sorted(moved)} moved, data missing"
        self.looks += 1


def step_running(run_id: int, connector: str) -> bool:
    db.session.rollback()
    run = db.session.get(models.SyncRun, run_id)
    step = steps(run).get(connector)
    return step is not None and step.status == SyncStatus.running


def finished(run_id: int) -> Any:
    run = next(r for r in runs() if r.id == run_id)
    return run if run.status in DONE else None


def first_sync(app: Any, sandbox: Any) -> Any:
    sandbox.control(generate={"contacts": 1000, "books": 3, "campaigns": 4, "seed": 5})
    integration = make_integration()
    request = request_sync(integration.id, trigger="test")
    run_burst(app)
    assert finished(request.run_id).status == SyncStatus.success
    return integration


def retry_by_schedule(app: Any, watch: Watch) -> Any:
    """What ``rq cron`` does every few minutes: request a sync of every enabled integration."""
    (request,) = request_all(trigger="schedule")
    assert not request.coalesced, "a pending key outlived the outage and swallowed the request"
    with running_workers(app):
        return wait_until(lambda: finished(request.run_id), 120, before=watch)


def assert_final_state(sandbox: Any, watch: Watch) -> int:
    """The retry's result equals the sandbox, the touched contacts included; nothing is left active."""
    watch()
    data = sandbox.state()["data"]
    assert_matches_sandbox(data)
    assert watch.stored_first_names() == watch.touched
    assert not [r for r in runs() if r.status in (SyncStatus.queued, SyncStatus.running)]
    assert watch.looks > 10, "the cursor invariant was hardly checked"
    return len(data["contacts"])


def test_redis_restarted_mid_run(redis_app, own_redis, sandbox):
    app = redis_app
    integration = first_sync(app, sandbox)
    watch = Watch(sandbox)
    sandbox.control(fault_rate=SLOW)
    request = request_sync(integration.id, trigger="test")
    workers: set[int] = set()
    with running_workers(app, DOTDIGITAL_LOCK_TTL=3) as (worker,):
        wait_until(lambda: step_running(request.run_id, "contact"), 90, before=watch)
        follow_up = request_sync(integration.id, trigger="test")  # queued behind the running run
        assert not follow_up.coalesced
        workers |= {worker.pid, *descendants(worker.pid)}
        own_redis.kill()  # no persistence: the lock, the jobs and the pending key are gone
        run = wait_until(lambda: finished(request.run_id), 90, before=watch)
        workers |= descendants(worker.pid)
        own_redis.start()  # empty
        sandbox.control(fault_rate=None)
    kill_all(workers)  # a worker that lost Redis may leave its work horse or scheduler behind

    # Recorded failed, naming Redis; the connector it was in stopped there and nothing ran after it.
    assert run.status == SyncStatus.failed, run.message
    assert "Redis" in run.message, run.message
    recorded = [(s.connector, s.status) for s in run.steps]
    assert recorded[-1][1] == SyncStatus.failed, recorded
    assert all(status == SyncStatus.success for _, status in recorded[:-1]), recorded
    # A cursor moved only for the connectors that finished (their data is stored).
    succeeded = {s.connector: s.started_at for s in run.steps if s.status == SyncStatus.success}
    for (connector, scope), at in watch.cursors().items():
        if at != watch.before.get((connector, scope)):
            assert succeeded.get(connector) == at, (connector, scope, at)

    retry = retry_by_schedule(app, watch)
    assert retry.status == SyncStatus.success, retry.message
    lost = next(r for r in runs() if r.id == follow_up.run_id)
    assert lost.status == SyncStatus.failed and "lost from Redis" in lost.message, lost.message
    rows = assert_final_state(sandbox, watch)
    add_stat("faults injected", 1)  # the Redis kill
    add_stat("faults recovered", 1)
    add_stat("rows compared", rows)


@contextmanager
def database_outage(app: Any) -> Iterator[tuple[dict[str, str], Callable[[], str]]]:
    """Worker settings and a function that takes the database away for a few seconds.

    PostgreSQL: the workers connect through a TCP proxy that drops every connection and refuses
    new ones for 4 s. SQLite has no network, so the equivalent is the file locked by another
    connection for 8 s, longer than the 5 s busy timeout: every statement fails as "database is
    locked". Either returns a word the failure message must contain.
    """
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        def lock() -> str:
            db.session.rollback()  # this test's own connection must not hold the file either
            with sqlite_locked(str(url.database)):
                time.sleep(8)
            return "database is locked"

        yield {}, lock
        return
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)

    def cut() -> str:
        proxy.cut(4)
        time.sleep(4)
        assert proxy.dropped, "the worker had no database connection open at the cut"
        return "OperationalError"

    try:
        yield {"DATABASE_URL": proxied}, cut
    finally:
        proxy.close()


def test_database_unreachable_mid_run(app, sandbox):
    integration = first_sync(app, sandbox)
    watch = Watch(sandbox)
    sandbox.control(fault_rate=SLOW)
    request = request_sync(integration.id, trigger="test")
    with database_outage(app) as (env, outage), running_workers(app, DOTDIGITAL_LOCK_TTL=3, **env):
        wait_until(lambda: step_running(request.run_id, "contact"), 90, before=watch)
        cause = outage()
        sandbox.control(fault_rate=None)
        # Either the failure is recorded on the run, or (when even that could not be written)
        # the job fails and RQ's retry runs the same run again 10 s later.
        run = wait_until(lambda: finished(request.run_id), 120, before=watch)
    if run.status == SyncStatus.failed:
        assert cause in run.message, run.message
        failed = [s for s in run.steps if s.status == SyncStatus.failed]
        assert failed and all(cause in s.message for s in failed), [(s.connector, s.message) for s in failed]
        # One line for the admin: no SQL statement, and none of the contacts' emails in its parameters.
        assert all("\n" not in s.message and "@" not in s.message for s in failed), failed[0].message
        run = retry_by_schedule(app, watch)
    else:
        job = Job.fetch(run.job_id, connection=redis_connection())
        assert job.retries_left is not None and job.retries_left < 3, "the outage hit nothing"
    assert run.status == SyncStatus.success, run.message
    rows = assert_final_state(sandbox, watch)
    add_stat("faults injected", 1)  # the outage
    add_stat("faults recovered", 1)
    add_stat("rows compared", rows)

