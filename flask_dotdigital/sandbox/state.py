"""In-memory state of the Dotdigital sandbox: its fixed configuration (credentials, account name),
the mutable data the emulated account holds, the queue of injected faults, the rate-limit
counters and the log of every API call. One ``SandboxState`` is shared by all request threads
of the threaded server, so every read and write goes through its lock.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app

from .model import AccountData
from .oauth_ledger import OAuthLedger

if TYPE_CHECKING:
    from .importing import ContactImport

EXTENSION_KEY = "dotdigital_sandbox"

#: Fixed credentials of the test double (not secrets: every sandbox user knows them).
DEFAULT_USERNAME = "demo@apiconnector.com"
DEFAULT_PASSWORD = "sandbox-password"  # noqa: S105 - the sandbox's published fixed credential
DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the sandbox's published fixed credential
DEFAULT_ACCOUNT_NAME = "Sandbox Account"

# The flat scheme's classic figure is 2000 calls per rolling hour (reference §2.1); account-info
# reports ApiCallsRemaining against it when no explicit flat limit is set.
DEFAULT_HOURLY_ALLOWANCE = 2000
HOUR = 3600.0
#: Status polls a contact import answers NotFinished before it ends, unless a control says otherwise.
DEFAULT_IMPORT_POLLS = 2
MINUTE = 60.0


@dataclass(frozen=True)
class SandboxConfig:
    """What the sandbox was started with; fixed for the server's lifetime."""

    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    account_name: str = DEFAULT_ACCOUNT_NAME
    account_id: int = 1
    main_email: str = DEFAULT_USERNAME

    def public(self) -> dict[str, Any]:
        """The configuration without the password and the OAuth client secret."""
        data = asdict(self)
        del data["password"], data["client_secret"]
        return data


@dataclass(frozen=True)
class Fault:
    """One queued failure, consumed by the next API call.

    ``kind`` is ``"status"`` (answer ``status`` at once), ``"drop"`` (close the socket without a
    response) or ``"stall"`` (sleep ``seconds``, then answer normally).
    """

    kind: str
    status: int = 0
    seconds: float = 0.0
    reset_in: int = 1
    limit: int = 150
    scope: str = "lowCallRate"
    message: str | None = None

    def label(self) -> str:
        return str(self.status) if self.kind == "status" else self.kind


@dataclass
class TieredWindow:
    """The tiered scheme's per-minute budget. The window opens on the first call after the last
    one closed, so tests do not depend on where the wall-clock minute boundary falls."""

    per_minute: int
    scope: str = "lowCallRate"
    started: float = 0.0
    used: int = 0

    def reset_at(self) -> int:
        return int(self.started + MINUTE + 0.999)


class SandboxState:
    """Thread-safe state shared by every request the sandbox serves."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.lock = threading.RLock()
        self._clear()

    def _clear(self) -> None:
        self.data = AccountData()
        self.calls: list[dict[str, Any]] = []
        self.faults: deque[Fault] = deque()
        #: random faults: (rate, generator, the faults to draw from), or None
        self.fault_rate: tuple[float, random.Random, list[Fault]] | None = None
        self.flat_limit: int | None = None
        self.tiered: TieredWindow | None = None
        self.admitted: deque[float] = deque()
        #: OAuth single sign-on: codes, tokens and counters (``routes/oauth.py``)
        self.oauth = OAuthLedger()
        #: Contact imports by id, in upload order (``importing.py``).
        self.imports: dict[str, ContactImport] = {}
        #: Status polls an upload answers NotFinished before it ends (control ``import_polls``).
        self.import_polls = DEFAULT_IMPORT_POLLS
        #: The status the next upload ends in instead of Finished (control ``next_import_outcome``).
        self.next_import_outcome: str | None = None
        #: Books emptied by ``DELETE address-books/{id}/contacts``, which a client must never send
        #: (reference §6 item 9); kept so tests can assert exactly that.
        self.destructive_delete_all: list[int] = []

    def reset(self) -> None:
        """Forget faults, limits, data and the call log; keep the configuration."""
        with self.lock:
            self._clear()

    # -- call log -------------------------------------------------------------------------
    def record_call(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.calls.append(entry)

    # -- faults ---------------------------------------------------------------------------
    def queue_faults(self, faults: list[Fault]) -> None:
        with self.lock:
            self.faults.extend(faults)

    def next_fault(self) -> Fault | None:
        """The next queued fault; else, in random-fault mode, one fault for about ``rate`` of calls."""
        with self.lock:
            if self.faults:
                return self.faults.popleft()
            if self.fault_rate is not None:
                rate, rng, kinds = self.fault_rate
                if rng.random() < rate:
                    return rng.choice(kinds)
            return None

    # -- rate limits ----------------------------------------------------------------------
    def calls_in_last_hour(self, now: float | None = None) -> int:
        with self.lock:
            self._prune(time.time() if now is None else now)
            return len(self.admitted)

    def hourly_allowance(self) -> int:
        with self.lock:
            return DEFAULT_HOURLY_ALLOWANCE if self.flat_limit is None else self.flat_limit

    def _prune(self, now: float) -> None:
        while self.admitted and self.admitted[0] <= now - HOUR:
            self.admitted.popleft()

    def admit(self, now: float) -> str | TieredWindow | None:
        """Count one authenticated call against the active limits.

        Returns ``None`` when the call may proceed, ``"flat"`` when the flat hourly cap is hit, or
        the exhausted ``TieredWindow`` when the per-minute budget is spent. Refused calls do not
        use up budget.
        """
        with self.lock:
            self._prune(now)
            if self.flat_limit is not None and len(self.admitted) >= self.flat_limit:
                return "flat"
            window = self.tiered
            if window is not None:
                if now >= window.started + MINUTE:
                    window.started, window.used = now, 0
                if window.used >= window.per_minute:
                    return window
                window.used += 1
            self.admitted.append(now)
            return None

    # -- dump -----------------------------------------------------------------------------
    def snapshot(self, *, with_data: bool = True) -> dict[str, Any]:
        """What ``GET /__state`` shows; ``data`` holds the account's records (``AccountData.dump``)."""
        with self.lock:
            tiered = None
            if self.tiered is not None:
                tiered = {"per_minute": self.tiered.per_minute, "scope": self.tiered.scope}
            body: dict[str, Any] = {
                "calls": [dict(call) for call in self.calls],
                "account": {
                    "id": self.config.account_id,
                    "name": self.config.account_name,
                    "mainEmail": self.config.main_email,
                    "apiCallsInLastHour": self.calls_in_last_hour(),
                },
                "config": self.config.public(),
                "faults": [asdict(fault) for fault in self.faults],
                "limits": {"flat_limit": self.flat_limit, "tiered_limit": tiered},
                "oauth": self.oauth.counts(),
                "imports": [record.dump() for record in self.imports.values()],
                "import_settings": {
                    "import_polls": self.import_polls,
                    "next_import_outcome": self.next_import_outcome,
                },
                "destructive_delete_all": list(self.destructive_delete_all),
            }
            if with_data:
                body["data"] = self.data.dump()
            return body


def current_state() -> SandboxState:
    """The state of the sandbox app handling the current request."""
    state: SandboxState = current_app.extensions[EXTENSION_KEY]
    return state
