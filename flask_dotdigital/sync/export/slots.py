"""Dotdigital's cap on running contact imports, and waiting for a free slot inside a run.

An account may have at most 25 imports running at once (reference §2.2); the next upload is refused
with ERROR_IMPORT_TOOMANYACTIVEIMPORTS. A list of a million members is a hundred files, so the export
counts its own unfinished imports and, at the cap, polls the oldest until it ends. Other users of
the account may hold slots too: their share shows up as that refusal, which ends the run's uploads
without failing it.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from sqlalchemy import select

from ...models.enums import ImportStatus
from ..context import SyncContext
from .status import poll_one

TOO_MANY_IMPORTS = "ERROR_IMPORT_TOOMANYACTIVEIMPORTS"
#: Pauses between polls of a running import: short at first (small imports end within seconds),
#: then capped, so that a long import costs a poll every few seconds at most.
FIRST_PAUSE, LONGEST_PAUSE = 0.25, 5.0


class ImportSlots:
    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.cap = int(current_app.config["DOTDIGITAL_MAX_ACTIVE_IMPORTS"])
        self.patience = float(current_app.config["DOTDIGITAL_IMPORT_SLOT_WAIT"])

    def running(self) -> list[Any]:
        export = self.ctx.models.ContactExport
        return list(self.ctx.session.execute(select(export).where(
            export.integration_id == self.ctx.integration_id,
            export.status == ImportStatus.NotFinished).order_by(export.id)).scalars())

    def wait(self) -> bool:
        """True once fewer than the cap of our imports are running; False if none ended in time."""
        deadline = time.monotonic() + self.patience
        pause = FIRST_PAUSE
        while True:
            running = self.running()
            if len(running) < self.cap:
                return True
            poll_one(self.ctx, running[0])
            self.ctx.commit()
            if running[0].status != ImportStatus.NotFinished:
                continue
            if time.monotonic() + pause > deadline:
                return False
            self.ctx.progress(f"{len(running)} imports running: waiting for Dotdigital to finish one")
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
