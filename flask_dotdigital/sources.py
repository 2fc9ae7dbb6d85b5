"""Contact sources: the host app's models that hold contacts (Oro's "entities with contact information").

A host app registers them with ``dotdigital.register_entity(Model, email="email", label="Contact")``.
Marketing lists and data field mappings then offer their fields, read from the model itself: its
columns and the columns behind its to-one relations (``owner.email``), each with a type that the
mapping rules understand. Segments are named queries over one source, defined in code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, inspect, select, types
from sqlalchemy.orm import aliased

from .errors import ConfigError

#: Field types as the mapping rules see them (Oro's Doctrine type families, §3.4).
TYPE_FAMILIES: tuple[tuple[type, str], ...] = (
    (types.Boolean, "boolean"),
    (types.DateTime, "datetime"),
    (types.Date, "date"),
    (types.Integer, "integer"),
    (types.Numeric, "numeric"),
    (types.Float, "numeric"),
    (types.LargeBinary, "binary"),
    (types.JSON, "object"),
    (types.PickleType, "object"),
    (types.Enum, "string"),
    (types.String, "string"),
)


def type_family(column_type: Any) -> str:
    for sa_type, family in TYPE_FAMILIES:
        if isinstance(column_type, sa_type):
            return family
    return "other"


@dataclass(frozen=True)
class SourceField:
    path: str
    label: str
    type: str
    #: computed in Python by the host (``register_entity(virtual=...)``), not stored in a column
    virtual: bool = False

    @property
    def direct(self) -> bool:
        """A column of the entity itself, not reached through a relation (two-way sync needs this)."""
        return "." not in self.path and not self.virtual


@dataclass
class ContactSource:
    key: str
    model: Any
    label: str
    email: str
    owner: str | None = None
    exclude: frozenset[str] = frozenset()
    segments: dict[str, Callable[[Select[Any]], Select[Any]]] = field(default_factory=dict)
    #: virtual fields: name → (type family, function of the record)
    virtual: dict[str, tuple[str, Callable[[Any], Any]]] = field(default_factory=dict)

    def fields(self) -> list[SourceField]:
        """Columns, then the columns of to-one relations (one level), minus excluded paths."""
        mapper = inspect(self.model)
        found = [SourceField(c.key, _label(c.key), type_family(c.columns[0].type))
                 for c in mapper.column_attrs]
        for rel in mapper.relationships:
            if rel.uselist:
                continue  # Oro's FieldProvider leaves out to-many relations too
            for column in inspect(rel.mapper.class_).column_attrs:
                found.append(SourceField(f"{rel.key}.{column.key}",
                                         f"{_label(rel.key)} → {_label(column.key)}",
                                         type_family(column.columns[0].type)))
        found += [SourceField(name, f"{_label(name)} (computed)", kind, virtual=True)
                  for name, (kind, _) in self.virtual.items()]
        return [f for f in found if f.path not in self.exclude
                and f.path.split(".")[0] not in self.exclude]

    def field(self, path: str) -> SourceField:
        for candidate in self.fields():
            if candidate.path == path:
                return candidate
        raise ConfigError(f"{self.label} has no field {path!r}.")

    @property
    def id_column(self) -> Any:
        return inspect(self.model).primary_key[0]


def _label(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


class Columns:
    """Turns field paths into SQL expressions, joining each to-one relation once."""

    def __init__(self, source: ContactSource) -> None:
        self.source = source
        self._joins: dict[str, Any] = {}

    def __call__(self, path: str) -> Any:
        if self.source.field(path).virtual:  # also refuses unknown and excluded paths
            raise ConfigError(f'"{path}" is computed in Python: it cannot be used in a query.')
        head, _, tail = path.partition(".")
        if not tail:
            return getattr(self.source.model, head)
        if head not in self._joins:
            relation = inspect(self.source.model).relationships[head]
            self._joins[head] = aliased(relation.mapper.class_)
        return getattr(self._joins[head], tail)

    def apply_joins(self, query: Select[Any]) -> Select[Any]:
        for name, target in self._joins.items():
            query = query.outerjoin(target, getattr(self.source.model, name).of_type(target))
        return query


class SourceRegistry:
    """The registered contact sources of one extension, in registration order."""

    def __init__(self) -> None:
        self._sources: dict[str, ContactSource] = {}

    def register(self, model: Any, *, email: str = "email", label: str | None = None,
                 owner: str | None = None, exclude: Iterable[str] = (), key: str | None = None,
                 virtual: dict[str, tuple[str, Callable[[Any], Any]]] | None = None) -> ContactSource:
        key = key or model.__name__
        if key in self._sources:
            raise ConfigError(f"{key} is already registered as a contact source.")
        source = ContactSource(key=key, model=model, label=label or model.__name__, email=email,
                               owner=owner, exclude=frozenset(exclude), virtual=dict(virtual or {}))
        source.field(email)  # the email path must exist (column or to-one relation)
        self._sources[key] = source
        return source

    def get(self, key: str) -> ContactSource:
        try:
            return self._sources[key]
        except KeyError:
            raise ConfigError(f"No contact source is registered as {key!r}.") from None

    def __iter__(self) -> Iterator[ContactSource]:
        return iter(self._sources.values())

    def __contains__(self, key: object) -> bool:
        return key in self._sources

    def choices(self) -> list[tuple[str, str]]:
        return [(s.key, s.label) for s in self._sources.values()]


def base_query(source: ContactSource, columns: Columns) -> Select[Any]:
    """Entity id and lower-cased email of every row with an email."""
    from sqlalchemy import func

    email = columns(source.email)
    return select(source.id_column.label("entity_id"), func.lower(email).label("email")).where(
        email.is_not(None), email != "")
