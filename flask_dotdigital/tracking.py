"""Change tracking: a change to a mapped field marks the affected members for re-export.

SQLAlchemy ``before_flush`` looks at the dirty host records of registered contact sources, and at
records they reach through a to-one relation (``owner.email``). When a column that some mapping
uses changed, ``after_flush`` flags the matching address-book members (``entity_updated``) with one
UPDATE per source, in the host's own transaction. The set of tracked columns is read from the
mappings at most every few seconds, so a host write costs a dictionary lookup, not a query.
Writes made by the sync itself (two-way fields) run under the echo guard and are not tracked.

ORM bulk UPDATEs (``session.execute(update(Contact).where(...).values(...))``) never reach the
flush, so ``do_orm_execute`` flags their members before the statement runs, while its WHERE
still selects the rows it is about to change. Raw SQL is invisible to all of this: the export's
periodic recheck (``DOTDIGITAL_EXPORT_RECHECK_HOURS``) catches it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, instance_state

from .sync.export.inbound import echo_guard

CACHE_SECONDS = 5.0


class _Watch:
    """What one host class's writes can flag: the union of its tracked columns, then each target.

    A target is ``(changed-set key, columns)``; the key is the source key, or ``source\\0relation``
    for records that reach this class through a to-one relation.
    """

    __slots__ = ("columns", "targets")

    def __init__(self) -> None:
        self.columns: frozenset[str] = frozenset()
        self.targets: list[tuple[str, frozenset[str]]] = []

    def add(self, key: str, columns: set[str]) -> None:
        self.targets.append((key, frozenset(columns)))
        self.columns |= columns


class ChangeTracker:
    def __init__(self, ext: Any) -> None:
        self.ext = ext
        self._loaded = -CACHE_SECONDS
        #: host model class → what a change to its columns flags
        self._watch: dict[type, _Watch] = {}
        #: changed-set key → the UPDATE that flags its members (built once, reused every flush)
        self._flag: dict[str, Any] = {}

    def install(self, session: Any) -> None:
        event.listen(session, "before_flush", self._before_flush)
        event.listen(session, "after_flush", self._after_flush)
        event.listen(session, "do_orm_execute", self._bulk_update)

    def invalidate(self) -> None:
        self._loaded = -CACHE_SECONDS

    def _refresh(self, session: Session) -> None:
        if time.monotonic() - self._loaded < CACHE_SECONDS:
            return
        models = self.ext.models
        mapping, config = models.DataFieldMapping, models.DataFieldMappingConfig
        rows = session.connection().execute(select(mapping.entity, config.entity_fields)
                                            .join(config, config.mapping_id == mapping.id)).all()
        tracked: dict[type, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for entity, fields in rows:
            if entity not in self.ext.sources:
                continue
            source = self.ext.sources.get(entity)
            for path in (fields or "").split(","):
                head, _, tail = path.partition(".")
                if not tail:
                    tracked[source.model][source.key].add(head)
                else:
                    target = inspect(source.model).relationships[head].mapper.class_
                    tracked[target][f"{source.key}\0{head}"].add(tail)
        watch: dict[type, _Watch] = {}
        for model, targets in tracked.items():
            watch[model] = _Watch()
            for key, columns in targets.items():
                watch[model].add(key, columns)
        self._watch = watch
        self._flag = {key: self._flag[key] if key in self._flag else self._flag_statement(key)
                      for entry in watch.values() for key, _ in entry.targets}
        self._loaded = time.monotonic()

    def _before_flush(self, session: Session, flush_context: Any, instances: Any) -> None:
        if echo_guard.get():
            return
        dirty = session.dirty
        if not dirty:
            return
        self._refresh(session)
        if not self._watch:
            return
        changed: dict[str, set[Any]] = session.info.setdefault("dotdigital_changed", {})
        for obj in dirty:
            watch = self._watch.get(type(obj))
            if watch is None:
                continue
            state = instance_state(obj)
            # committed_state holds the attributes set since the last flush: a cheap first sieve.
            # An attribute set back to its loaded value is there too, so the few candidates are
            # confirmed with their history, exactly as SQLAlchemy decides what to write.
            touched = watch.columns.intersection(state.committed_state)
            if not touched or state.identity is None:
                continue
            modified = {key for key in touched
                        if state.get_history(key, PASSIVE_NO_INITIALIZE).has_changes()}
            if not modified:
                continue
            for key, columns in watch.targets:
                if not modified.isdisjoint(columns):
                    changed.setdefault(key, set()).add(state.identity[0])

    def _after_flush(self, session: Session, flush_context: Any) -> None:
        changed = session.info.pop("dotdigital_changed", None)
        if not changed:
            return
        connection = session.connection()
        for key, ids in changed.items():
            statement = self._flag[key] if key in self._flag else self._flag_statement(key)
            connection.execute(statement, {"ids": list(ids)})

    def _bulk_update(self, execute_state: Any) -> None:
        if not execute_state.is_update or echo_guard.get() or execute_state.bind_mapper is None:
            return
        session = execute_state.session
        self._refresh(session)
        model = execute_state.bind_mapper.class_
        watch = self._watch.get(model)
        if watch is None:
            return
        statement = execute_state.statement
        params = execute_state.parameters
        if isinstance(params, list) and params:  # bulk UPDATE by primary key: one dict per row
            names = {name for row in params for name in row}
            key = inspect(model).primary_key[0].key
            ids: Any = [row[key] for row in params if key in row]
        else:
            # An UPDATE's SET clause has no public accessor in SQLAlchemy 2; ``_values`` maps each
            # column (or its name) to its new value. Should it ever vanish, nothing is flagged here
            # and the periodic recheck still finds the change.
            names = {getattr(column, "key", column) for column in getattr(statement, "_values", None) or ()}
            pk = inspect(model).primary_key[0]
            ids = select(pk) if statement.whereclause is None else select(pk).where(statement.whereclause)
            ids = ids.scalar_subquery()
        connection = session.connection()
        for key, columns in watch.targets:
            if not columns.isdisjoint(names):
                connection.execute(self._flag_statement(key, ids))

    def _flag_statement(self, key: str, ids: Any = None) -> Any:
        """``UPDATE members SET entity_updated`` for the host ids bound as ``ids`` (or given)."""
        member = self.ext.models.AddressBookContact
        source_key, _, relation = key.partition("\0")
        source = self.ext.sources.get(source_key)
        if ids is None:
            ids = bindparam("ids", expanding=True)
        if relation:  # records that reach the changed one through the relation
            target = inspect(source.model).relationships[relation]
            fk = next(iter(target.local_columns))
            ids = select(source.id_column).where(fk.in_(ids)).scalar_subquery()
        return (update(member).where(member.marketing_list_item_class == source_key,
                                     member.marketing_list_item_id.in_(ids),
                                     member.entity_updated.is_(False))
                .values(entity_updated=True))
