"""Import status polling and fault handling (Oro §2.7, without its stale cache and stuck exports).

Every unfinished ContactExport is polled with ``contacts/import/{id}``: after 10 failed polls, or 30
that still say NotFinished, its status becomes Unknown and the reason is kept. A finished export's
outcome is then applied once: a watchdog rejection takes back the rows that file added, any other
outcome's fault report marks the refused emails Suppressed with their reason. Finally each book's
sync status is recomputed from its exports, with Oro's rules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from ...api.imports import import_faults, import_status
from ...errors import ApiError
from ...models.enums import ContactStatus, ImportStatus, coerce
from ...models.types import utcnow
from ..context import SyncContext
from ..upsert import upsert

MAX_ERROR_POLLS = 10
MAX_UNFINISHED_POLLS = 30
SETTLED = {ImportStatus.Finished, ImportStatus.NotFinished, ImportStatus.Unknown}


def poll_exports(ctx: SyncContext) -> None:
    export = ctx.models.ContactExport
    pending = ctx.session.execute(select(export).where(
        export.integration_id == ctx.integration_id, export.status == ImportStatus.NotFinished)
        .order_by(export.id)).scalars().all()
    for item in pending:
        poll_one(ctx, item)
        ctx.commit()
    unprocessed = ctx.session.execute(select(export).where(
        export.integration_id == ctx.integration_id, export.faults_processed.is_(False),
        export.status != ImportStatus.NotFinished).order_by(export.id)).scalars().all()
    for item in unprocessed:
        _apply_outcome(ctx, item)
        ctx.commit()
    refresh_book_statuses(ctx)
    ctx.commit()


def poll_one(ctx: SyncContext, item: Any) -> None:
    """One status poll of a running import; it ends after too many failed or unfinished polls."""
    ctx.counts.read += 1
    try:
        status = coerce(ImportStatus, import_status(ctx.client, item.import_id))
    except ApiError as err:
        item.error_attempts += 1
        item.message = f"Status check failed: {err.message}"
        if item.error_attempts >= MAX_ERROR_POLLS:
            _give_up(item, f"The import status could not be read {MAX_ERROR_POLLS} times "
                           f"(last: {err.message}).")
        return
    if status is None:
        status = ImportStatus.NotFinished
    if status == ImportStatus.NotFinished:
        item.sync_attempts += 1
        if item.sync_attempts >= MAX_UNFINISHED_POLLS:
            _give_up(item, f"Dotdigital still reported NotFinished after {MAX_UNFINISHED_POLLS} checks.")
        return
    item.status = status
    ctx.counts.updated += 1


def _give_up(item: Any, reason: str) -> None:
    # The deadline that keeps one stuck import from blocking its book forever (Oro's CRM-9198).
    item.status, item.message = ImportStatus.Unknown, reason


def _apply_outcome(ctx: SyncContext, item: Any) -> None:
    member = ctx.models.AddressBookContact
    if item.status == ImportStatus.RejectedByWatchdog:
        rejected = ctx.session.execute(select(member.id, member.marketing_list_item_id).where(
            member.export_id == item.import_id, member.export_operation_type.in_(["new", "add"]))).all()
        book = ctx.session.get(ctx.models.AddressBook, item.address_book_id) if item.address_book_id else None
        if book is not None and book.marketing_list_id is not None and rejected:
            upsert(ctx.session, ctx.models.RemovedItem.__table__,
                   [{"marketing_list_id": book.marketing_list_id, "entity_id": r.marketing_list_item_id}
                    for r in rejected if r.marketing_list_item_id is not None],
                   ["marketing_list_id", "entity_id"], update=[])
        ctx.session.execute(delete(member).where(member.id.in_([r.id for r in rejected])))
        ctx.counts.deleted += len(rejected)
        item.message = f"Rejected by Dotdigital's watchdog: {len(rejected)} new rows taken back."
    elif item.status != ImportStatus.Unknown:
        try:
            faults = import_faults(ctx.client, item.import_id)
        except ApiError as err:
            item.message = f"The fault report could not be read: {err.message}"
            return  # tried again on the next poll
        _suppress(ctx, item, faults)
    item.faults_processed = True


def _suppress(ctx: SyncContext, item: Any, faults: list[dict[str, str]]) -> None:
    """Every email in the fault report becomes Suppressed, with the reason Dotdigital gave."""
    contact, member = ctx.models.Contact, ctx.models.AddressBookContact
    now = utcnow()
    for fault in faults:
        email = (fault.get("email") or "").strip().lower()
        if not email:
            continue
        reason = fault.get("reason") or "Suppressed"
        local = ctx.session.execute(select(contact.id).where(
            contact.integration_id == ctx.integration_id, contact.email == email)).scalar()
        if local is None:
            ctx.counts.errors += 1
            continue
        status = coerce(ContactStatus, reason, ContactStatus.Suppressed)
        status = status if status != ContactStatus.NotAvailableInThisVersion else ContactStatus.Suppressed
        ctx.session.execute(update(contact).where(contact.id == local).values(
            status=ContactStatus.Suppressed, unsubscribed_date=now))
        ctx.session.execute(update(member).where(member.contact_id == local,
                                                 member.address_book_id == item.address_book_id).values(
            status=ContactStatus.Suppressed, unsubscribed_date=now, fault_reason=reason[:255],
            scheduled_for_export=False))
        ctx.counts.updated += 1


def refresh_book_statuses(ctx: SyncContext) -> None:
    """Oro's rules: any failure status (newest first) wins; all finished means up to date.

    Unlike Oro, an export that timed out into Unknown also settles the book (as "Not Synced"),
    instead of leaving it "In Progress" for ever.
    """
    export, book = ctx.models.ContactExport, ctx.models.AddressBook
    books = ctx.session.execute(select(book).where(book.integration_id == ctx.integration_id,
                                                   book.marketing_list_id.is_not(None))).scalars()
    for item in books:
        statuses = [ImportStatus(s) for s in ctx.session.execute(select(export.status).where(
            export.address_book_id == item.id).order_by(export.id.desc())).scalars()]
        failure = next((s for s in statuses if s not in SETTLED - {ImportStatus.Unknown}), None)
        if failure is not None:
            item.sync_status, item.last_exported_at = failure, utcnow()
        elif ImportStatus.NotFinished in statuses:
            item.sync_status = ImportStatus.NotFinished
        elif statuses:
            item.sync_status, item.last_exported_at = ImportStatus.Finished, utcnow()


def book_is_busy(ctx: SyncContext, book: Any) -> bool:
    """A new upload waits for the book's previous import and its faults (never past Unknown)."""
    export = ctx.models.ContactExport
    return ctx.session.execute(select(export.id).where(
        export.address_book_id == book.id,
        (export.status == ImportStatus.NotFinished) | export.faults_processed.is_(False))
        .limit(1)).first() is not None
