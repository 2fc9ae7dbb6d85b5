"""Dotdigital contacts, one row per email per integration (emails are stored lowercase)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .common import EMAIL, OriginAware, Timestamps, enum_column
from .enums import ContactStatus, EmailType, OptInType
from .types import UTCDateTime


class ContactMixin(OriginAware, Timestamps):
    __tablename__ = "dotdigital_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(EMAIL)

    @declared_attr
    def integration_id(cls) -> Mapped[int]:
        # No index of its own: the unique (integration_id, email) index leads with it, and serves
        # the integration's lookups and its ON DELETE CASCADE (one B-tree less per contact).
        return mapped_column(ForeignKey("dotdigital_integration.id", ondelete="CASCADE"))
    #: data field name → value, as Dotdigital sent them (withFullData)
    data_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[ContactStatus | None] = enum_column(ContactStatus, index=True)
    opt_in_type: Mapped[OptInType | None] = enum_column(OptInType)
    email_type: Mapped[EmailType | None] = enum_column(EmailType)
    unsubscribed_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_subscribed_date: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("integration_id", "email", name="dotdigital_contact_email_unq"),
                UniqueConstraint("integration_id", "origin_id", name="dotdigital_contact_unq"),
                # the admin grid sorts and searches on these across integrations
                Index("dotdigital_contact_email_idx", "email"),
                Index("dotdigital_contact_updated_idx", "updated_at"))

    @declared_attr
    def memberships(cls) -> Mapped[list[Any]]:
        return relationship("DotdigitalAddressBookContact", back_populates="contact",
                            cascade="all, delete-orphan", passive_deletes=True)

    def __str__(self) -> str:
        return self.email

