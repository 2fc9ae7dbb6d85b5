"""Change tracking: a change to a mapped field marks the affected members for re-export.

SQLAlchemy ``before_flush`` looks at the dirty host records of registered contact sources, and at
records they reach through a to-one relation (``owner.email``). When a column that some mapping
uses changed, ``after_flush`` flags the matching address-book members (``entity_updated``) with one
UPDATE per source, in the host's own transaction. The set of tracked columns is read from the
mappings at most every few seconds, so a host write costs a dictionary lookup, not a query.
Writes made by the sync itself (two-way fields) run under the echo guard and are not tracked.

It also records who may have joined or left a connected book's list: a record inserted, deleted,
or written in a column that decides membership (``marketing_lists.membership_columns``) gets a
``MemberChange`` row per book, so the export compares those records with the book instead of the
whole list (``sync.export.changes``). A static list's picks (``StaticMember``) are recorded too.

ORM bulk statements (``session.execute(update(Contact).where(...).values(...))``) never reach the
flush, so ``do_orm_execute`` flags their members before the statement runs, while its WHERE
still selects the rows it is about to change; a bulk INSERT, whose ids are not known yet, asks for
a full comparison. Raw SQL is invisible to all of this: the export's periodic recheck
(``DOTDIGITAL_EXPORT_RECHECK_HOURS``) catches it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, event, insert, inspect, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, instance_state

from .marketing_lists import membership_columns
from .models.enums import MarketingListType
from .sync.export.changes import TRACKING_CACHE_SECONDS as CACHE_SECONDS
from .sync.export.inbound import echo_guard


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
        #: host model class → (book id, the columns that decide membership of its list)
        self._books: dict[type, list[tuple[int, frozenset[str]]]] = {}
        #: static list id → its book's id
        self._static: dict[int, int] = {}
        #: host model class → the union of its books' membership columns (a first sieve)
        self._deciding: dict[type, frozenset[str]] = {}

    def install(self, session: Any) -> None:
        event.listen(session, "before_flush", self._before_flush)
        event.listen(session, "after_flush", self._after_flush)
        event.listen(session, "do_orm_execute", self._bulk)

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
        self._load_books(session)
        self._loaded = time.monotonic()

    def _load_books(self, session: Session) -> None:
        book, marketing_list = self.ext.models.AddressBook, self.ext.models.MarketingList
        links = session.connection().execute(
            select(book.id, marketing_list.id, marketing_list.entity, marketing_list.type,
                   marketing_list.definition)
            .join(marketing_list, book.marketing_list_id == marketing_list.id)).all()
        books: dict[type, list[tuple[int, frozenset[str]]]] = defaultdict(list)
        static: dict[int, int] = {}
        for book_id, list_id, entity, kind, definition in links:
            if entity not in self.ext.sources:
                continue
            source = self.ext.sources.get(entity)
            columns = membership_columns(kind, definition, source)
            if columns is None:
                continue  # the export compares such a list in full every run
            books[source.model].append((book_id, columns))
            if MarketingListType(kind) == MarketingListType.static:
                static[list_id] = book_id
        self._books, self._static = dict(books), static
        self._deciding = {model: frozenset().union(*(columns for _, columns in entries))
                          for model, entries in self._books.items()}

    def _before_flush(self, session: Session, flush_context: Any, instances: Any) -> None:
        if echo_guard.get():
            return
        dirty = session.dirty
        if not dirty and not session.new and not session.deleted:
            return
        if self._writes_settings(session, dirty):
            session.info["dotdigital_settings_written"] = True
        self._refresh(session)
        if self._watch and dirty:
            self._note_values(session, dirty)
        if self._books:
            self._note_membership(session, dirty)

    def _writes_settings(self, session: Session, dirty: Any) -> bool:
        """Does this flush write what tracking reads (mappings, lists, books)? This process then
        reloads it after the flush instead of up to CACHE_SECONDS later."""
        models = self.ext.models
        kinds = {models.DataFieldMapping, models.DataFieldMappingConfig, models.MarketingList,
                 models.AddressBook}
        return any(type(obj) in kinds for group in (session.new, dirty, session.deleted) for obj in group)

    def _note_values(self, session: Session, dirty: Any) -> None:
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

    def _note_membership(self, session: Session, dirty: Any) -> None:
        """(book, record id) for records that may have joined or left a book's list."""
        rows: set[tuple[int, Any]] = session.info.setdefault("dotdigital_membership", set())
        inserted: list[Any] = session.info.setdefault("dotdigital_inserted", [])
        static = self.ext.models.StaticMember
        for obj in session.new:
            if type(obj) in self._books or isinstance(obj, static):
                inserted.append(obj)  # its id is known after the INSERT
        for obj in session.deleted:
            if isinstance(obj, static):
                if obj.marketing_list_id in self._static:
                    rows.add((self._static[obj.marketing_list_id], obj.entity_id))
                continue
            state = instance_state(obj)
            for book_id, _ in self._books.get(type(obj), ()):
                if state.identity is not None:
                    rows.add((book_id, state.identity[0]))
        for obj in dirty:
            books = self._books.get(type(obj))
            if not books:
                continue
            state = instance_state(obj)
            touched = self._deciding[type(obj)].intersection(state.committed_state)
            if state.identity is None or not touched:
                continue
            modified = {key for key in touched if state.get_history(key, PASSIVE_NO_INITIALIZE).has_changes()}
            for book_id, columns in books:
                if not modified.isdisjoint(columns):
                    rows.add((book_id, state.identity[0]))

    def _after_flush(self, session: Session, flush_context: Any) -> None:
        if session.info.pop("dotdigital_settings_written", False):
            self.invalidate()
        changed = session.info.pop("dotdigital_changed", None)
        rows = session.info.pop("dotdigital_membership", None) or set()
        inserted = session.info.pop("dotdigital_inserted", None)
        if not changed and not rows and not inserted:
            return
        connection = session.connection()
        for key, ids in (changed or {}).items():
            statement = self._flag[key] if key in self._flag else self._flag_statement(key)
            connection.execute(statement, {"ids": list(ids)})
        static = self.ext.models.StaticMember
        for obj in inserted or ():
            if isinstance(obj, static):
                if obj.marketing_list_id in self._static:
                    rows.add((self._static[obj.marketing_list_id], obj.entity_id))
                continue
            entity_id = inspect(obj).mapper.primary_key_from_instance(obj)[0]
            for book_id, _ in self._books.get(type(obj), ()):
                rows.add((book_id, entity_id))
        if rows:
            connection.execute(insert(self.ext.models.MemberChange),
                               [{"address_book_id": book_id, "entity_id": entity_id}
                                for book_id, entity_id in sorted(rows, key=str)])

    def _bulk(self, execute_state: Any) -> None:
        """ORM bulk UPDATE, DELETE and INSERT statements, before they run."""
        kind = execute_state.is_update or execute_state.is_delete or execute_state.is_insert
        if not kind or echo_guard.get() or execute_state.bind_mapper is None:
            return
        session = execute_state.session
        self._refresh(session)
        model = execute_state.bind_mapper.class_
        watch = self._watch.get(model) if execute_state.is_update else None
        books = self._books.get(model, [])
        if model is self.ext.models.StaticMember:
            books = [(book_id, frozenset()) for book_id in self._static.values()]
            everything = True  # picks changed in bulk: the export compares these lists in full
        else:
            everything = execute_state.is_insert  # the new records' ids are not known yet
        if watch is None and not books:
            return
        connection = session.connection()
        change = self.ext.models.MemberChange
        if everything:
            connection.execute(insert(change), [{"address_book_id": book_id, "entity_id": None}
                                                for book_id, _ in books])
            return
        names, ids = self._written(model, execute_state)
        for key, columns in watch.targets if watch else ():
            if not columns.isdisjoint(names):
                connection.execute(self._flag_statement(
                    key, ids if isinstance(ids, list) else ids.scalar_subquery()))
        for book_id, columns in books:
            if not (execute_state.is_delete or not columns.isdisjoint(names)):
                continue
            if isinstance(ids, list):
                connection.execute(insert(change), [{"address_book_id": book_id, "entity_id": i}
                                                    for i in ids])
            else:
                connection.execute(insert(change).from_select(
                    ["address_book_id", "entity_id"],
                    ids.with_only_columns(literal(book_id), *ids.selected_columns)))

    @staticmethod
    def _written(model: type, execute_state: Any) -> tuple[set[str], Any]:
        """The attribute names a bulk statement sets, and the ids of the rows it touches (a list,
        or a SELECT of them that must run before the statement)."""
        statement = execute_state.statement
        params = execute_state.parameters
        pk: Any = inspect(model).primary_key[0]
        if isinstance(params, list) and params:  # bulk UPDATE by primary key: one dict per row
            return {name for row in params for name in row}, [row[pk.key] for row in params if pk.key in row]
        # An UPDATE's SET clause has no public accessor in SQLAlchemy 2; ``_values`` maps each
        # column (or its name) to its new value. Should it ever vanish, nothing is flagged here
        # and the periodic recheck still finds the change.
        names = {getattr(column, "key", column) for column in getattr(statement, "_values", None) or ()}
        ids = select(pk) if statement.whereclause is None else select(pk).where(statement.whereclause)
        return names, ids

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
