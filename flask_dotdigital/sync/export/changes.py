"""Which records to compare with a book: the few change tracking saw, or the whole list.

Finding who joined or left a list means comparing the list with the book. Done in full, that is
an anti-join over every member each run: cheap per member, but proportional to the list. Change
tracking instead records, in the host's own transaction, each record that was inserted, deleted,
or written in a column that decides membership (the email, and the fields a dynamic list's
conditions use: ``marketing_lists.membership_columns``). The export claims those rows, compares
only those records, and deletes the rows once the comparison has gone out. A run that fails, or
whose uploads wait for a slot, leaves them for the next run.

The whole list is compared instead when tracking cannot be trusted to have seen everything:

- the list is a segment, or decides membership through a relation (tracking sees no such write);
- the book was never compared in full, or was connected to this list, or the list's conditions
  were changed, less than ``TRACKING_CACHE_SECONDS`` before the last full comparison began (each
  process reads what to track at most that often, so a process may not have known yet);
- ``DOTDIGITAL_EXPORT_RECHECK_HOURS`` have passed (writes by raw SQL reach no tracking at all);
- a write could not name its records (an ORM bulk INSERT).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update

from ...marketing_lists import membership_columns
from ..context import SyncContext

#: How stale a process's view of what to track may be (``tracking`` reloads it this often).
TRACKING_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Plan:
    claim: int
    #: compare the whole list
    full: bool
    #: change rows claimed by this run
    claimed: int
    #: the claimed records' ids, as a subquery (when not ``full``)
    records: Any

    @property
    def idle(self) -> bool:
        """Nothing to compare: no member can have joined or left."""
        return not self.full and self.claimed == 0


def claim(ctx: SyncContext, book: Any, marketing_list: Any, source: Any) -> Plan:
    """Take the book's change rows for this run and decide how much of the list to compare."""
    change, books = ctx.models.MemberChange, ctx.models.AddressBook
    ctx.session.execute(delete(change).where(change.address_book_id.not_in(select(books.id))))
    token = secrets.randbits(31)
    # Rows a failed run claimed are taken again; rows written after this UPDATE wait for the next.
    claimed = ctx.session.execute(update(change).where(change.address_book_id == book.id)
                                  .values(claim=token)).rowcount
    if book.membership_list_id != marketing_list.id:
        book.membership_list_id, book.membership_seen_at = marketing_list.id, ctx.started_at
        book.membership_checked_at = None
    ctx.commit()
    records = select(change.entity_id).where(change.address_book_id == book.id, change.claim == token)
    full = _needs_full(ctx, book, marketing_list, source) or (claimed > 0 and ctx.session.execute(
        records.where(change.entity_id.is_(None)).limit(1)).first() is not None)
    return Plan(claim=token, full=full, claimed=claimed,
                records=records.where(change.entity_id.is_not(None)))


def _needs_full(ctx: SyncContext, book: Any, marketing_list: Any, source: Any) -> bool:
    if membership_columns(marketing_list.type, marketing_list.definition, source) is None:
        return True
    checked = book.membership_checked_at
    if checked is None:
        return True
    hours = float(current_app.config["DOTDIGITAL_EXPORT_RECHECK_HOURS"])
    if hours > 0 and ctx.started_at - checked >= timedelta(hours=hours):
        return True
    return marketing_list.updated_at is not None and (
        marketing_list.updated_at > checked - timedelta(seconds=TRACKING_CACHE_SECONDS))


def settle(ctx: SyncContext, book: Any, marketing_list: Any, plan: Plan) -> None:
    """The comparison went out: drop the claimed rows, and date a full comparison."""
    change = ctx.models.MemberChange
    ctx.session.execute(delete(change).where(change.address_book_id == book.id,
                                             change.claim == plan.claim))
    if plan.full:
        # A full comparison is a base for the next runs only once every process tracks this list.
        settled = max(book.membership_seen_at or ctx.started_at, marketing_list.updated_at or ctx.started_at)
        if ctx.started_at - settled >= timedelta(seconds=TRACKING_CACHE_SECONDS):
            book.membership_checked_at = ctx.started_at
    ctx.commit()
