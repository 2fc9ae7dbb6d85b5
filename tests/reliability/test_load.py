"""Load: signed-in admins browsing the extension's screens while a big sync runs, and a soak of four
workers syncing eight integrations over and over.

Sizes come from the environment, so the normal suite stays quick and ``make reliability`` runs the
issue's figures: ``DOTDIGITAL_LOAD_CONTACTS`` (5,000; the issue's 100,000), ``DOTDIGITAL_LOAD_USERS``
(50), ``DOTDIGITAL_SOAK_SECONDS`` (30; the issue's 600) and ``DOTDIGITAL_SOAK_CONTACTS`` (200 per
account). Times are reported, never asserted, except a sanity bound: the machine may be busy.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from typing import Any

from flask import Flask, url_for
from redis import Redis
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from example_app import dotdigital
from example_app.models import db
from example_app.seed import ADMIN_EMAIL, ADMIN_PASSWORD
from flask_dotdigital.models.enums import SyncStatus
from flask_dotdigital.redis_conn import app_factory_spec, sync_queue
from flask_dotdigital.sandbox.server import SandboxServer
from flask_dotdigital.sync.lock import lock_key
from flask_dotdigital.sync.scheduling import pending_key

from ..conftest import add_stat
from ..load import LocustRun
from ..load import gunicorn_server as serving
from ..syncing import make_integration, runs, wait_until
from ..workers import running_workers

M = dotdigital.models
LOAD_CONTACTS = int(os.environ.get("DOTDIGITAL_LOAD_CONTACTS", "5000"))
LOAD_USERS = int(os.environ.get("DOTDIGITAL_LOAD_USERS", "50"))
#: Users keep browsing at least this long, so a small sync still meets real traffic.
LOAD_AT_LEAST = 15.0
SOAK_SECONDS = float(os.environ.get("DOTDIGITAL_SOAK_SECONDS", "30"))
SOAK_CONTACTS = int(os.environ.get("DOTDIGITAL_SOAK_CONTACTS", "200"))
SOAK_WORKERS = 4
SOAK_INTEGRATIONS = 8
#: Seconds between two "sync every integration" jobs: rq cron's 5 minutes, compressed.
SOAK_EVERY = 3.0
FINAL = (SyncStatus.success, SyncStatus.failed, SyncStatus.skipped)


def contacts_of(integration_id: int) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(M.Contact).where(
        M.Contact.integration_id == integration_id)) or 0)


# -- 50 admins while a big sync runs ---------------------------------------------------------------

#: The screens the issue names; each must be among the pages found in the URL map.
NAMED = {"integration", "sync runs", "contacts", "activities", "marketing lists", "data fields",
         "data field mappings"}


def admin_pages(app: Flask, integration_id: int) -> dict[str, str]:
    """Every GET page of the extension's admin menu (from the URL map), plus the pages people open
    on the way: one integration, its sync status (JSON), a later grid page and a search."""
    pages = {"admin home": "/admin/"}
    for rule in app.url_map.iter_rules():
        view, _, method = rule.endpoint.partition(".")
        if view.startswith("dotdigital_") and method in ("index", "index_view") and not rule.arguments:
            pages[view.removeprefix("dotdigital_").replace("_", " ")] = rule.rule
    assert set(pages) >= NAMED, sorted(pages)
    with app.test_request_context():
        pages["integration page"] = url_for("dotdigital_integration.edit_view", id=integration_id)
        pages["sync status (JSON)"] = url_for("dotdigital_integration.sync_status", id=integration_id)
        pages["contacts, page 3"] = url_for("dotdigital_contacts.index_view", page=2)
        pages["contacts, search"] = url_for("dotdigital_contacts.index_view", search="123")
    return pages


def finished(run_id: int) -> Any:
    run = next(r for r in runs() if r.id == run_id)
    return run if run.status in FINAL else None


def test_admins_browse_without_errors_while_a_big_sync_runs(app, sandbox, tmp_path):
    sandbox.generate(contacts=LOAD_CONTACTS)
    integration = make_integration()
    pages = admin_pages(app, integration.id)
    from flask_dotdigital.sync.scheduling import request_sync

    run_id = request_sync(integration.id, trigger="test").run_id
    with serving(app) as base:
        load = LocustRun(base, pages, users=LOAD_USERS, email=ADMIN_EMAIL, password=ADMIN_PASSWORD,
                         folder=tmp_path)
        try:
            wait_until(lambda: load.running_users() >= LOAD_USERS, 120, interval=0.5,
                       describe=lambda: f"{LOAD_USERS} users")
            began = time.monotonic()
            with running_workers(app, 1):
                # Generous: 100k contacts took 2.5 min on SQLite but 10 min on PostgreSQL on a busy box.
                run = wait_until(lambda: finished(run_id), 600 + LOAD_CONTACTS / 50, interval=0.5)
            sync_seconds = time.monotonic() - began
            time.sleep(max(0.0, LOAD_AT_LEAST - sync_seconds))
        finally:
            load_seconds = time.monotonic() - load.started
            figures = load.stop()
    report = (f"{LOAD_USERS} users, {figures.requests:,} requests in {load_seconds:.0f} s, "
              f"{figures.failures} failed; pages (sign-ins aside): p50 {figures.p50:.0f} ms, "
              f"p95 {figures.p95:.0f} ms, "
              f"max {figures.max:.0f} ms; sync of {LOAD_CONTACTS:,} contacts took {sync_seconds:.0f} s")
    slowest = sorted(figures.p95_per_page.items(), key=lambda item: -item[1])[:5]
    print(report, "; slowest pages (p95 ms):", ", ".join(f"{name} {ms:.0f}" for name, ms in slowest))
    assert figures.failures == 0, "\n".join([report, *figures.errors[:20]])
    assert run.status == SyncStatus.success, run.message
    assert contacts_of(integration.id) == LOAD_CONTACTS
    # Every user signed in, and every page (the JSON status most of all) was asked for under load.
    assert figures.per_page.get("POST sign in") == LOAD_USERS, figures.per_page
    assert all(figures.per_page.get(f"GET {name}", 0) > 0 for name in pages), figures.per_page
    assert figures.p95 < 10_000, report  # a sanity bound only: the figure itself is reported
    add_stat("admin users under load", LOAD_USERS)
    add_stat("admin requests under load", figures.requests)
    add_stat("admin error responses", figures.failures)
    add_stat("admin p50 ms", round(figures.p50))
    add_stat("admin p95 ms", round(figures.p95))
    add_stat("admin max ms", round(figures.max))
    add_stat("contacts synced under load", LOAD_CONTACTS)
    add_stat("sync under load s", round(sync_seconds))


# -- 4 workers, 8 integrations, over and over ------------------------------------------------------

def soak_accounts(stack: ExitStack, sandbox: SandboxServer) -> list[SandboxServer]:
    """Eight Dotdigital accounts: the test's sandbox and seven more servers, each its own API user."""
    servers = [sandbox] + [stack.enter_context(SandboxServer(username=f"soak{k}@apiconnector.com",
                                                             account_name=f"Soak account {k}"))
                           for k in range(1, SOAK_INTEGRATIONS)]
    for k, server in enumerate(servers):
        server.generate(contacts=SOAK_CONTACTS, books=2, campaigns=2, seed=k + 1)
    return servers


