"""Step 4: CSV files of members, uploaded to the book, one ContactExport per file.

``upload_book`` packs the (CSV line, row) pairs of its feeds into files: a file closes at
``DOTDIGITAL_EXPORT_BATCH_SIZE`` rows or before it would pass Dotdigital's 50 MB limit (§2.2). Each
file is uploaded, then each feed records its rows of the file, then the whole is committed: a file
whose upload fails records nothing, so its rows go out with the next run. Two feeds, in this order:
the rows already scheduled (changed members, files that failed before; ``Scheduled``, read back in
id order) and the list's new members (``members.NewMembers``, streamed as they are read), so one
incremental run with both sends one file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select, update

from ...api.imports import upload_contacts
from ...errors import ApiError
from ...models.enums import ImportStatus
from ..context import SyncContext
from .slots import TOO_MANY_IMPORTS, ImportSlots
from .values import MappedField, cell

#: Dotdigital's limit is 50 MB per file; keep a margin for the multipart envelope.
MAX_FILE_BYTES = 49 * 1024 * 1024
READ_BATCH = 2000



class Feed(Protocol):
    def pairs(self) -> Iterator[tuple[list[str], Any]]:
        """(CSV line, row) for each member to send."""

    def record(self, import_id: str, rows: list[Any]) -> None:
        """Store that ``rows`` went out in the upload ``import_id``."""


def csv_header(fields: Sequence[MappedField]) -> list[str]:
    # Email is the one required column; the others map to contact properties and data fields.
    return ["Email", "optInType", "emailType", *[f.data_field for f in fields]]


def csv_line(email: str, opt_in_type: Any, email_type: Any, fields: Sequence[MappedField],
             values: dict[str, Any]) -> list[str]:
    return [email, str(opt_in_type or "Single"), str(email_type or "Html"),
            *[cell(values.get(f.data_field)) for f in fields]]


def _files(header: list[str], pairs: Iterable[tuple[list[str], Any]]) -> Iterator[tuple[bytes, list[Any]]]:
    """(CSV bytes, rows) per file."""
    limit = int(current_app.config["DOTDIGITAL_EXPORT_BATCH_SIZE"])
    buffer, writer, rows = _new_file(header)
    for line, row in pairs:
        before = buffer.tell()
        writer.writerow(line)
        if rows and (len(rows) >= limit or buffer.tell() > MAX_FILE_BYTES):
            yield buffer.getvalue()[:before].encode("utf-8"), rows
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


def upload_book(ctx: SyncContext, book: Any, fields: Sequence[MappedField], feeds: Sequence[Feed]) -> bool:
    """Upload the feeds' members; True when all went out, False when some must wait for a slot.

    Dotdigital runs at most ``DOTDIGITAL_MAX_ACTIVE_IMPORTS`` imports per account at once and refuses
    the next upload with ERROR_IMPORT_TOOMANYACTIVEIMPORTS. So before each file the export waits for
    a free slot (polling the oldest running import), for at most ``DOTDIGITAL_IMPORT_SLOT_WAIT``
    seconds. What does not fit waits for the next run: a big list is never a failed run.
    """
    pairs = ((line, (feed, row)) for feed in feeds for line, row in feed.pairs())
    slots = ImportSlots(ctx)
    for number, (data, tagged) in enumerate(_files(csv_header(fields), pairs), start=1):
        rows = [row for _, row in tagged]
        if not slots.wait():
            ctx.progress(f"{book.name}: all import slots busy; the rest goes with the next run")
            return False
        try:
            answer = upload_contacts(ctx.client, book.origin_id, data,
                                     filename=f"book-{book.origin_id}-{number}.csv")
        except ApiError as err:
            if err.code == TOO_MANY_IMPORTS:
                ctx.progress(f"{book.name}: Dotdigital has no free import slot; "
                             "the rest goes with the next run")
                return False
            ctx.counts.errors += len(rows)
            ctx.progress(f"{book.name}: upload failed, {len(rows)} rows go with the next run "
                         f"({err.message})")
            raise
        import_id = str(answer["id"])
        ctx.session.add(ctx.models.ContactExport(
            integration_id=ctx.integration_id, address_book_id=book.id, import_id=import_id,
            status=ImportStatus(answer["status"]) if answer.get("status") in ImportStatus.__members__
            else ImportStatus.NotFinished, rows=len(rows)))
        for feed in feeds:
            mine = [row for owner, row in tagged if owner is feed]
            if mine:
                feed.record(import_id, mine)
        ctx.commit()
        ctx.counts.read += len(rows)
        ctx.progress(f"{book.name}: file {number} uploaded ({len(rows)} rows)")
    ctx.commit()
    return True


class Scheduled:
    """The rows scheduled in the book: changed members, and the rows of files that failed before."""

    def __init__(self, ctx: SyncContext, book: Any, fields: Sequence[MappedField]) -> None:
        self.ctx, self.book, self.fields = ctx, book, fields

    def pairs(self) -> Iterator[tuple[list[str], Any]]:
        member, contact = self.ctx.models.AddressBookContact, self.ctx.models.Contact
        last = 0
        while True:
            page = self.ctx.session.execute(
                select(member.id, member.pending_values, contact.email, contact.opt_in_type,
                       contact.email_type)
                .join(contact, member.contact_id == contact.id)
                .where(member.address_book_id == self.book.id, member.scheduled_for_export.is_(True),
                       member.id > last).order_by(member.id).limit(READ_BATCH)).all()
            if not page:
                return
            for row in page:
                yield csv_line(row.email, row.opt_in_type, row.email_type, self.fields,
                               row.pending_values or {}), row
            last = page[-1].id

    def record(self, import_id: str, rows: list[Any]) -> None:
        # The file holds every scheduled row of the book between its first and last id (they were
        # read in id order, and only this run, under the integration's lock, schedules rows), so
        # one set-based UPDATE records the upload instead of one parameter set per row.
        member = self.ctx.models.AddressBookContact
        self.ctx.session.execute(update(member).where(
            member.address_book_id == self.book.id, member.scheduled_for_export.is_(True),
            member.id.between(rows[0].id, rows[-1].id)).values(
            scheduled_for_export=False, export_id=import_id, exported_hash=member.pending_hash))
