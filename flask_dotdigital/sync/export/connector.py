"""The ``contact_export`` connector: every connected book, in four steps (see the package docstring)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from ...errors import ApiError
from ..context import SyncContext
from . import changes
from .inbound import create_entities, two_way
from .members import NewMembers, refresh_changed
from .removal import mark_unsubscribed, remove_departed
from .status import book_is_busy, poll_exports
from .upload import Scheduled, upload_book
from .values import mapped_fields

NAME = "contact_export"


def connected_books(ctx: SyncContext) -> list[Any]:
    book = ctx.models.AddressBook
    return list(ctx.session.execute(select(book).where(
        book.integration_id == ctx.integration_id, book.marketing_list_id.is_not(None),
        book.origin_id.is_not(None)).order_by(book.id)).scalars())


def priorities(ctx: SyncContext) -> dict[str, int]:
    mapping = ctx.models.DataFieldMapping
    return dict(ctx.session.execute(select(mapping.entity, mapping.sync_priority).where(
        mapping.integration_id == ctx.integration_id)).all())


def run(ctx: SyncContext) -> None:
    sources = current_app.extensions["dotdigital"].ext.sources
    poll_exports(ctx)  # settle earlier uploads first: a busy book waits
    failures: list[ApiError] = []
    for book in connected_books(ctx):
        marketing_list = book.marketing_list
        if marketing_list.entity not in sources:
            ctx.counts.errors += 1
            continue
        source = sources.get(marketing_list.entity)
        fields, priority = mapped_fields(ctx.db, ctx.models, ctx.integration_id, source.key)
        two_way(ctx, book, source, fields, priority, priorities(ctx))
        create_entities(ctx, book, source, fields)
        try:
            _export_book(ctx, book, marketing_list, source, fields)
        except ApiError as err:
            failures.append(err)
    poll_exports(ctx)
    if failures:
        raise failures[0]


def _export_book(ctx: SyncContext, book: Any, marketing_list: Any, source: Any, fields: list[Any]) -> None:
    """Compare the list with the book, send what changed, and settle the comparison once it went out."""
    plan = changes.claim(ctx, book, marketing_list, source)
    compared = plan.idle or remove_departed(ctx, book, marketing_list, source, plan)
    refresh_changed(ctx, book, marketing_list, source, fields)
    failure = None
    if book_is_busy(ctx, book):
        ctx.progress(f"{book.name}: waiting for the previous import; new and changed members "
                     "go out with the next run")
        compared = False
    else:
        feeds: list[Any] = [Scheduled(ctx, book, fields)]
        if not plan.idle:
            feeds.append(NewMembers(ctx, book, marketing_list, source, fields, plan))
        try:
            compared = upload_book(ctx, book, fields, feeds) and compared
        except ApiError as err:
            failure, compared = err, False
    mark_unsubscribed(ctx, book, marketing_list)
    if compared:
        changes.settle(ctx, book, marketing_list, plan)
    if failure is not None:
        raise failure


class ExportStatus:
    """The status step alone (the 5-minute job and the end of every sync)."""

    NAME = "export_status"

    @staticmethod
    def run(ctx: SyncContext) -> None:
        poll_exports(ctx)