def soak_integration(k: int, server: SandboxServer) -> int:
    # Discovery already done: each integration talks to its own account.
    integration = M.Integration(type="dotdigital", name=f"Soak {k}", enabled=True, default_owner_id=1,
                                **server.integration_settings())
    db.session.add(integration)
    db.session.commit()
    return integration.id


def drained(queue: Any) -> bool:
    registries = (StartedJobRegistry(queue=queue), ScheduledJobRegistry(queue=queue))
    return queue.count == 0 and all(r.count == 0 for r in registries) and all(
        run.status in FINAL for run in runs())


def queue_state(queue: Any) -> str:
    """What is still going on, for a drain that never ends."""
    open_runs = [(r.id, r.integration_id, str(r.status), r.job_id, r.message) for r in runs()
                 if r.status not in FINAL]
    return (f"queued {queue.get_job_ids()}, started {StartedJobRegistry(queue=queue).get_job_ids()}, "
            f"scheduled {ScheduledJobRegistry(queue=queue).get_job_ids()}, open runs {open_runs}")


def failure(queue: Any, job_id: str) -> str:
    job = queue.fetch_job(job_id)
    result = job.latest_result() if job is not None else None
    return f"{job_id}: {job.description if job else '?'}: {result.exc_string if result else '?'}"


