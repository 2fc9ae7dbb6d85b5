"""Starting syncs: coalescing, one run at a time across workers, the CLI and the rq cron schedule."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from rq.cron import CronScheduler

from flask_dotdigital import jobs
from flask_dotdigital.models.enums import SyncStatus
from flask_dotdigital.redis_conn import redis_connection
from flask_dotdigital.sync.lock import SyncLock
from flask_dotdigital.sync.scheduling import request_sync

from .syncing import make_integration, runs, wait_until
from .workers import ROOT, running_workers, worker_env


@pytest.fixture
def generated(sandbox):
    sandbox.control(generate={"contacts": 5000, "seed": 1})


def test_requests_while_queued_join_the_queued_run(app):
    integration_id = make_integration().id

    def ask(_):
        with app.app_context():
            return request_sync(integration_id, trigger="button")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(ask, range(4)))
    assert sum(not a.coalesced for a in answers) == 1
    assert len(runs()) == 1
    assert {a.run_id for a in answers if a.run_id} == {runs()[0].id}


def test_two_schedule_syncs_make_one_run_and_one_follow_up_never_two_at_once(app, generated):
    integration_id = make_integration().id
    with ThreadPoolExecutor(2) as pool:
        first = list(pool.map(lambda _: _ask(app, integration_id), range(2)))
    assert sorted(a.coalesced for a in first) == [False, True]
    with running_workers(app, count=2):
        running = wait_until(lambda: [r for r in runs() if r.status == SyncStatus.running])
        # While the first run works, two more requests: one follow-up, the other joins it.
        later = [_ask(app, integration_id), _ask(app, integration_id)]
        assert [a.coalesced for a in later] == [False, True]
        done = wait_until(lambda: len(runs()) == 2 and all(
            r.status == SyncStatus.success for r in runs()) and runs(), timeout=180)
    assert running[0].id == done[0].id
    first_run, follow_up = done
    assert first_run.finished_at <= follow_up.started_at, "the two runs overlapped"


def _ask(app, integration_id):
    with app.app_context():
        return request_sync(integration_id, trigger="button")


def test_a_crashed_workers_lock_expires(app):
    integration = make_integration()
    crashed = SyncLock(redis_connection(), integration.id, ttl=1)
    assert crashed.acquire()
    crashed._stop.set()  # the heartbeat dies with the worker
    assert not SyncLock(redis_connection(), integration.id, ttl=1).acquire()
    time.sleep(1.2)
    survivor = SyncLock(redis_connection(), integration.id, ttl=1)
    assert survivor.acquire()
    survivor.release()


def test_cli_sync_wait_prints_per_connector_counts(app, generated):
    integration = make_integration()
    with running_workers(app):
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "example_app", "dotdigital", "sync",
             "--integration", integration.name, "--wait"], cwd=ROOT, env=worker_env(app),
            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Run 1: success" in out
    for label in ("Address books", "Contacts", "Campaign summaries", "Campaign opens"):
        assert label in out
    contacts_line = next(line for line in out.splitlines() if line.startswith("Contacts "))
    assert "5000" in contacts_line.split()


def test_cli_sync_refuses_an_unknown_integration(app):
    result = app.test_cli_runner().invoke(args=["dotdigital", "sync", "--integration", "Nope"])
    assert result.exit_code != 0 and 'No integration is named "Nope"' in result.output


def test_rq_cron_config_schedules_every_enabled_integration(app, monkeypatch):
    make_integration("One")
    disabled = make_integration("Two")
    disabled.enabled = False
    from example_app.models import db

    db.session.commit()
    for key, value in worker_env(app).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DOTDIGITAL_APP_FACTORY", "example_app:create_app")
    jobs.app_for.cache_clear()
    sys.modules.pop("flask_dotdigital.cron", None)
    try:
        scheduler = CronScheduler(connection=redis_connection())
        scheduler.load_config_from_file("flask_dotdigital.cron")
        jobs_by_name = {job.name: job for job in scheduler.get_jobs()}
        assert (jobs_by_name["dotdigital-sync-all"].queue_name,
                jobs_by_name["dotdigital-sync-all"].interval) == ("dotdigital", 300)
        assert jobs_by_name["dotdigital-export-status"].interval == 300
        assert jobs_by_name["dotdigital-force-fields-sync"].cron == "0 1 * * *"
        assert jobs.schedule_all("example_app:create_app") == 1  # only the enabled one
        assert jobs.schedule_all("example_app:create_app") == 0  # coalesced: still queued
    finally:
        worker_app = jobs.app_for("example_app:create_app")
        with worker_app.app_context():  # close what the in-process "worker" app opened
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
            if worker_app.extensions["dotdigital"].redis is not None:
                worker_app.extensions["dotdigital"].redis.close()
        jobs.app_for.cache_clear()
    assert [r.integration_id for r in runs()] == [1]


def test_the_hourly_cut_off_pauses_the_run_and_it_resumes(app, sandbox):
    sandbox.control(generate={"contacts": 300, "seed": 1})
    integration = make_integration()
    app.config["DOTDIGITAL_API_USAGE_WAIT"] = 2
    sandbox.control(flat_limit=4)  # ERROR_APIUSAGE_EXCEEDED from the fifth call on
    request_sync(integration.id, trigger="button")
    with running_workers(app):
        paused = wait_until(lambda: [r for r in runs() if r.message and "resumes at" in r.message])
        assert paused[0].status == SyncStatus.queued
        assert "ERROR_APIUSAGE_EXCEEDED" in paused[0].message or "excess API activity" in paused[0].message
        assert _ask(app, integration.id).coalesced, "a request while paused joins the paused run"
        sandbox.control(flat_limit=None)
        done = wait_until(lambda: [r for r in runs() if r.status == SyncStatus.success], timeout=120)
    assert [r.id for r in runs()] == [done[0].id] == [paused[0].id]


def test_a_worker_that_takes_the_job_at_once_still_frees_the_pending_key(app, generated, monkeypatch):
    """The race the soak found a way into: the job starts before request_sync returns."""
    from flask_dotdigital.sync import scheduling
    from flask_dotdigital.sync.runner import run_sync

    enqueue = scheduling._enqueue

    def worker_takes_it_at_once(run, integration_id, timeout):
        run_sync(run.id)  # what a free worker does the moment the job lands in the queue
        return enqueue(run, integration_id, timeout)

    monkeypatch.setattr(scheduling, "_enqueue", worker_takes_it_at_once)
    integration = make_integration()
    first = request_sync(integration.id, trigger="test")
    assert redis_connection().get(scheduling.pending_key(integration.id)) is None
    monkeypatch.setattr(scheduling, "_enqueue", enqueue)
    second = request_sync(integration.id, trigger="test")
    assert not second.coalesced and second.run_id != first.run_id, "a new request is not lost"
