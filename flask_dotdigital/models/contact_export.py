"""Contact exports: one row per CSV file uploaded to an address book (Oro's AddressBookContactsExport)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .common import IntegrationOwned, Timestamps, enum_column
from .enums import ImportStatus


class ContactExportMixin(IntegrationOwned, Timestamps):
    __tablename__ = "dotdigital_contact_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Dotdigital's import id (a GUID)
    import_id: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[Any] = enum_column(ImportStatus, default=ImportStatus.NotFinished, index=True)
    #: the fault report (or the watchdog's rejection) has been applied to our rows
    faults_processed: Mapped[bool] = mapped_column(default=False, index=True)
    #: polls that still said NotFinished, and polls that failed; past the limits the status is Unknown
    sync_attempts: Mapped[int] = mapped_column(default=0)
    error_attempts: Mapped[int] = mapped_column(default=0)
    rows: Mapped[int] = mapped_column(default=0)
    #: why the status was forced to Unknown, or what the last poll failed with
    message: Mapped[str | None] = mapped_column(Text)

    @declared_attr
    def address_book_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("dotdigital_address_book.id", ondelete="SET NULL"), index=True)
