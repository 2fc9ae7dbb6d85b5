"""One sync per integration at a time, across every worker and machine.

A redis-py ``Lock`` (token-checked release, done in Lua by redis-py) with a short TTL, kept alive by
a heartbeat thread while the sync runs. A worker killed with ``kill -9`` stops beating, so its lock
expires within ``ttl`` seconds and the next run can start.

When Redis restarts (and loses its data) or stays unreachable for a whole ``ttl``, the lock can no
longer be trusted: another worker may hold it. The heartbeat notes that, and :meth:`SyncLock.check`
raises :class:`LockLost`, so the run stops instead of overlapping with another one.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from redis import Redis
from redis.exceptions import LockError, LockNotOwnedError, RedisError

from ..errors import DotDigitalError

log = logging.getLogger("flask_dotdigital.sync")


def lock_key(integration_id: int) -> str:
    return f"dotdigital:sync:{integration_id}:lock"


class LockLost(DotDigitalError):
    """The integration's lock expired or vanished while a run held it (Redis restarted or away)."""


class SyncLock:
    def __init__(self, redis: Redis, integration_id: int, *, ttl: float = 60.0) -> None:
        self._lock = redis.lock(lock_key(integration_id), timeout=ttl, blocking=False,
                                thread_local=False)
        self._ttl = ttl
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        #: why the lock can no longer be trusted, once it cannot
        self.lost: str | None = None

    def acquire(self) -> bool:
        if not self._lock.acquire(blocking=False):
            return False
        self._stop.clear()
        self.lost = None
        self._beat = threading.Thread(target=self._heartbeat, name="dotdigital-lock", daemon=True)
        self._beat.start()
        return True

    def _heartbeat(self) -> None:
        extended = time.monotonic()
        while not self._stop.wait(self._ttl / 3):
            try:
                self._lock.reacquire()
                extended = time.monotonic()
            except LockNotOwnedError:
                self.lost = "the sync lock vanished from Redis (was Redis restarted?)"
            except (LockError, RedisError) as err:
                log.warning("Could not extend the sync lock: %s", err)
                if time.monotonic() - extended >= self._ttl:
                    self.lost = f"Redis was unreachable for longer than the sync lock lives ({err})"
            if self.lost:
                log.warning("Lost the sync lock: %s", self.lost)
                return

    def check(self) -> None:
        """Raise :class:`LockLost` when another worker may now hold this integration's lock."""
        if self.lost:
            raise LockLost(f"The sync stopped: {self.lost}.")

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(self._ttl)
        try:
            self._lock.release()
        except LockError:
            log.warning("The sync lock had already expired when the run ended.")
        except RedisError as err:
            # Redis is away: the lock expires on its own within ttl; the run's outcome stands.
            log.warning("Could not release the sync lock: %s", err)

    def __enter__(self) -> SyncLock:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
