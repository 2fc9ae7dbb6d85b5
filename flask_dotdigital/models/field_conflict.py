"""Values that lost a two-way conflict, kept so that nobody's edit disappears without a trace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .common import IntegrationOwned
from .types import UTCDateTime, utcnow


class FieldConflictMixin(IntegrationOwned):
    __tablename__ = "dotdigital_field_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    data_field: Mapped[str] = mapped_column(String(255))
    #: the host record: its contact source key and id
    entity: Mapped[str] = mapped_column(String(255))
    entity_id: Mapped[int]
    email: Mapped[str | None] = mapped_column(String(255))
    kept_value: Mapped[Any | None] = mapped_column(JSON)
    lost_value: Mapped[Any | None] = mapped_column(JSON)
    #: why the lost value lost: "changed on both sides" or "lower sync priority"
    reason: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
