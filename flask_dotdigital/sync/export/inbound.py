"""Dotdigital → host records: two-way data fields and Create New Entities (Oro's contact import
step 2, §2.4.3), run before a book's export so that what came in is not sent straight back.

Two-way: a value Dotdigital changed since our last export is written into the host record when
the host did not change it too; when both changed, the host keeps its value and the lost one is
recorded (FieldConflict). When one contact is behind records of several sources, only the mapping
with the highest sync priority writes; the others' lost values are recorded too. Writes happen
under the echo guard, so change tracking does not flag them for export again.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from ...models.types import utcnow
from ...sources import Columns, ContactSource
from ..context import SyncContext
from .values import MappedField, member_values, values_hash, wire_value

log = logging.getLogger("flask_dotdigital.sync")

#: True while the sync writes into host records: change tracking ignores those writes.
echo_guard: ContextVar[bool] = ContextVar("dotdigital_echo_guard", default=False)


@contextmanager
def guarded() -> Any:
    token = echo_guard.set(True)
    try:
        yield
    finally:
        echo_guard.reset(token)


def _convert(value: Any, field: MappedField, host_type: str) -> Any:
    """A Dotdigital value as the host column wants it (dates arrive as ISO text)."""
    from ...api.dates import parse_date

    if value is None:
        return None
    if host_type in ("date", "datetime"):
        moment = parse_date(value)
        return moment.date() if moment and host_type == "date" else moment
    if host_type == "boolean":
        return str(value).lower() in ("true", "1", "yes")
    if host_type == "integer":
        return int(float(value))
    if host_type == "numeric":
        return float(value)
    return str(value)


def two_way(ctx: SyncContext, book: Any, source: ContactSource, fields: list[MappedField],
            priority: int, priorities: dict[str, int]) -> None:
    """Write Dotdigital's changes of two-way fields into the host records of this book."""
    pairs = [f for f in fields if f.two_way and len(f.paths) == 1 and "." not in f.paths[0]]
    if not pairs:
        return
    member, contact = ctx.models.AddressBookContact, ctx.models.Contact
    rows = ctx.session.execute(
        select(member.id, member.marketing_list_item_id, member.pending_values, contact.email,
               contact.data_fields, contact.id.label("contact_id"))
        .join(contact, member.contact_id == contact.id)
        .where(member.address_book_id == book.id, member.marketing_list_item_class == source.key,
               member.marketing_list_item_id.is_not(None), member.exported_hash.is_not(None))).all()
    if not rows:
        return
    current = member_values(ctx.db, source, fields, [r.marketing_list_item_id for r in rows])
    outranked = _outranked(ctx, source.key, priority, priorities, {r.contact_id for r in rows})
    with guarded():
        for row in rows:
            remote = row.data_fields or {}
            sent = row.pending_values or {}
            here = current.get(row.marketing_list_item_id, {})
            changes = {}
            for field in pairs:
                theirs = wire_value(remote.get(field.data_field), field.data_type)
                if field.data_field not in remote or theirs == sent.get(field.data_field):
                    continue  # Dotdigital did not change it since we sent it
                if here.get(field.data_field) != sent.get(field.data_field):
                    _lost(ctx, field, source, row, kept=here.get(field.data_field), lost=theirs,
                          reason="changed on both sides; the host's value is kept")
                elif row.contact_id in outranked:
                    _lost(ctx, field, source, row, kept=here.get(field.data_field), lost=theirs,
                          reason="a source with a higher sync priority owns this contact")
                else:
                    changes[field] = theirs
            if changes:
                _write(ctx, source, row, changes, sent)


def _outranked(ctx: SyncContext, key: str, priority: int, priorities: dict[str, int],
               contact_ids: set[int]) -> set[int]:
    """Contacts also behind a record of a source whose mapping has a higher sync priority."""
    higher = [k for k, p in priorities.items() if k != key and p > priority]
    if not higher:
        return set()
    member = ctx.models.AddressBookContact
    return set(ctx.session.execute(select(member.contact_id).where(
        member.contact_id.in_(contact_ids), member.marketing_list_item_class.in_(higher))).scalars())


def _lost(ctx: SyncContext, field: MappedField, source: ContactSource, row: Any, *, kept: Any,
          lost: Any, reason: str) -> None:
    ctx.session.add(ctx.models.FieldConflict(
        integration_id=ctx.integration_id, data_field=field.data_field, entity=source.key,
        entity_id=row.marketing_list_item_id, email=row.email, kept_value=kept, lost_value=lost,
        reason=reason, created_at=utcnow()))


def _write(ctx: SyncContext, source: ContactSource, row: Any, changes: dict[MappedField, Any],
           sent: dict[str, Any]) -> None:
    record = ctx.session.get(source.model, row.marketing_list_item_id)
    if record is None:
        return
    for field, value in changes.items():
        setattr(record, field.paths[0], _convert(value, field, source.field(field.paths[0]).type))
        sent = {**sent, field.data_field: value}
    # What we hold now equals what Dotdigital holds: nothing to send back (the echo guard).
    member = ctx.session.get(ctx.models.AddressBookContact, row.id)
    member.pending_values = sent
    member.pending_hash = member.exported_hash = values_hash(row.email, sent)
    ctx.counts.updated += 1
    ctx.session.flush()


def create_entities(ctx: SyncContext, book: Any, source: ContactSource, fields: list[MappedField]) -> None:
    """Contacts of the book with no record of the list's entity become new host records."""
    if not book.create_entities or "." in source.email:
        return
    member, contact = ctx.models.AddressBookContact, ctx.models.Contact
    columns = Columns(source)
    known = select(func.lower(columns(source.email)))
    orphans = ctx.session.execute(
        select(member.id, contact.email, contact.data_fields).join(contact, member.contact_id == contact.id)
        .where(member.address_book_id == book.id, member.marketing_list_item_id.is_(None),
               contact.email.not_in(columns.apply_joins(known).scalar_subquery()))).all()
    owner = ctx.integration.default_owner
    with guarded():
        for row in orphans:
            record = source.model()
            setattr(record, source.email, row.email)
            data = row.data_fields or {}
            for field in fields:
                path = field.paths[0]
                if len(field.paths) == 1 and "." not in path and field.data_field in data:
                    setattr(record, path, _convert(data[field.data_field], field, source.field(path).type))
            if source.owner and owner is not None:
                setattr(record, source.owner, owner)
            try:
                with ctx.session.begin_nested():
                    ctx.session.add(record)
            except SQLAlchemyError as err:
                # A required host field that no data field fills: name the contact, go on.
                log.warning("No %s created for %s: %s", source.label, row.email, err)
                ctx.counts.errors += 1
                ctx.progress(f"{row.email}: no {source.label} created ({type(err).__name__})")
                continue
            linked = ctx.session.get(member, row.id)
            linked.marketing_list_item_class = source.key
            linked.marketing_list_item_id = inspect(record).identity[0]
            linked.new_entity = True
            ctx.counts.created += 1
    ctx.commit()
