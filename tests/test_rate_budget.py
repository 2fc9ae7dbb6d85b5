"""The account's call budget shared through Redis: workers that meet Dotdigital's tiered limit
spend one 429 per window between them, wait for the reset, and still finish every call; without
Redis the client behaves as it did before.

The sandbox's window is shrunk to a few seconds (its ``MINUTE``), and the assertions count calls
rather than time them, so a slow machine makes the tests longer, not red.
"""

from __future__ import annotations

import math
import threading
import time

import pytest
from redis import Redis

from flask_dotdigital.api import Client, ClientSettings
from flask_dotdigital.api.budget import RateBudget, WindowInfo, account_key, window_info
from flask_dotdigital.connection import client_for
from flask_dotdigital.errors import ApiUsageExceeded, RateLimited
from flask_dotdigital.models.enums import SyncStatus
from flask_dotdigital.sandbox import state as sandbox_state
from flask_dotdigital.sync.runner import SyncPaused, run_sync
from flask_dotdigital.sync.scheduling import request_sync

from .conftest import SANDBOX_PASSWORD, SANDBOX_USER, app_config, fresh_app
from .syncing import make_integration, runs


@pytest.fixture
def redis(redis_url):
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    yield connection
    connection.close()


@pytest.fixture
def window(monkeypatch):
    """Shrink the sandbox's rate-limit window (normally 60 s) to ``seconds``."""
    def shrink(seconds):
        monkeypatch.setattr(sandbox_state, "MINUTE", seconds)
    return shrink


def budget_for(redis, sandbox):
    return RateBudget(redis, account_key(sandbox.discovery_url, SANDBOX_USER))


def make_client(sandbox, budget, **settings):
    defaults = {"base_url": sandbox.discovery_url, "allow_insecure_hosts": True, "backoff": 0.01,
                "max_wait": 10.0, "max_retries": 4}
    defaults.update(settings)
    return Client(SANDBOX_USER, SANDBOX_PASSWORD, settings=ClientSettings(**defaults), budget=budget)


def statuses(sandbox):
    return [call["status"] for call in sandbox.state()["calls"]]


def test_two_workers_sharing_the_budget_spend_at_most_one_429_per_window(sandbox, redis, window):
    limit, per_worker = 5, 9
    window(2.0)
    sandbox.control(tiered_limit={"per_minute": limit})
    errors: list[BaseException] = []
    answers: list[object] = []

    def worker():
        client = make_client(sandbox, budget_for(redis, sandbox))
        try:
            for _ in range(per_worker):  # the first call also runs discovery (account-info)
                answers.append(client.request("GET", "address-books", params={"select": 10}))
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(answers) == 2 * per_worker, errors
    seen = statuses(sandbox)
    admitted, refused = sum(1 for s in seen if s == 200), seen.count(429)
    assert admitted == 2 * (per_worker + 1)  # every call answered once, discovery included
    windows = math.ceil(admitted / limit)
    # The first window's end is unknown until a 429 tells it; each later one is counted down, and
    # its end found by a single probe. Without the shared budget each worker spends its own 429.
    assert 1 <= refused <= windows - 1, seen


def test_a_blocked_account_pauses_instead_of_calling_when_the_reset_is_far(sandbox, redis, window):
    window(30.0)
    sandbox.control(tiered_limit={"per_minute": 2})
    first, second = (make_client(sandbox, budget_for(redis, sandbox), max_wait=3.0) for _ in range(2))
    first.request("GET", "address-books")  # account-info and this one use the window's 2 calls
    with pytest.raises(RateLimited) as caught:
        first.request("GET", "address-books")
    reset_at = caught.value.retry_at
    assert reset_at is not None and reset_at > time.time() + 20
    with pytest.raises(RateLimited) as told:
        second.request("GET", "address-books")  # another worker: knows the window without a call
    assert told.value.retry_at == pytest.approx(reset_at, abs=1)
    assert statuses(sandbox) == [200, 200, 429], "the second worker called into a spent window"


