"""Scenario 8: two workers syncing under the sandbox's tiered limit, with three times the calls
the limit allows per window.

First the same two syncs run with no limit, which gives the calls they need (T) and their free
time. The limit is then set to T/3 calls per window and the syncs run again. The theoretical
minimum is ``(windows - 1) * window`` plus the free time of the calls left for the last window.
Only the first 429 of each window is allowed; anything more means the workers do not share what
they learned about the budget. Both integrations use the same API user, so the two workers share
one account's budget in Redis (flask_dotdigital.api.budget). The full mode uses the real 60 s
window; the quick and smoke modes shrink the sandbox's window (its ``MINUTE``) so that they stay
short.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask_dotdigital.sandbox import state as sandbox_state

from ..env import Bench, make_integration
from ..exporting import api_calls, call_count
from ..harness import Row
from ..workers import sync_with_workers

NAMES = ("rate_limit",)


@contextmanager
def window(seconds: float) -> Iterator[None]:
    saved = sandbox_state.MINUTE
    sandbox_state.MINUTE = seconds
    try:
        yield
    finally:
        sandbox_state.MINUTE = saved


def _account(bench: Bench, limit: int) -> None:
    """An account whose full sync needs about 1.5 x ``limit`` calls (so two need 3x)."""
    books = 6 if limit >= 40 else 3
    campaigns = max(2, round((1.5 * limit - 5 - 3 * books) / 3.6))
    bench.reset_sandbox()
    bench.sandbox.generate(contacts=200, books=books, campaigns=campaigns)


def _two_syncs(bench: Bench, name: str, wait: float
               ) -> tuple[float, list[Any], list[dict[str, Any]], float]:
    """(seconds, root runs, API calls, seconds from enqueueing to the first API call)."""
    app = bench.app(name, DOTDIGITAL_API_MAX_WAIT=wait)
    with app.app_context():
        ids = [make_integration(f"Worker account {k}").id for k in (1, 2)]
        since = call_count(bench.sandbox)
        started = time.time()
        took, runs = sync_with_workers(app, ids, 2)
        calls = api_calls(bench.sandbox, since)
        return took, runs, calls, (calls[0]["time"] - started if calls else 0.0)


def run(bench: Bench, sizes: Any, profile: Any) -> list[Row]:
    wait = sizes.rate_window + 5
    _account(bench, sizes.rate_limit)
    free, free_runs, free_calls, _ = _two_syncs(bench, "rate-free", wait)
    needed = len(free_calls)
    limit = max(2, needed // 3)
    _account(bench, sizes.rate_limit)
    bench.sandbox.control(tiered_limit={"per_minute": limit})
    with window(sizes.rate_window):
        took, runs, calls, lead = _two_syncs(bench, "rate-limited", wait)
    bench.sandbox.control(tiered_limit=None)
    admitted = sum(1 for c in calls if c["status"] != 429)
    refused = len(calls) - admitted
    windows = math.ceil(admitted / limit)
    last = admitted - (windows - 1) * limit
    minimum = (windows - 1) * sizes.rate_window + free * last / admitted
    outcomes = Counter(str(r.status) for r in runs)
    failed = sum(n for status, n in outcomes.items() if status != "success")
    ratio = took / minimum
    met = ratio <= 1.2 and failed == 0 and refused <= windows - 1
    size = f"{admitted} calls @ {limit}/{sizes.rate_window:g}s"
    return [Row("8 rate-limit governance", size, f"{took:.1f} s", f"{minimum:.1f} s (min)", ratio,
                "<= 1.2x, 0 failed, <= 1 429/window", met, [
                    f"two RQ workers, two integrations; without a limit the syncs needed {needed} calls "
                    f"in {free:.1f} s ({dict(Counter(str(r.status) for r in free_runs))})",
                    f"limited: {refused} answers were 429 over {windows} windows (allowed: "
                    f"{windows - 1}); run outcomes {dict(outcomes)}",
                    f"the first API call came {lead:.1f} s after enqueueing (RQ workers starting), time the "
                    "minimum counts only in the share of the last window",
                    "the workers share the account's budget in Redis: a 429's reset blocks both, later "
                    "windows are counted down and their end found by one probe call"])]
