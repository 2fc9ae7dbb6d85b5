"""The Integration: one configured connection to a Dotdigital account (Oro's channel + transport).

It is generic: ``type`` names an entry of the integration type registry, of which Dotdigital is the
first, and the Dotdigital settings live in the same row (as Oro's single-table transport does). The
API password and client secret are :class:`EncryptedText` columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, inspect
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .types import EncryptedText, UTCDateTime, utcnow


class IntegrationMixin:
    """Columns of ``dotdigital_integration``; the concrete class is built per host ``db``."""

    __tablename__ = "dotdigital_integration"
    #: the host app's user model, set on the concrete class by :func:`build_models`
    __dotdigital_user_model__: Any

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(50), default="dotdigital", index=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Dotdigital settings (Oro's DotmailerTransport, §1.1)
    username: Mapped[str] = mapped_column(String(255))
    password: Mapped[str | None] = mapped_column(EncryptedText)
    client_id: Mapped[str | None] = mapped_column(String(255))
    client_secret: Mapped[str | None] = mapped_column(EncryptedText)
    custom_oauth_domain: Mapped[str | None] = mapped_column(String(255))
    # Found by region discovery (§1.3) and kept so that later calls skip it.
    api_endpoint: Mapped[str | None] = mapped_column(String(255))
    account_name: Mapped[str | None] = mapped_column(String(255))

    @declared_attr
    def default_owner_id(cls) -> Mapped[int | None]:
        pk = inspect(cls.__dotdigital_user_model__).primary_key[0]
        return mapped_column(ForeignKey(pk, ondelete="SET NULL"), index=True)

    @declared_attr
    def default_owner(cls) -> Mapped[Any]:
        return relationship(cls.__dotdigital_user_model__, lazy="joined")

    def __str__(self) -> str:
        return self.name

    @property
    def has_sso_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)