def test_the_flat_cut_off_is_shared_too(sandbox, redis):
    sandbox.control(flat_limit=0)
    first, second = (make_client(sandbox, budget_for(redis, sandbox), usage_wait=600)
                     for _ in range(2))
    with pytest.raises(ApiUsageExceeded):
        first.discover()
    with pytest.raises(ApiUsageExceeded) as told:
        second.discover()
    assert told.value.retry_at == pytest.approx(time.time() + 600, abs=30)
    assert statuses(sandbox) == [400]


def test_a_paused_sync_resumes_at_the_shared_reset(app, sandbox, window):
    """A run that meets a window another worker found spent pauses, as for a 429 of its own."""
    window(30.0)
    integration = make_integration()
    sandbox.control(tiered_limit={"per_minute": 1})
    with pytest.raises(RateLimited):  # account-info spends the window's only call
        client_for(integration).request("GET", "address-books")
    assert statuses(sandbox) == [200, 429]
    run_id = request_sync(integration.id, trigger="button").run_id
    with pytest.raises(SyncPaused) as paused:
        run_sync(run_id)
    assert statuses(sandbox) == [200, 429], "the run called into a spent window"
    assert paused.value.resume_at > time.time() + 20
    assert runs()[0].status == SyncStatus.queued and "resumes at" in runs()[0].message


def test_without_redis_the_client_waits_for_the_reset_on_its_own(sandbox):
    dead = RateBudget(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1),
                      account_key(sandbox.discovery_url, SANDBOX_USER))
    client = make_client(sandbox, dead)
    sandbox.control(fail_next=[{"status": 429, "reset_in": 1}])
    reset_at = int(time.time()) + 1
    client.discover()
    assert client.request("GET", "address-books") == []
    calls = sandbox.state()["calls"]
    assert [c["status"] for c in calls] == [429, 200, 200]
    assert calls[1]["time"] >= reset_at - 0.01


def test_clients_use_the_apps_redis_and_keep_the_user_name_out_of_it(app, sandbox, redis, window):
    window(30.0)
    sandbox.control(tiered_limit={"per_minute": 1})
    client = client_for(make_integration())
    assert client.budget is not None
    with pytest.raises(RateLimited):
        client.request("GET", "address-books")
    keys = [key.decode() for key in redis.keys("dotdigital:rate:*")]
    assert len(keys) == 1
    stored = repr(redis.hgetall(keys[0]))
    assert "apiconnector" not in keys[0] + stored and "demo" not in keys[0] + stored


def test_an_app_without_redis_gives_clients_no_budget(tmp_path, sandbox):
    app = fresh_app(app_config(tmp_path, sandbox, DOTDIGITAL_REDIS_URL=None))
    with app.app_context():
        assert client_for(make_integration()).budget is None


def test_headers_on_an_answered_call_tell_the_window(redis):
    budget = RateBudget(redis, "dotdigital:rate:test-window")
    reset = time.time() + 30
    budget.answered(WindowInfo(limit=10, remaining=2, reset=reset), probe=False)
    assert budget.reserve().go and budget.reserve().go
    verdict = budget.reserve()
    assert not verdict.go and verdict.until == pytest.approx(reset, abs=0.01)


def test_rate_limit_headers_are_read_tolerantly():
    now = 1_700_000_000.0
    assert window_info({"X-RateLimit-Reset": "1700000030", "X-RateLimit-Limit": "150"}, now) == \
        WindowInfo(limit=150, reset=1_700_000_030.0)
    assert window_info({"x-ratelimit-reset": "12"}, now).reset == now + 12  # seconds from now
    assert window_info({"X-RateLimit-Reset": "soon", "X-RateLimit-Remaining": "-1"}, now) == WindowInfo()
    assert window_info({"X-RateLimit-Reset": "inf", "X-RateLimit-Limit": "inf",
                        "X-RateLimit-Remaining": "nan"}, now) == WindowInfo()
    # A server clock 100 s ahead of ours: the reset is moved onto our clock.
    skewed = {"X-RateLimit-Reset": "1700000130", "Date": "Tue, 14 Nov 2023 22:15:00 GMT"}
    assert window_info(skewed, now).reset == pytest.approx(1_700_000_030.0, abs=1)
