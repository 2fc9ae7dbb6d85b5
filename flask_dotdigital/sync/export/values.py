"""Data-field values of list members, computed from the integration's mapping for the list's entity.

Several entity fields of one row are joined with a single space (Oro's CONCAT_WS(' ', ...)); dates
go out in ISO format without a zone, as Oro sends them; a hash of the values tells whether a member
changed since it was last exported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ...sources import Columns, ContactSource


@dataclass(frozen=True)
class MappedField:
    data_field: str
    data_type: str
    paths: tuple[str, ...]
    two_way: bool = False


def mapped_fields(db: Any, models: Any, integration_id: int, entity: str) -> tuple[list[MappedField], int]:
    """The mapping rows for ``entity`` in this integration, and the mapping's sync priority."""
    mapping = db.session.execute(select(models.DataFieldMapping).where(
        models.DataFieldMapping.integration_id == integration_id,
        models.DataFieldMapping.entity == entity)).scalar()
    if mapping is None:
        return [], 0
    fields = [MappedField(row.data_field.name, str(row.data_field.type), tuple(row.field_paths),
                          bool(row.is_two_way_sync))
              for row in mapping.configs if row.data_field is not None]
    return sorted(fields, key=lambda f: f.data_field), mapping.sync_priority


def wire_value(value: Any, data_type: str) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat() + "T00:00:00"
    if data_type == "Boolean":
        return bool(value)
    return value


def member_values(db: Any, source: ContactSource, fields: Sequence[MappedField],
                  entity_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """entity id → {DATA_FIELD: value} for one batch of members (one SELECT)."""
    if not fields:
        return {entity_id: {} for entity_id in entity_ids}
    columns = Columns(source)
    wanted = sorted({path for f in fields for path in f.paths})
    computed = [p for p in wanted if p in source.virtual]
    paths = [p for p in wanted if p not in source.virtual]
    query = columns.apply_joins(select(source.id_column, *[columns(p) for p in paths])
                                .where(source.id_column.in_(list(entity_ids))))
    virtual = _virtual_values(db, source, computed, entity_ids)
    values: dict[int, dict[str, Any]] = {}
    for row in db.session.execute(query):
        by_path = {**dict(zip(paths, row[1:], strict=True)), **virtual.get(row[0], {})}
        out: dict[str, Any] = {}
        for f in fields:
            parts = [by_path[p] for p in f.paths]
            if len(parts) == 1:
                out[f.data_field] = wire_value(parts[0], f.data_type)
            else:
                joined = " ".join(str(wire_value(p, "String")) for p in parts if p not in (None, ""))
                out[f.data_field] = joined or None
        values[row[0]] = out
    return values


def _virtual_values(db: Any, source: ContactSource, names: Sequence[str],
                    entity_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Virtual fields need the records themselves: one SELECT of the batch's records."""
    if not names:
        return {}
    records = db.session.execute(select(source.model).where(source.id_column.in_(list(entity_ids))))
    out: dict[int, dict[str, Any]] = {}
    for record in records.scalars():
        key = getattr(record, source.id_column.key)
        out[key] = {name: source.virtual[name][1](record) for name in names}
    return out


def values_hash(email: str, values: dict[str, Any]) -> str:
    canonical = json.dumps([email, values], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()
