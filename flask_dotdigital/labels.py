"""The words the admin screens show for stored values, in Oro's wording where Oro has one.

Kept apart from the models (which store Dotdigital's own spellings) so that every screen, and
later the marketing-list sync-status widget (§3.2), says the same thing for the same value.
"""

from __future__ import annotations

from typing import Any

from .models.enums import ImportStatus, SyncStatus

NOT_SYNCED = "Not Synced"

#: An address book's aggregated export status, as Oro's marketing-list widget words it.
ADDRESS_BOOK_SYNC_STATUS = {
    ImportStatus.Finished: "Up to date",
    ImportStatus.NotFinished: "In Progress",
    ImportStatus.RejectedByWatchdog: "Sync Rejected",
    ImportStatus.InvalidFileFormat: NOT_SYNCED,
    ImportStatus.Failed: "Sync failed",
    ImportStatus.ExceedsAllowedContactLimit: "dotdigital Contacts Limit Exceeds",
    ImportStatus.NotAvailableInThisVersion: NOT_SYNCED,
    # Oro has no label for Unknown; like the other states that never reached Dotdigital:
    ImportStatus.Unknown: NOT_SYNCED,
}
#: Bootstrap badge colour per address-book status; anything else is "secondary".
ADDRESS_BOOK_SYNC_BADGES = {
    ImportStatus.Finished: "success",
    ImportStatus.NotFinished: "info",
    ImportStatus.RejectedByWatchdog: "danger",
    ImportStatus.Failed: "danger",
    ImportStatus.ExceedsAllowedContactLimit: "warning",
}

#: A sync run's (or one connector step's) state.
SYNC_RUN_STATUS = {
    SyncStatus.queued: "Queued",
    SyncStatus.running: "Running",
    SyncStatus.success: "Succeeded",
    SyncStatus.failed: "Failed",
    SyncStatus.skipped: "Skipped",
}
SYNC_RUN_BADGES = {
    SyncStatus.queued: "secondary",
    SyncStatus.running: "info",
    SyncStatus.success: "success",
    SyncStatus.failed: "danger",
    SyncStatus.skipped: "warning",
}

#: Who asked for a sync (SyncRun.trigger).
SYNC_TRIGGERS = {
    "button": "Schedule Sync button",
    "row": "Integrations grid",
    "cli": "Command line",
    "schedule": "Schedule",
}


def address_book_sync_status(status: Any) -> str:
    """Oro's label for an address book's sync status; a book never exported is "Not Synced"."""
    return ADDRESS_BOOK_SYNC_STATUS.get(status, NOT_SYNCED)


def sync_run_status(status: Any) -> str:
    return SYNC_RUN_STATUS.get(status, str(status or ""))


def sync_trigger(trigger: str | None) -> str:
    return SYNC_TRIGGERS.get(trigger or "", trigger or "—")
