"""Data-field values of list members, computed from the integration's mapping for the list's entity.

Several entity fields of one row are joined with a single space (Oro's CONCAT_WS(' ', ...)); dates
go out in ISO format without a zone, as Oro sends them; a hash of the text that goes into the CSV
tells whether a member changed since it was last exported.
"""

from __future__ import annotations

import hashlib
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


class ValueColumns:
    """Where the mapped fields' values come from: entity columns, read in the same SELECT as the
    members (``expressions``), and virtual fields, computed in Python from the records."""

    def __init__(self, source: ContactSource, fields: Sequence[MappedField], columns: Columns) -> None:
        self.source = source
        wanted = sorted({path for f in fields for path in f.paths})
        self.virtual = [p for p in wanted if p in source.virtual]
        self.paths = [p for p in wanted if p not in source.virtual]
        self.expressions = [columns(p) for p in self.paths]
        #: per field: its name, its type, and where its parts are (index into ``paths``, or a
        #: virtual path)
        position = {path: index for index, path in enumerate(self.paths)}
        self._plan = [(f.data_field, f.data_type, [position.get(p, p) for p in f.paths]) for f in fields]

    def computed(self, db: Any, entity_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """entity id → {virtual path: value} for a batch (one SELECT of the records, if needed)."""
        return _virtual_values(db, self.source, self.virtual, entity_ids)

    def values(self, read: Sequence[Any], computed: dict[str, Any] | None = None) -> dict[str, Any]:
        """{DATA_FIELD: wire value} from the values read for ``paths`` (and the computed ones)."""
        out: dict[str, Any] = {}
        for name, data_type, where in self._plan:
            parts = [read[w] if isinstance(w, int) else (computed or {}).get(w) for w in where]
            if len(parts) == 1:
                out[name] = wire_value(parts[0], data_type)
            else:
                joined = " ".join(str(wire_value(p, "String")) for p in parts if p not in (None, ""))
                out[name] = joined or None
        return out


def member_values(db: Any, source: ContactSource, fields: Sequence[MappedField],
                  entity_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """entity id → {DATA_FIELD: value} for one batch of members (one SELECT)."""
    if not fields:
        return {entity_id: {} for entity_id in entity_ids}
    columns = Columns(source)
    reader = ValueColumns(source, fields, columns)
    query = columns.apply_joins(select(source.id_column, *reader.expressions)
                                .where(source.id_column.in_(list(entity_ids))))
    computed = reader.computed(db, entity_ids)
    return {row[0]: reader.values(row[1:], computed.get(row[0])) for row in db.session.execute(query)}


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


def cell(value: Any) -> str:
    """A value as its CSV cell: what Dotdigital receives."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def values_hash(email: str, values: dict[str, Any]) -> str:
    """A digest of the cells a member's CSV row carries: equal digests, nothing new to send.

    It hashes the text that goes out, not the Python values, so 5 and "5" count as the same (the
    file cannot tell them apart), and it costs a join and one SHA-1, not a sorted JSON dump.
    """
    text = "\x1f".join([email, *[f"{name}\x1e{cell(value)}" for name, value in sorted(values.items())]])
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
