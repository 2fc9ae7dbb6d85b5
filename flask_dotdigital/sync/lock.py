"""One sync per integration at a time, across every worker and machine.

A redis-py ``Lock`` (token-checked release, done in Lua by redis-py) with a short TTL, kept alive by
a heartbeat thread while the sync runs. A worker killed with ``kill -9`` stops beating, so its lock
expires within ``ttl`` seconds and the next run can start.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from redis import Redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger("flask_dotdigital.sync")


def lock_key(integration_id: int) -> str:
    return f"dotdigital:sync:{integration_id}:lock"


class SyncLock:
    def __init__(self, redis: Redis, integration_id: int, *, ttl: float = 60.0) -> None:
        self._lock = redis.lock(lock_key(integration_id), timeout=ttl, blocking=False,
                                thread_local=False)
        self._ttl = ttl
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def acquire(self) -> bool:
        if not self._lock.acquire(blocking=False):
            return False
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name="dotdigital-lock", daemon=True)
        self._beat.start()
        return True

    def _heartbeat(self) -> None:
        while not self._stop.wait(self._ttl / 3):
            try:
                self._lock.reacquire()
            except (LockError, RedisError) as err:
                log.warning("Could not extend the sync lock: %s", err)

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(self._ttl)
        try:
            self._lock.release()
        except LockError:
            log.warning("The sync lock had already expired when the run ended.")

    def __enter__(self) -> SyncLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
