"""Data field mappings: which host fields fill which Dotdigital data fields, per contact source.

One mapping per source (``entity``, a registered source key) per integration, as Oro's
DataFieldMapping (§1.11); its rows (DataFieldMappingConfig, §1.12) each fill one data field from
one or more field paths, stored comma-separated as Oro stores them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .common import IntegrationOwned, Timestamps


class DataFieldMappingMixin(IntegrationOwned, Timestamps):
    __tablename__ = "dotdigital_df_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the contact source's key (``ContactSource.key``), Oro's entity class name
    entity: Mapped[str] = mapped_column(String(255))
    #: higher wins when one Dotdigital contact is linked to records of several sources (§2.8)
    sync_priority: Mapped[int] = mapped_column(default=0)

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("integration_id", "entity", name="dotdigital_df_mapping_unq"),)

    @declared_attr
    def integration(cls) -> Mapped[Any]:
        return relationship("DotdigitalIntegration")

    @declared_attr
    def configs(cls) -> Mapped[list[Any]]:
        return relationship("DotdigitalDataFieldMappingConfig", back_populates="mapping",
                            cascade="all, delete-orphan", passive_deletes=True,
                            order_by="DotdigitalDataFieldMappingConfig.id")

    def __str__(self) -> str:
        return self.entity


class DataFieldMappingConfigMixin(Timestamps):
    """One mapping row: ``entity_fields`` (comma-separated paths) → one data field."""

    __tablename__ = "dotdigital_df_mapping_config"

    id: Mapped[int] = mapped_column(primary_key=True)
    mapping_id: Mapped[int] = mapped_column(
        ForeignKey("dotdigital_df_mapping.id", ondelete="CASCADE"), index=True)
    data_field_id: Mapped[int] = mapped_column(
        ForeignKey("dotdigital_data_field.id", ondelete="CASCADE"), index=True)
    entity_fields: Mapped[str] = mapped_column(Text)
    is_two_way_sync: Mapped[bool] = mapped_column(default=False)

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("data_field_id", "mapping_id", name="dotdigital_df_mapping_config_unq"),)

    @declared_attr
    def mapping(cls) -> Mapped[Any]:
        return relationship("DotdigitalDataFieldMapping", back_populates="configs")

    @declared_attr
    def data_field(cls) -> Mapped[Any]:
        return relationship("DotdigitalDataField")

    @property
    def field_paths(self) -> list[str]:
        return [path for path in (self.entity_fields or "").split(",") if path]
