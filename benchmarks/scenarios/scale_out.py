"""Scenario 9: four integrations synced by one RQ worker, then by two.

Each integration is a full sync (every connector) of the same generated sandbox account into its
own rows; each worker count gets a fresh database. Ours is the two-worker time, the baseline the
one-worker time, both from enqueueing to the last worker's exit (worker start-up included).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..env import Bench, make_integration
from ..harness import Row, ratio_row
from ..workers import sync_with_workers

NAMES = ("scale_out",)
INTEGRATIONS = 4


def run(bench: Bench, sizes: Any, profile: Any) -> list[Row]:
    times, outcomes = {}, {}
    for workers in (1, 2):
        bench.reset_sandbox()
        bench.sandbox.generate(contacts=sizes.scale_contacts, books=3, campaigns=4)
        app = bench.app(f"scale-{workers}")
        with app.app_context():
            ids = [make_integration(f"Account {k + 1}").id for k in range(INTEGRATIONS)]
            times[workers], runs = sync_with_workers(app, ids, workers)
            outcomes[workers] = Counter(str(run.status) for run in runs)
    size = f"{INTEGRATIONS} x {sizes.scale_contacts:,}"
    return [ratio_row("9 scale-out: 2 workers vs 1", size, times[2], times[1], 0.65,
                      notes=[f"full syncs of {INTEGRATIONS} integrations, each of a {sizes.scale_contacts:,}-"
                             f"contact account (3 books, 4 campaigns); run outcomes with 1 worker "
                             f"{dict(outcomes[1])}, with 2 {dict(outcomes[2])}"])]
