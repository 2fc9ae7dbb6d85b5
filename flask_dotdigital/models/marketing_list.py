"""Marketing lists: who, among a contact source's records, a campaign is for (Oro's MarketingList).

A list is *dynamic* (conditions on the entity's fields), *static* (members picked by hand) or a
*segment* (a query defined in code). Unsubscribed and removed items are kept per list, as in Oro.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .common import Timestamps, enum_column
from .enums import MarketingListType
from .types import UTCDateTime, utcnow


class MarketingListMixin(Timestamps):
    __tablename__ = "dotdigital_marketing_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    #: the key of a registered contact source (``dotdigital.register_entity``)
    entity: Mapped[str] = mapped_column(String(255), index=True)
    type: Mapped[MarketingListType] = enum_column(MarketingListType)
    #: dynamic lists: ``{"match": "all"|"any", "rules": [...]}``; segment lists: the segment name
    definition: Mapped[Any | None] = mapped_column(JSON)

    def __str__(self) -> str:
        return self.name


class _ListItem:
    """One record of the list's entity, by its primary key."""

    __tablename__: str

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr
    def marketing_list_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("dotdigital_marketing_list.id", ondelete="CASCADE"))

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("marketing_list_id", "entity_id", name=f"{cls.__tablename__}_unq"),)


class StaticMemberMixin(_ListItem):
    __tablename__ = "dotdigital_ml_static_member"


class UnsubscribedItemMixin(_ListItem):
    """Oro's MarketingListUnsubscribedItem: this record must not be mailed through this list."""

    __tablename__ = "dotdigital_ml_unsubscribed_item"


class RemovedItemMixin(_ListItem):
    """Oro's MarketingListRemovedItem: this record was taken out of this list."""

    __tablename__ = "dotdigital_ml_removed_item"
