"""Address books (Dotdigital's lists) and their members, with per-book subscription status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .common import IntegrationOwned, OriginAware, Timestamps, enum_column
from .enums import ContactStatus, ImportStatus, Visibility
from .types import UTCDateTime


class AddressBookMixin(OriginAware, Timestamps):
    __tablename__ = "dotdigital_address_book"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    visibility: Mapped[Visibility | None] = enum_column(Visibility)
    contact_count: Mapped[int | None]
    #: start time of the last contact import that finished; the next one asks modified-since it
    last_imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when every member was last flagged for a values check (DOTDIGITAL_EXPORT_RECHECK_HOURS)
    members_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sync_status: Mapped[ImportStatus | None] = enum_column(ImportStatus)
    #: the marketing list this book serves; a book serves at most one list (Oro's 1:1 link)
    marketing_list_id: Mapped[int | None] = mapped_column(
        ForeignKey("dotdigital_marketing_list.id", ondelete="SET NULL"), unique=True)
    #: "Create New Entities": contacts Dotdigital knows but the list does not become new records
    create_entities: Mapped[bool] = mapped_column(default=False)
    #: the list whose members the export last compared with the book in full, when it first saw
    #: that list here, and when that full comparison ran (``sync.export.changes``)
    membership_list_id: Mapped[int | None]
    membership_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    membership_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("integration_id", "origin_id", name="dotdigital_address_book_unq"),
                Index("dotdigital_address_book_name_idx", "integration_id", "name"))

    @declared_attr
    def integration(cls) -> Mapped[Any]:
        return relationship("DotdigitalIntegration")

    @declared_attr
    def marketing_list(cls) -> Mapped[Any]:
        return relationship("DotdigitalMarketingList", back_populates="address_book")

    def __str__(self) -> str:
        return self.name


def _where(condition: str) -> dict[str, Any]:
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


class AddressBookContactMixin(IntegrationOwned):
    """A contact's membership of a book, with its status in that book."""

    __tablename__ = "dotdigital_address_book_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_book_id: Mapped[int] = mapped_column(
        ForeignKey("dotdigital_address_book.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("dotdigital_contact.id", ondelete="CASCADE"),
                                            index=True)
    status: Mapped[ContactStatus | None] = enum_column(ContactStatus)
    unsubscribed_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the host record behind this member (the marketing list's entity and its id)
    marketing_list_item_class: Mapped[str | None] = mapped_column(String(255))
    marketing_list_item_id: Mapped[int | None]
    #: a mapped field of the record changed: send the member again with the next export
    entity_updated: Mapped[bool] = mapped_column(default=False)
    #: the row goes out in the next CSV upload; it stays set until an upload succeeds (nothing lost)
    scheduled_for_export: Mapped[bool] = mapped_column(default=False, index=True)
    #: Oro's export operation: new (unknown to Dotdigital), add (to this book), update
    export_operation_type: Mapped[str | None] = mapped_column(String(10))
    #: the Dotdigital import id of the upload this row last went out in
    export_id: Mapped[str | None] = mapped_column(String(64))
    #: the data-field values to send, and a hash of them; exported_hash is what was last sent
    pending_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pending_hash: Mapped[str | None] = mapped_column(String(40))
    exported_hash: Mapped[str | None] = mapped_column(String(40))
    #: created in the host from Dotdigital ("Create New Entities"): not removed for not being listed
    new_entity: Mapped[bool] = mapped_column(default=False)
    #: why Dotdigital's fault report refused this member (Suppressed, Invalid email...)
    fault_reason: Mapped[str | None] = mapped_column(String(255))

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("address_book_id", "contact_id", name="dotdigital_ab_contact_unq"),
                Index("dotdigital_ab_contact_status_idx", "address_book_id", "status"),
                # Partial indexes: a contact imported from Dotdigital and not (yet) linked to a
                # record, or never exported, costs them nothing. A comparison on the column
                # (``= x``, ``IN``) lets SQLite and PostgreSQL use them.
                Index("dotdigital_ab_contact_item_idx", "marketing_list_item_class",
                      "marketing_list_item_id", **_where("marketing_list_item_id IS NOT NULL")),
                # The export's new-member anti-join looks a list member up in one book.
                Index("dotdigital_ab_contact_link_idx", "address_book_id", "marketing_list_item_class",
                      "marketing_list_item_id", **_where("marketing_list_item_id IS NOT NULL")),
                # A finished import's fault report and watchdog find the rows it carried.
                Index("dotdigital_ab_contact_export_idx", "export_id", **_where("export_id IS NOT NULL")),
                # ...and the few rows change tracking flagged, without reading the others.
                Index("dotdigital_ab_contact_flag_idx", "address_book_id", "entity_updated"))

    @declared_attr
    def address_book(cls) -> Mapped[Any]:
        return relationship("DotdigitalAddressBook", lazy="joined")

    @declared_attr
    def contact(cls) -> Mapped[Any]:
        return relationship("DotdigitalContact", back_populates="memberships")


class MemberChangeMixin:
    """A host record that may have joined or left a book's list since the book's last export.

    Change tracking writes these in the host's own transaction; the export claims them, compares
    only those records with the book, and deletes them once that comparison went out.
    """

    __tablename__ = "dotdigital_member_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the record's id; None when a write could not name its records (an ORM bulk INSERT): the
    #: export then compares the whole list
    entity_id: Mapped[int | None]
    #: the export run that took this row (a random token); a run that fails leaves it for the next
    claim: Mapped[int | None]

    #: no foreign key on purpose: a host write must never fail because a book was just deleted;
    #: the export drops the rows of books that are gone
    address_book_id: Mapped[int]

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (Index("dotdigital_member_change_idx", "address_book_id", "claim", "entity_id"),)
