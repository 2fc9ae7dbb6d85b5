"""Sync history (one SyncRun per run and one per connector in it) and incremental cursors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .common import IntegrationOwned, enum_column
from .enums import SyncStatus
from .types import UTCDateTime, utcnow


class SyncRunMixin(IntegrationOwned):
    __tablename__ = "dotdigital_sync_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the whole run's row, for a connector's row; None on the run's own row
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("dotdigital_sync_run.id", ondelete="CASCADE"), index=True)
    connector: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[SyncStatus] = enum_column(SyncStatus, default=SyncStatus.queued, index=True)
    #: who asked: button, row action, cli, schedule
    trigger: Mapped[str | None] = mapped_column(String(20))
    job_id: Mapped[str | None] = mapped_column(String(100))
    #: comma-separated connector names when the run was limited to some; None runs them all
    requested_connectors: Mapped[str | None] = mapped_column(String(500))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)

    @declared_attr
    def integration(cls) -> Mapped[Any]:
        return relationship("DotdigitalIntegration")

    @declared_attr
    def steps(cls) -> Mapped[list[Any]]:
        return relationship("DotdigitalSyncRun", order_by="DotdigitalSyncRun.id",
                            cascade="all, delete-orphan", passive_deletes=True)

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class SyncCursorMixin(IntegrationOwned):
    """Start time of a connector's last successful run over one scope (a book, a campaign, or all)."""

    __tablename__ = "dotdigital_sync_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(50))
    scope: Mapped[str] = mapped_column(String(50), default="")
    last_success_start: Mapped[datetime] = mapped_column(UTCDateTime)

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("integration_id", "connector", "scope", name="dotdigital_cursor_unq"),)
