"""Scenario 9: four integrations synced by one RQ worker, then by two.

Each integration is a full sync (every connector) of its own Dotdigital account: four sandbox
servers, each its own API user, with the same generated data. (Four integrations of one account
would share that account's call budget, whose calls start a short gap apart while the limit is
unknown: the workers would then take turns on the API, whatever their number.) Each worker count
gets a fresh database. Ours is the two-worker time, the baseline the one-worker time, both from
enqueueing to the last worker's exit (worker start-up included).
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import ExitStack
from typing import Any

from example_app.models import db
from flask_dotdigital.sandbox.server import SandboxServer

from ..env import Bench, M
from ..harness import Row, ratio_row
from ..workers import sync_with_workers

NAMES = ("scale_out",)
INTEGRATIONS = 4


def run(bench: Bench, sizes: Any, profile: Any) -> list[Row]:
    times, outcomes, cpu = {}, {}, {}
    with ExitStack() as stack:
        servers = [bench.sandbox] + [
            stack.enter_context(SandboxServer(username=f"scale{k}@apiconnector.com",
                                              account_name=f"Scale account {k}"))
            for k in range(1, INTEGRATIONS)]
        for workers in (1, 2):
            for server in servers:
                server.control(reset=True)
                server.generate(contacts=sizes.scale_contacts, books=3, campaigns=4)
            app = bench.app(f"scale-{workers}")
            with app.app_context():
                ids = [_integration(k, server) for k, server in enumerate(servers, start=1)]
                cpu[workers] = {}
                times[workers], runs = sync_with_workers(app, ids, workers, cpu=cpu[workers])
                outcomes[workers] = Counter(str(run.status) for run in runs)
    size = f"{INTEGRATIONS} x {sizes.scale_contacts:,}"
    cores = os.cpu_count() or 1
    busy = cpu[2]["workers"] + cpu[2]["here"]
    return [ratio_row("9 scale-out: 2 workers vs 1", size, times[2], times[1], 0.65,
                      notes=[f"full syncs of {INTEGRATIONS} integrations, each of its own "
                             f"{sizes.scale_contacts:,}-contact account (3 books, 4 campaigns); "
                             f"run outcomes with 1 worker "
                             f"{dict(outcomes[1])}, with 2 {dict(outcomes[2])}",
                             f"CPU seconds with 1 worker: workers {cpu[1]['workers']:.1f}, sandbox and "
                             f"benchmark {cpu[1]['here']:.1f}; with 2: workers {cpu[2]['workers']:.1f}, "
                             f"sandbox and benchmark {cpu[2]['here']:.1f}. On {cores} cores the 2-worker "
                             f"run cannot take less than {busy / cores:.2f} s, "
                             f"{busy / cores / times[1]:.2f}x the 1-worker time"])]


def _integration(k: int, server: SandboxServer) -> int:
    integration = M.Integration(type="dotdigital", name=f"Account {k}", enabled=True, default_owner_id=1,
                                **server.integration_settings())
    db.session.add(integration)
    db.session.commit()
    return int(integration.id)
