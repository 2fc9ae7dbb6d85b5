"""Step 4: upload the scheduled members of a book as CSV files, one ContactExport per file.

Rows are read from the database in id order, one batch at a time, and written straight into the
CSV; a file closes at ``DOTDIGITAL_EXPORT_BATCH_SIZE`` rows or before it would pass Dotdigital's
50 MB limit (§2.2). A file whose upload fails leaves its rows scheduled, so the next run sends them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from ...api.imports import upload_contacts
from ...errors import ApiError
from ...models.enums import ImportStatus
from ..context import SyncContext
from .slots import TOO_MANY_IMPORTS, ImportSlots
from .values import MappedField

#: Dotdigital's limit is 50 MB per file; keep a margin for the multipart envelope.
MAX_FILE_BYTES = 49 * 1024 * 1024
READ_BATCH = 2000


def csv_header(fields: Sequence[MappedField]) -> list[str]:
    # Email is the one required column; the others map to contact properties and data fields.
    return ["Email", "optInType", "emailType", *[f.data_field for f in fields]]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scheduled(ctx: SyncContext, book: Any) -> Iterator[list[Any]]:
    member, contact = ctx.models.AddressBookContact, ctx.models.Contact
    last = 0
    while True:
        page = ctx.session.execute(
            select(member.id, member.pending_values, member.pending_hash, contact.email,
                   contact.opt_in_type, contact.email_type)
            .join(contact, member.contact_id == contact.id)
            .where(member.address_book_id == book.id, member.scheduled_for_export.is_(True),
                   member.id > last).order_by(member.id).limit(READ_BATCH)).all()
        if not page:
            return
        yield page
        last = page[-1].id


def files(ctx: SyncContext, book: Any, fields: Sequence[MappedField]) -> Iterator[tuple[bytes, list[Any]]]:
    """(CSV bytes, rows) per file, streamed from the database."""
    limit = int(current_app.config["DOTDIGITAL_EXPORT_BATCH_SIZE"])
    header = csv_header(fields)
    buffer, writer, rows = _new_file(header)
    for page in _scheduled(ctx, book):
        for row in page:
            values = row.pending_values or {}
            line = [row.email, str(row.opt_in_type or "Single"), str(row.email_type or "Html"),
                    *[_cell(values.get(f.data_field)) for f in fields]]
            before = buffer.tell()
            writer.writerow(line)
            if rows and (len(rows) >= limit or buffer.tell() > MAX_FILE_BYTES):
                data = buffer.getvalue()[:before].encode("utf-8")
                yield data, rows
                buffer, writer, rows = _new_file(header)
                writer.writerow(line)
            rows.append(row)
    if rows:
        yield buffer.getvalue().encode("utf-8"), rows


def _new_file(header: list[str]) -> tuple[io.StringIO, Any, list[Any]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    return buffer, writer, []


def upload_book(ctx: SyncContext, book: Any, fields: Sequence[MappedField]) -> int:
    """Upload the scheduled members of ``book``; return how many files went out.

    Dotdigital runs at most ``DOTDIGITAL_MAX_ACTIVE_IMPORTS`` imports per account at once and refuses
    the next upload with ERROR_IMPORT_TOOMANYACTIVEIMPORTS. So before each file the export waits for
    a free slot (polling the oldest running import), for at most ``DOTDIGITAL_IMPORT_SLOT_WAIT``
    seconds. What does not fit stays scheduled for the next run: a big list is never a failed run.
    """
    member = ctx.models.AddressBookContact
    slots = ImportSlots(ctx)
    sent = 0
    for number, (data, rows) in enumerate(files(ctx, book, fields), start=1):
        if not slots.wait():
            ctx.progress(f"{book.name}: all import slots busy; {slots.left(book)} rows go with the next run")
            break
        try:
            answer = upload_contacts(ctx.client, book.origin_id, data,
                                     filename=f"book-{book.origin_id}-{number}.csv")
        except ApiError as err:
            if err.code == TOO_MANY_IMPORTS:
                ctx.progress(f"{book.name}: Dotdigital has no free import slot; "
                             f"{slots.left(book)} rows go with the next run")
                break
            ctx.counts.errors += len(rows)
            ctx.progress(f"{book.name}: upload failed, {len(rows)} rows stay scheduled ({err.message})")
            raise
        import_id = str(answer["id"])
        ctx.session.add(ctx.models.ContactExport(
            integration_id=ctx.integration_id, address_book_id=book.id, import_id=import_id,
            status=ImportStatus(answer.get("status") or "NotFinished") if answer.get("status") in
            ImportStatus.__members__ else ImportStatus.NotFinished, rows=len(rows)))
        # The file holds every scheduled row of the book between its first and last id (they were
        # read in id order, and only this run, under the integration's lock, schedules rows), so
        # one set-based UPDATE records the upload instead of one parameter set per row.
        ctx.session.execute(update(member).where(
            member.address_book_id == book.id, member.scheduled_for_export.is_(True),
            member.id.between(rows[0].id, rows[-1].id)).values(
            scheduled_for_export=False, export_id=import_id, exported_hash=member.pending_hash))
        ctx.commit()
        ctx.counts.read += len(rows)
        sent += 1
        ctx.progress(f"{book.name}: file {number} uploaded ({len(rows)} rows)")
    return sent
