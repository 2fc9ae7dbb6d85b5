"""Dotdigital data fields: the custom columns of the account's contacts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .common import IntegrationOwned, Timestamps, enum_column
from .enums import DataFieldType, DataFieldVisibility


class DataFieldMixin(IntegrationOwned, Timestamps):
    __tablename__ = "dotdigital_data_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[DataFieldType] = enum_column(DataFieldType)
    visibility: Mapped[DataFieldVisibility] = enum_column(DataFieldVisibility)
    #: as Oro stores it: a string; Boolean defaults are "Yes" / "No"
    default_value: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("integration_id", "name", name="dotdigital_data_field_unq"),)

    def __str__(self) -> str:
        return self.name
