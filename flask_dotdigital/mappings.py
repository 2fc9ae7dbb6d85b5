"""Data field mapping rules: row validation, merging, default mappings and re-export marking.

Pure rules over the models and the contact sources, with Oro's own messages (§3.4), so that the
admin form, the sync and the tests all apply the same ones. Nothing here knows about Flask-Admin.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from .models.enums import DataFieldType
from .sources import ContactSource, SourceRegistry

NOT_BLANK = "This value should not be blank."
SEVERAL_FIELDS = "Several entity fields can be mapped only to the Data Field of type string"
TWO_WAY = "Two way sync is possible only for a single field of the entity itself"
DUPLICATE = "The same Data Field can be mapped only one time"
MAPPING_EXISTS = "Mapping for this entity already exists in this dotdigital integration"
BAD_SOURCE = "The mapping configuration could not be read; reload the page and try again."

#: data field type → (field type families it accepts, message); String accepts all but these
ACCEPTS: dict[DataFieldType, tuple[frozenset[str], str]] = {
    DataFieldType.Numeric: (frozenset({"integer", "numeric"}),
                            'Mapping for field "{}" must be of numeric type'),
    DataFieldType.Date: (frozenset({"date", "datetime"}),
                         'Mapping for field "{}" must be of datetime type'),
    DataFieldType.Boolean: (frozenset({"boolean"}), 'Mapping for field "{}" must be of boolean type'),
}
NOT_STRING = frozenset({"binary", "object"})
NOT_STRING_MESSAGE = 'Mapping for field "{}" must be convertable to string'

#: Oro's default sync priorities (AddDefaultMappingListener): its Contact 20, Lead 10, others 0
DEFAULT_PRIORITY = {"Contact": 20, "Lead": 10}
FIRST_NAME_PATHS = ("first_name", "firstName", "firstname")
LAST_NAME_PATHS = ("last_name", "lastName", "lastname")
FULL_NAME_PATHS = ("name", "full_name", "fullName", "fullname")


@dataclass
class MappingRow:
    """One submitted row: ``data_field`` is the DataField row, or None when missing or foreign."""

    entity_fields: list[str]
    data_field: Any
    two_way: bool = False
    id: int | None = None


@dataclass(frozen=True)
class RowError:
    row: int  #: 1-based, as the form numbers its rows
    column: str | None  #: "entity_fields", "data_field", or None for the row as a whole
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}: {self.message}"


def split_fields(text: str | None) -> list[str]:
    return [path.strip() for path in (text or "").split(",") if path.strip()]


def row_problems(source: ContactSource, data_field: Any, entity_fields: Sequence[str],
                 two_way: bool) -> list[tuple[str | None, str]]:
    """(column, message) for everything wrong with one row (Oro's DataFieldMappingConfigValidator)."""
    problems: list[tuple[str | None, str]] = []
    if not entity_fields:
        problems.append(("entity_fields", NOT_BLANK))
    if data_field is None:
        problems.append(("data_field", NOT_BLANK))
    known = {f.path: f for f in source.fields()}
    fields = []
    for path in entity_fields:
        if path in known:
            fields.append(known[path])
        else:
            problems.append(("entity_fields", f'Unknown field "{path}" of {source.label}'))
    if two_way and (len(entity_fields) != 1 or not all(f.direct for f in fields)):
        problems.append(("entity_fields", TWO_WAY))
    if data_field is None or not fields:
        return problems
    kind = DataFieldType(data_field.type)
    if len(entity_fields) > 1 and kind != DataFieldType.String:
        problems.append(("entity_fields", SEVERAL_FIELDS))
        return problems
    if kind in ACCEPTS:
        families, message = ACCEPTS[kind]
        wrong = any(f.type not in families for f in fields)
    else:
        message = NOT_STRING_MESSAGE
        wrong = any(f.type in NOT_STRING for f in fields)
    if wrong:
        problems.append(("data_field", message.format(data_field.name)))
    return problems


def check_row(source: ContactSource, data_field: Any, entity_fields: list[str], two_way: bool) -> list[str]:
    """Oro's messages for one mapping row; empty when the row is fine."""
    return [message for _, message in row_problems(source, data_field, entity_fields, two_way)]


def check_mapping(source: ContactSource, rows: Sequence[MappingRow]) -> list[RowError]:
    """Every row's problems, plus a data field mapped twice (reported on its later rows)."""
    errors: list[RowError] = []
    seen: set[int] = set()
    for number, row in enumerate(rows, start=1):
        for column, message in row_problems(source, row.data_field, row.entity_fields, row.two_way):
            errors.append(RowError(number, column, message))
        if row.data_field is not None:
            if row.data_field.id in seen:
                errors.append(RowError(number, "data_field", DUPLICATE))
            seen.add(row.data_field.id)
    return errors


def mapping_exists(db: Any, models: Any, integration_id: int, entity: str,
                   exclude_id: int | None = None) -> bool:
    """Oro's unique (channel, entity): another mapping of this entity in this integration."""
    mapping = models.DataFieldMapping
    query = select(mapping.id).where(mapping.integration_id == integration_id, mapping.entity == entity)
    if exclude_id is not None:
        query = query.where(mapping.id != exclude_id)
    return db.session.execute(query.limit(1)).first() is not None


# -- the editor's JSON (Oro's ``config_source``) ------------------------------------------------


def parse_config_source(text: str | None) -> list[dict[str, Any]]:
    """``{"mapping": [{"id", "entityFields", "dataField", "isTwoWaySync"}]}`` → plain row dicts.

    ``dataField`` may be an id or Oro's ``{"value": id, "name": ...}``. Raises ValueError on any
    other shape: the editor wrote it, so a bad shape means a tampered or stale page.
    """
    if not (text or "").strip():
        return []
    document = json.loads(text or "")
    items = document.get("mapping") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ValueError("no mapping list")
    rows = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("a row is not an object")
        data_field = item.get("dataField")
        if isinstance(data_field, dict):
            data_field = data_field.get("value")
        fields = item.get("entityFields") or ""
        if isinstance(fields, list):
            fields = ",".join(str(f) for f in fields)
        rows.append({"id": _int_or_none(item.get("id")), "entity_fields": split_fields(str(fields)),
                     "data_field_id": _int_or_none(data_field),
                     "two_way": bool(item.get("isTwoWaySync"))})
    return rows


def _int_or_none(value: Any) -> int | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    return int(value)  # ValueError for anything else, as parse_config_source promises


def config_source(configs: Iterable[Any]) -> str:
    """The editor's JSON for stored rows."""
    return json.dumps({"mapping": [
        {"id": c.id, "entityFields": c.entity_fields, "dataField": c.data_field_id,
         "isTwoWaySync": bool(c.is_two_way_sync)} for c in configs]})


def apply_rows(mapping: Any, rows: Sequence[MappingRow], config_model: Any) -> bool:
    """Merge validated rows into ``mapping.configs``; True when members need exporting again.

    A row takes the stored row of its data field first, then the stored row with its id, else a
    new one; stored rows nobody took are removed. Matching by data field first means a stored row
    never takes a data field another stored row still holds, so the unique key holds mid-flush.
    Re-export is needed for new rows and changed fields or data fields (Oro's MappingUpdateListener);
    switching two-way sync on needs nothing until the contact import honours it.
    """
    stored = list(mapping.configs)
    by_field = {c.data_field_id: c for c in stored}
    taken: dict[int, Any] = {}
    for index, row in enumerate(rows):
        config = by_field.get(row.data_field.id)
        if config is not None:
            taken[index] = config
    free = {c.id: c for c in stored if c not in taken.values()}
    reexport = False
    kept = []
    for index, row in enumerate(rows):
        config = taken.get(index) or (free.pop(row.id, None) if row.id is not None else None)
        fields = ",".join(row.entity_fields)
        if config is None:
            config = config_model()
            reexport = True
        elif config.entity_fields != fields or config.data_field_id != row.data_field.id:
            reexport = True
        config.entity_fields = fields
        config.data_field_id = row.data_field.id
        config.is_two_way_sync = bool(row.two_way)
        kept.append(config)
    mapping.configs = kept
    return reexport


# -- after the first data-field import, and after every mapping change -----------------------------


def mark_for_reexport(db: Any, models: Any, integration_id: int, entity_key: str) -> int:
    """Send every member of this source again with the next export (one UPDATE); returns the count."""
    member = models.AddressBookContact
    result = db.session.execute(
        update(member).where(member.integration_id == integration_id,
                             member.marketing_list_item_class == entity_key,
                             member.entity_updated.is_(False))
        .values(entity_updated=True).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def has_mappings(db: Any, models: Any, integration_id: int) -> bool:
    mapping = models.DataFieldMapping
    return bool(db.session.execute(
        select(func.count()).select_from(mapping).where(mapping.integration_id == integration_id)).scalar())


def default_rows(source: ContactSource, data_fields: dict[str, Any]) -> list[MappingRow]:
    """FIRSTNAME, LASTNAME and FULLNAME rows for the name fields this source has."""
    paths = {f.path for f in source.fields() if f.direct}
    first = next((p for p in FIRST_NAME_PATHS if p in paths), None)
    last = next((p for p in LAST_NAME_PATHS if p in paths), None)
    full = next((p for p in FULL_NAME_PATHS if p in paths), None)
    wanted: list[tuple[str, list[str]]] = []
    if first:
        wanted.append(("FIRSTNAME", [first]))
    if last:
        wanted.append(("LASTNAME", [last]))
    if first and last:
        wanted.append(("FULLNAME", [first, last]))
    elif full:
        wanted.append(("FULLNAME", [full]))
    rows = [MappingRow(fields, data_fields[name]) for name, fields in wanted if name in data_fields]
    return [row for row in rows if not check_row(source, row.data_field, row.entity_fields, False)]


def create_default_mappings(db: Any, models: Any, sources: SourceRegistry, integration_id: int) -> int:
    """A name mapping for every source that has none in this integration; returns how many were made.

    Sources without any of the name fields (or accounts without the name data fields) get no
    mapping: an empty one would only stand in the way of creating a real one. Members are not
    marked for re-export (Oro disables its mapping listener here too): nothing was exported yet.
    """
    mapping, field = models.DataFieldMapping, models.DataField
    existing = set(db.session.execute(
        select(mapping.entity).where(mapping.integration_id == integration_id)).scalars())
    data_fields = {f.name: f for f in db.session.execute(select(field).where(
        field.integration_id == integration_id,
        field.name.in_(["FIRSTNAME", "LASTNAME", "FULLNAME"]))).scalars()}
    created = 0
    for source in sources:
        if source.key in existing:
            continue
        rows = default_rows(source, data_fields)
        if not rows:
            continue
        new = models.DataFieldMapping(integration_id=integration_id, entity=source.key,
                                      sync_priority=DEFAULT_PRIORITY.get(source.key, 0))
        apply_rows(new, rows, models.DataFieldMappingConfig)
        db.session.add(new)
        created += 1
    db.session.flush()
    return created
