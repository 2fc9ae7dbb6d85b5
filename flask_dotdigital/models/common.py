"""Columns that most of the extension's tables share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import Enum as SAEnum

from .types import UTCDateTime, utcnow


def enum_column(enum_type: type, **kwargs: Any) -> Any:
    """A string column holding one of ``enum_type``'s values (no native DB enum: values may grow)."""
    return mapped_column(SAEnum(enum_type, native_enum=False, length=40, validate_strings=True,
                                values_callable=lambda e: [m.value for m in e]), **kwargs)


class IntegrationOwned:
    """Belongs to one integration; removing the integration removes the row."""

    @declared_attr
    def integration_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("dotdigital_integration.id", ondelete="CASCADE"), index=True)


class OriginAware(IntegrationOwned):
    """Mirrors a Dotdigital object: ``origin_id`` is its id there (Oro's OriginTrait)."""

    origin_id: Mapped[int | None] = mapped_column(BigInteger)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


EMAIL = String(255)
