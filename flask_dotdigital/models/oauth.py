"""The OAuth token: one Dotdigital refresh token per (integration, user), for Email Studio sign-on.

Oro keeps the same row in ``orocrm_dm_oauth`` (§1.13). Only the refresh token is stored (every
client does, dotdigital-api.md §5 step 4); each Email Studio visit trades it for a short-lived
access token. It is an :class:`EncryptedText` column, so it is never at rest in clear text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, UniqueConstraint, inspect
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .types import EncryptedText, UTCDateTime, utcnow


class OAuthTokenMixin:
    """Columns of ``dotdigital_oauth``; the concrete class is built per host ``db``."""

    __tablename__ = "dotdigital_oauth"
    __table_args__ = (UniqueConstraint("integration_id", "user_id", name="uq_dotdigital_oauth_user"),)
    #: the host app's user model, set on the concrete class by :func:`build_models`
    __dotdigital_user_model__: Any

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(
        ForeignKey("dotdigital_integration.id", ondelete="CASCADE"), index=True)
    refresh_token: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @declared_attr
    def user_id(cls) -> Mapped[int]:
        pk = inspect(cls.__dotdigital_user_model__).primary_key[0]
        return mapped_column(ForeignKey(pk, ondelete="CASCADE"), index=True)
