"""Change tracking: a change to a mapped field marks the affected members for re-export.

SQLAlchemy ``before_flush`` looks at the dirty host records of registered contact sources, and at
records they reach through a to-one relation (``owner.email``). When a column that some mapping
uses changed, ``after_flush`` flags the matching address-book members (``entity_updated``) with one
UPDATE per source, in the host's own transaction. The set of tracked columns is read from the
mappings at most every few seconds, so a host write costs a dictionary lookup, not a query.
Writes made by the sync itself (two-way fields) run under the echo guard and are not tracked.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from .sync.export.inbound import echo_guard

CACHE_SECONDS = 5.0


class ChangeTracker:
    def __init__(self, ext: Any) -> None:
        self.ext = ext
        self._loaded = -CACHE_SECONDS
        #: model class → [(source, {column keys})] for the source's own columns
        self._direct: dict[type, list[tuple[Any, set[str]]]] = {}
        #: related model class → [(source, relation name, {column keys})]
        self._related: dict[type, list[tuple[Any, str, set[str]]]] = {}

    def install(self, session: Any) -> None:
        event.listen(session, "before_flush", self._before_flush)
        event.listen(session, "after_flush", self._after_flush)

    def invalidate(self) -> None:
        self._loaded = -CACHE_SECONDS

    def _refresh(self, session: Session) -> None:
        if time.monotonic() - self._loaded < CACHE_SECONDS:
            return
        models = self.ext.models
        mapping, config = models.DataFieldMapping, models.DataFieldMappingConfig
        rows = session.connection().execute(select(mapping.entity, config.entity_fields)
                                            .join(config, config.mapping_id == mapping.id)).all()
        direct: dict[type, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        related: dict[type, dict[tuple[str, str], set[str]]] = defaultdict(lambda: defaultdict(set))
        for entity, fields in rows:
            if entity not in self.ext.sources:
                continue
            source = self.ext.sources.get(entity)
            for path in (fields or "").split(","):
                head, _, tail = path.partition(".")
                if not tail:
                    direct[source.model][source.key].add(head)
                else:
                    target = inspect(source.model).relationships[head].mapper.class_
                    related[target][(source.key, head)].add(tail)
        self._direct = {m: [(self.ext.sources.get(k), cols) for k, cols in d.items()]
                        for m, d in direct.items()}
        self._related = {m: [(self.ext.sources.get(k), rel, cols) for (k, rel), cols in d.items()]
                         for m, d in related.items()}
        self._loaded = time.monotonic()

    def _before_flush(self, session: Session, flush_context: Any, instances: Any) -> None:
        if echo_guard.get() or not session.dirty:
            return
        self._refresh(session)
        if not self._direct and not self._related:
            return
        changed: dict[str, set[Any]] = session.info.setdefault("dotdigital_changed", {})
        for obj in session.dirty:
            state = inspect(obj)
            for source, columns in self._direct.get(type(obj), ()):
                if _changed(state, columns):
                    changed.setdefault(source.key, set()).add(state.identity[0])
            for source, relation, columns in self._related.get(type(obj), ()):
                if _changed(state, columns):
                    changed.setdefault(f"{source.key}\0{relation}", set()).add(state.identity[0])

    def _after_flush(self, session: Session, flush_context: Any) -> None:
        changed = session.info.pop("dotdigital_changed", None)
        if not changed:
            return
        member = self.ext.models.AddressBookContact
        for key, ids in changed.items():
            source_key, _, relation = key.partition("\0")
            source = self.ext.sources.get(source_key)
            if relation:  # records that reach the changed one through the relation
                target = inspect(source.model).relationships[relation]
                fk = next(iter(target.local_columns))
                ids = select(source.id_column).where(fk.in_(ids)).scalar_subquery()
            session.connection().execute(update(member).where(
                member.marketing_list_item_class == source_key,
                member.marketing_list_item_id.in_(ids), member.entity_updated.is_(False))
                .values(entity_updated=True))


def _changed(state: Any, columns: set[str]) -> bool:
    return state.identity is not None and any(
        key in state.attrs and state.attrs[key].history.has_changes() for key in columns)
