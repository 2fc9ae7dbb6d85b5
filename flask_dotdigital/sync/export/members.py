"""Step 3: the list's new members go out to the book, and its changed members are scheduled.

- **new members**: list members with no membership row linked to them in this book (an anti-join
  on the entity id, so both sides are index lookups), among the records change tracking saw unless
  the run compares the whole list (``changes``). A brand-new book finds its whole list here. They
  stream straight into the CSV files (``NewMembers``, a feed of ``upload.upload_book``), and a
  member's row is written once, after the file holding it was accepted, already marked as sent: no
  row is written, read back and updated again. A file that fails writes nothing, so its members
  are still new next run.
- **changed members**: rows whose ``entity_updated`` flag change tracking raised, or that a mapping
  change, the nightly force sync or the periodic recheck flagged (``refresh_changed``). Those whose
  values changed are scheduled, and the ``upload.Scheduled`` feed sends them.

Both are read in keyset pages of ``BATCH`` rows; nothing loads the whole list into memory. Members
who left the list are found by the opposite anti-join, in ``removal``. Writes that bypass
SQLAlchemy's unit of work (raw SQL) are invisible to change tracking: every
``DOTDIGITAL_EXPORT_RECHECK_HOURS`` the book's members are all flagged once and the whole list is
compared, so such a change goes out within a day.

Members Dotdigital reports unsubscribed or suppressed are never sent again (§6 item 4).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, exists, literal, select, update
from sqlalchemy.orm import aliased

from ...marketing_lists import members_query
from ...models.enums import ACTIVE_STATUSES, ContactStatus
from ...models.types import UTCDateTime, utcnow
from ...sources import Columns
from ..context import SyncContext
from ..upsert import ANALYZE_AFTER_PAGES, insert_missing, refresh_statistics, upsert
from .changes import Plan
from .upload import csv_line
from .values import MappedField, ValueColumns, member_values, values_hash

BATCH = 1000


class NewMembers:
    """The upload feed of the list's members that the book does not hold yet (see ``upload``).

    One SELECT per page reads each member with its mapped values, its local contact and that
    contact's row in the book, if any; the statement is built once and run with the page's key.
    """

    def __init__(self, ctx: SyncContext, book: Any, marketing_list: Any, source: Any,
                 fields: list[MappedField], plan: Plan) -> None:
        self.ctx, self.book, self.marketing_list, self.source, self.fields = (
            ctx, book, marketing_list, source, fields)
        #: only the records change tracking saw, unless the plan compares the whole list
        self.only = None if plan.full else plan.records
        columns = Columns(source)
        self.reader = ValueColumns(source, fields, columns)
        first = _new_query(ctx, book, marketing_list, source, columns, self.reader.expressions, self.only)
        self.first_page = first.limit(BATCH)
        self.next_page = first.where(source.id_column > bindparam("after")).limit(BATCH)
        #: contacts in a file not uploaded yet: one email is one member of the book, even when
        #: several records of the list share it (the first one holds the row)
        self.in_flight: set[int] = set()

    def _page(self, after: Any) -> list[Any]:
        if after is None:
            return list(self.ctx.session.connection().execute(self.first_page))
        return list(self.ctx.session.connection().execute(self.next_page, {"after": after}))

    def pairs(self) -> Iterator[tuple[list[str], dict[str, Any]]]:
        ctx, after = self.ctx, None
        for number in itertools.count(1):
            page = self._page(after)
            if not page:
                return
            if any(row.contact_id is None for row in page):
                _create_contacts(ctx, self.book, self.marketing_list, self.source, self.only,
                                 page[0].entity_id)
                page = self._page(after)
            yield from self._prepare(page)
            if number == ANALYZE_AFTER_PAGES:
                refresh_statistics(ctx.session, ctx.models.Contact.__table__,
                                   ctx.models.AddressBookContact.__table__)
            after = page[-1].entity_id

    def _prepare(self, page: list[Any]) -> Iterator[tuple[list[str], dict[str, Any]]]:
        """(CSV line, membership row) for each member of a page that goes out.

        Members who must not be sent (suppressed, or already sent with the same values) get their
        row now, unsent: they are then known, and not "new" again next run.
        """
        ctx, book, source, fields, reader = self.ctx, self.book, self.source, self.fields, self.reader
        end = 2 + len(reader.paths)  # entity_id, email, the value columns, then the rest
        computed = reader.computed(ctx.db, [row.entity_id for row in page]) if reader.virtual else {}
        unsent: dict[int, dict[str, Any]] = {}
        for row in page:
            held = row.item_id is not None and (row.item_class, row.item_id) != (source.key, row.entity_id)
            if held or row.contact_id in self.in_flight or row.contact_id in unsent:
                # Another record of the list has the same email and holds the row. (This record
                # stays "new" and is looked at again each run.)
                continue
            known = row.member_id is not None
            data = reader.values(row[2:end], computed.get(row.entity_id))
            digest = values_hash(row.email, data)
            status = row.member_status if known else (
                row.contact_status if _suppressed(row.contact_status) else ContactStatus.Subscribed)
            send = not _suppressed(status) and not _suppressed(row.contact_status) and (
                not known or row.exported_hash != digest or bool(row.scheduled_for_export))
            item = {"integration_id": ctx.integration_id, "address_book_id": book.id,
                    "contact_id": row.contact_id, "marketing_list_item_class": source.key,
                    "marketing_list_item_id": row.entity_id, "status": status, "pending_values": data,
                    "pending_hash": digest, "entity_updated": False, "scheduled_for_export": False,
                    "new_entity": False, "export_id": row.export_id, "exported_hash": row.exported_hash,
                    "export_operation_type": "new" if row.origin_id is None else "update" if known
                    else "add"}
            if not send:
                unsent[row.contact_id] = item
                continue
            ctx.counts.created += not known
            ctx.counts.updated += known
            self.in_flight.add(row.contact_id)
            yield csv_line(row.email, row.opt_in_type, row.email_type, fields, data), item
        upsert(ctx.session, ctx.models.AddressBookContact.__table__, list(unsent.values()),
               ["address_book_id", "contact_id"])

    def record(self, import_id: str, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["export_id"], row["exported_hash"] = import_id, row["pending_hash"]
        upsert(self.ctx.session, self.ctx.models.AddressBookContact.__table__, rows,
               ["address_book_id", "contact_id"])
        self.in_flight.difference_update(row["contact_id"] for row in rows)


def refresh_changed(ctx: SyncContext, book: Any, marketing_list: Any, source: Any,
                    fields: list[MappedField]) -> None:
    """Recompute the flagged members of the book and schedule those whose values changed."""
    _recheck_if_due(ctx, book)
    refreshed = 0
    for page in _flagged(ctx, book, source):
        refreshed += _refresh(ctx, book, marketing_list, source, fields, page)
        ctx.commit()
        ctx.progress(f"{book.name}: {refreshed} changed members")


def _recheck_if_due(ctx: SyncContext, book: Any) -> None:
    hours = float(current_app.config["DOTDIGITAL_EXPORT_RECHECK_HOURS"])
    now = utcnow()
    if book.members_checked_at is not None and (hours <= 0 or now - book.members_checked_at
                                                < timedelta(hours=hours)):
        return
    member = ctx.models.AddressBookContact
    ctx.session.execute(update(member).where(
        member.address_book_id == book.id, member.marketing_list_item_id.is_not(None),
        member.entity_updated.is_(False)).values(entity_updated=True))
    book.members_checked_at = now
    ctx.commit()


def linked_to(member: Any, book: Any, source: Any) -> Any:
    """The membership row of ``book`` linked to the current row of ``source``."""
    return and_(member.address_book_id == book.id, member.marketing_list_item_class == source.key,
                member.marketing_list_item_id == source.id_column)


def _unlinked(ctx: SyncContext, book: Any, marketing_list: Any, source: Any, only: Any,
              columns: Columns | None = None) -> Any:
    """The list's members (among ``only``, if given) with no row of the book linked to them: an
    anti-join on the entity id."""
    query = members_query(marketing_list, source, ctx.models, columns).where(
        ~exists().where(linked_to(aliased(ctx.models.AddressBookContact), book, source)))
    return query if only is None else query.where(source.id_column.in_(only))


def _new_query(ctx: SyncContext, book: Any, marketing_list: Any, source: Any, columns: Columns,
               values: list[Any], only: Any) -> Any:
    """New members, their mapped values, their local contact and its row in the book if any."""
    member, contact = ctx.models.AddressBookContact, ctx.models.Contact
    query = _unlinked(ctx, book, marketing_list, source, only, columns)
    return (query.add_columns(
        *values, contact.id.label("contact_id"), contact.origin_id,
        contact.status.label("contact_status"), contact.opt_in_type, contact.email_type,
        member.id.label("member_id"), member.status.label("member_status"), member.exported_hash,
        member.scheduled_for_export, member.export_id,
        member.marketing_list_item_class.label("item_class"),
        member.marketing_list_item_id.label("item_id"))
        .outerjoin(contact, and_(contact.integration_id == ctx.integration_id,
                                 contact.email == query.selected_columns.email))
        .outerjoin(member, and_(member.contact_id == contact.id, member.address_book_id == book.id)))


def _create_contacts(ctx: SyncContext, book: Any, marketing_list: Any, source: Any, only: Any,
                     start: Any) -> None:
    """A local contact for every new member from ``start`` on whose email has none: one
    INSERT ... SELECT, however long the list (a first export creates them all at once)."""
    contact = ctx.models.Contact
    emails = _unlinked(ctx, book, marketing_list, source, only).where(
        source.id_column >= start).order_by(None).subquery()
    moment = literal(ctx.started_at, UTCDateTime)
    insert_missing(ctx.session, contact.__table__, ["integration_id", "email", "created_at", "updated_at"],
                   select(literal(ctx.integration_id), emails.c.email, moment, moment)
                   .where(emails.c.email.is_not(None)).distinct(), ["integration_id", "email"])


def _flagged(ctx: SyncContext, book: Any, source: Any) -> Iterator[list[Any]]:
    member, contact = ctx.models.AddressBookContact, ctx.models.Contact
    last = 0
    while True:
        page = ctx.session.execute(
            select(member.id, member.marketing_list_item_id, member.status, member.exported_hash,
                   member.scheduled_for_export, contact.email, contact.status.label("contact_status"))
            .join(contact, member.contact_id == contact.id)
            .where(member.address_book_id == book.id, member.marketing_list_item_class == source.key,
                   member.entity_updated.is_(True), member.id > last)
            .order_by(member.id).limit(BATCH)).all()
        if not page:
            return
        yield page
        last = page[-1].id


def _refresh(ctx: SyncContext, book: Any, marketing_list: Any, source: Any, fields: list[MappedField],
             page: list[Any]) -> int:
    """Recompute the values of a page of flagged rows; schedule those whose values changed.

    The flags are cleared before the records are read: a host write that lands after the read
    raises the flag again, so no change slips between the read and the clear.
    """
    member = ctx.models.AddressBookContact
    ctx.session.execute(update(member).where(member.id.in_([row.id for row in page]))
                        .values(entity_updated=False))
    ids = [row.marketing_list_item_id for row in page]
    current = {r.entity_id: r.email for r in ctx.session.execute(
        members_query(marketing_list, source, ctx.models).where(source.id_column.in_(ids)))}
    values = member_values(ctx.db, source, fields, [i for i in ids if i in current])
    changes = []
    for row in page:
        if current.get(row.marketing_list_item_id) != row.email:
            continue  # left the list or changed email: the removal step and the new-member query see it
        if _suppressed(row.status) or _suppressed(row.contact_status):
            continue
        data = values.get(row.marketing_list_item_id, {})
        digest = values_hash(row.email, data)
        send = row.exported_hash != digest
        if send or row.scheduled_for_export:
            changes.append({"member_id": row.id, "pending_values": data, "pending_hash": digest,
                            "scheduled_for_export": send or row.exported_hash is None})
            ctx.counts.updated += send
    if changes:
        # A Core executemany: the ORM's bulk UPDATE by primary key costs twice as much per row.
        table = member.__table__
        ctx.session.connection().execute(
            update(table).where(table.c.id == bindparam("member_id")).values(
                pending_values=bindparam("pending_values"), pending_hash=bindparam("pending_hash"),
                scheduled_for_export=bindparam("scheduled_for_export")), changes)
    return sum(1 for c in changes if c["scheduled_for_export"])


def _suppressed(status: Any) -> bool:
    return status is not None and ContactStatus(status) not in ACTIVE_STATUSES
