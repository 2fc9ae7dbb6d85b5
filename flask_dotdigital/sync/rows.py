"""Shared helpers for turning API pages into table rows and writing them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from .context import SyncContext
from .upsert import dedupe, existing_keys, key_getter, upsert


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float in the JSON
        return None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    return str(value).strip().lower() in {"true", "1", "yes"}


def as_text(value: Any, limit: int = 255) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:limit] if text else None


def lower_email(value: Any) -> str | None:
    """Emails are stored lowercase, as Oro does since its v1_6 migration."""
    if not isinstance(value, str) or "@" not in value:
        return None
    return value.strip().lower()[:255]


def write(ctx: SyncContext, model: Any, rows: Sequence[dict[str, Any]], keys: Sequence[str], *,
          update: Sequence[str] | None = None, returning: Sequence[str] = (),
          stamp: datetime | None = None, known: set[tuple[Any, ...]] | None = None) -> list[Any]:
    """Upsert ``rows`` and count them as created or updated on the context.

    Rows are grouped by the columns they carry: a partial row (say, a contact without data fields)
    updates only its own columns and leaves the others as stored. ``known``, when the caller has
    already read which keys are stored, saves the SELECT that tells new rows from updated ones.
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in dedupe(rows, keys):
        # Rows built by one converter list their keys in the same order: the tuple is the set.
        groups.setdefault(tuple(row), []).append(row)
    if len(groups) > 1:
        return [out for group in groups.values()
                for out in write(ctx, model, group, keys, update=update, returning=returning,
                                 stamp=stamp, known=known)]
    rows = next(iter(groups.values()), [])
    if not rows:
        return []
    table = model.__table__
    if "updated_at" in table.c:
        now = stamp or ctx.started_at
        rows = [{"created_at": now, "updated_at": now, **row} for row in rows]
        if update is None:
            update = [c for c in rows[0] if c not in keys and c != "created_at"]
    if known is None:
        known = existing_keys(ctx.session, table, keys, rows)
    key = key_getter(keys)
    stored = sum(1 for row in rows if key(row) in known)
    ctx.counts.created += len(rows) - stored
    ctx.counts.updated += stored
    return upsert(ctx.session, table, rows, keys, update=update, returning=returning)


def contact_ids_by_origin(ctx: SyncContext, origin_ids: Sequence[int]) -> dict[int, int]:
    """Local contact ids for Dotdigital contact ids (one query per page)."""
    wanted = {i for i in origin_ids if i is not None}
    if not wanted:
        return {}
    model = ctx.models.Contact
    found = ctx.session.execute(select(model.origin_id, model.id).where(
        model.integration_id == ctx.integration_id, model.origin_id.in_(wanted)))
    return {origin: local for origin, local in found}


def books_to_import(ctx: SyncContext) -> list[Any]:
    """The books whose contacts and campaigns are imported.

    Oro imports only books linked to a marketing list. Until marketing lists arrive, every book of
    the integration is imported.
    """
    model = ctx.models.AddressBook
    return list(ctx.session.execute(select(model).where(
        model.integration_id == ctx.integration_id).order_by(model.id)).scalars())


def live_campaigns(ctx: SyncContext) -> list[Any]:
    model = ctx.models.Campaign
    return list(ctx.session.execute(select(model).where(
        model.integration_id == ctx.integration_id, model.deleted.is_(False)).order_by(model.id)
    ).scalars())


__all__ = ["as_bool", "as_int", "as_text", "books_to_import", "contact_ids_by_origin",
           "live_campaigns", "lower_email", "write", "existing_keys"]
