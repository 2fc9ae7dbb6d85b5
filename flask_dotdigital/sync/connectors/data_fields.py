"""Connector 7: data fields. Upsert them; remove local ones Dotdigital no longer has."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from ...api.data_fields import data_fields
from ...models.enums import DataFieldType, DataFieldVisibility, coerce
from ..context import SyncContext
from ..rows import as_text, write

NAME = "datafield"


def default_value(kind: DataFieldType | None, value: Any) -> str | None:
    """Stored as Oro stores it: a string, Booleans as Yes/No, the literal "null" as nothing."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or value == "null":
        return None
    if kind == DataFieldType.Boolean:
        return "Yes" if str(value).lower() in {"true", "1", "yes"} else "No"
    return as_text(value)


def run(ctx: SyncContext) -> None:
    remote = data_fields(ctx.client)
    ctx.counts.read += len(remote)
    rows = []
    for item in remote:
        name = as_text(item.get("name"))
        if not name:
            ctx.counts.errors += 1
            continue
        kind = coerce(DataFieldType, item.get("type"), DataFieldType.String)
        rows.append({"integration_id": ctx.integration_id, "name": name, "type": kind,
                     "visibility": coerce(DataFieldVisibility, item.get("visibility"),
                                          DataFieldVisibility.Private),
                     "default_value": default_value(kind, item.get("defaultValue"))})
    write(ctx, ctx.models.DataField, rows, ["integration_id", "name"],
          update=["type", "visibility", "default_value", "updated_at"])
    if rows:  # an empty answer removes nothing (Oro's rule): more likely a glitch than a wipe
        field, config = ctx.models.DataField, ctx.models.DataFieldMappingConfig
        gone = select(field.id).where(field.integration_id == ctx.integration_id,
                                      field.name.not_in([r["name"] for r in rows]))
        # Mapping rows first: SQLite enforces ON DELETE CASCADE only when the host enabled it.
        ctx.session.execute(delete(config).where(config.data_field_id.in_(gone)))
        result = ctx.session.execute(delete(field).where(field.id.in_(gone)))
        ctx.counts.deleted += result.rowcount or 0
    ctx.commit()


def after_success(ctx: SyncContext) -> None:
    """The first import that brings data fields also brings the default name mappings (§2.4.7)."""
    from flask import current_app

    from ...mappings import create_default_mappings, has_mappings

    if has_mappings(ctx.db, ctx.models, ctx.integration_id):
        return
    sources = current_app.extensions["dotdigital"].ext.sources
    created = create_default_mappings(ctx.db, ctx.models, sources, ctx.integration_id)
    if created:
        ctx.progress(f"created {created} default data field mappings")
