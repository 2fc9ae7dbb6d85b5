"""What a connector is handed: the integration, an API client, the database, and a place to count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select

from ..api import Client


@dataclass
class Counts:
    read: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    errors: int = 0

    def add(self, other: Counts) -> None:
        for name in ("read", "created", "updated", "deleted", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SyncContext:
    db: Any
    models: Any
    integration: Any
    client: Client
    #: this connector's start time: becomes its cursor if it succeeds
    started_at: datetime
    progress: Callable[[str], None] = lambda note: None
    counts: Counts = field(default_factory=Counts)
    #: cursor values to store when the connector succeeds: scope → time
    new_cursors: dict[str, datetime] = field(default_factory=dict)
    connector: str = ""

    @property
    def session(self) -> Any:
        return self.db.session

    @cached_property
    def integration_id(self) -> int:
        # Read once: it is asked for each row of a page, and the ORM attribute is not free.
        return int(self.integration.id)

    def cursor(self, scope: str = "") -> datetime | None:
        """Start time of this connector's last successful run over ``scope``."""
        model = self.models.SyncCursor
        return self.session.execute(select(model.last_success_start).where(
            model.integration_id == self.integration_id, model.connector == self.connector,
            model.scope == scope)).scalar()

    def advance(self, scope: str = "", moment: datetime | None = None) -> None:
        """Move ``scope``'s cursor to this run's start, once the whole connector has succeeded."""
        self.new_cursors[scope] = moment or self.started_at

    def commit(self) -> None:
        """Commit a batch: what is stored stays stored if a later page fails."""
        self.session.commit()