def overlaps(all_runs: list[Any]) -> list[tuple[int, int]]:
    """Pairs of runs of one integration whose running times overlap."""
    by_integration: dict[int, list[Any]] = defaultdict(list)
    for run in all_runs:
        by_integration[run.integration_id].append(run)
    found = []
    for mine in by_integration.values():
        mine.sort(key=lambda r: r.started_at)
        found += [(a.id, b.id) for a, b in zip(mine, mine[1:], strict=False)
                  if b.started_at < a.finished_at]
    return found


def test_four_workers_sync_eight_integrations_over_and_over(app, sandbox):
    # Runs on both databases. On SQLite (one writer at a time) it checks the Redis lock, the pending
    # run and RQ's bookkeeping; the fair concurrency test is the run on PostgreSQL (DATABASE_URL set,
    # as in CI's second pass).
    redis = Redis.from_url(app.config["DOTDIGITAL_REDIS_URL"])
    with ExitStack() as stack:
        servers = soak_accounts(stack, sandbox)
        ids = [soak_integration(k, server) for k, server in enumerate(servers)]
        queue = sync_queue()
        rounds = 0
        with running_workers(app, SOAK_WORKERS):
            stop_at = time.monotonic() + SOAK_SECONDS
            while time.monotonic() < stop_at:
                # What `rq cron flask_dotdigital.cron` enqueues, and changes made on Dotdigital's side.
                queue.enqueue("flask_dotdigital.jobs.schedule_all", app_factory_spec(),
                              description="dotdigital-sync-all (as rq cron)")
                for server in servers:
                    server.control(touch_contacts={"count": 10, "seed": rounds})
                rounds += 1
                time.sleep(SOAK_EVERY)
            wait_until(lambda: drained(queue), 300 + SOAK_SECONDS, interval=0.5,
                       describe=lambda: f"the workers to drain the queue {queue_state(queue)}")
        all_runs = runs()
        failures = [failure(queue, job_id) for job_id in FailedJobRegistry(queue=queue).get_job_ids()]
        # The lock and the pending-run keys of every integration (lock.py, scheduling.py).
        leaks = [key for i in ids for key in (lock_key(i), pending_key(i)) if redis.exists(key)]
        per_integration = Counter(run.integration_id for run in all_runs)
        statuses = Counter(str(run.status) for run in all_runs)
        print(f"{len(all_runs)} runs of {SOAK_INTEGRATIONS} integrations by {SOAK_WORKERS} workers in "
              f"{SOAK_SECONDS:.0f} s ({rounds} schedules): {dict(statuses)}; per integration "
              f"{sorted(per_integration.values())}")
        assert statuses == {"success": len(all_runs)}, [(r.id, r.integration_id, str(r.status), r.message)
                                                        for r in all_runs if r.status != SyncStatus.success]
        assert all(step.status == SyncStatus.success for run in all_runs for step in run.steps)
        assert not overlaps(all_runs)
        assert not leaks, leaks
        assert not failures, failures
        assert set(per_integration) == set(ids)
        if SOAK_SECONDS >= 4 * SOAK_EVERY:
            assert min(per_integration.values()) >= 2, per_integration  # synced again and again
        assert all(contacts_of(i) == SOAK_CONTACTS for i in ids)
    add_stat("soak integrations", SOAK_INTEGRATIONS)
    add_stat("soak workers", SOAK_WORKERS)
    add_stat("soak seconds", round(SOAK_SECONDS))
    add_stat("soak runs finished", len(all_runs))
    add_stat("soak lock leaks", len(leaks))
