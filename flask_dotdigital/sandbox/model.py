"""The records the emulated account stores: address books with their members, contacts, account
suppressions, data fields, campaigns and their per-contact activity, opens and clicks. Times are
timezone-aware UTC datetimes; ``modified`` stamps are internal (Dotdigital never shows them, but
``modified-since`` and ``since-date`` filter on them). ``AccountData.dump()`` is the ``data`` part
of ``GET /__state``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import reporting, wire

SUBSCRIBED = "Subscribed"
UNSUBSCRIBED = "Unsubscribed"


@dataclass(slots=True)
class DataField:
    name: str
    type: str
    visibility: str = "Private"
    default_value: Any = None
    #: What ``DELETE data-fields/{name}`` reports as dependencies (set by a control); None = unused.
    in_use: list[Any] | None = None


@dataclass(slots=True)
class Contact:
    id: int
    email: str
    opt_in_type: str = "Single"
    email_type: str = "Html"
    status: str = SUBSCRIBED
    data_fields: dict[str, Any] = field(default_factory=dict)
    modified: datetime = wire.EPOCH


@dataclass(slots=True)
class Membership:
    """A contact's place in one address book; ``status`` is the per-book status."""

    status: str = SUBSCRIBED
    unsubscribed: datetime | None = None


@dataclass(slots=True)
class AddressBook:
    id: int
    name: str
    visibility: str = "Private"
    members: dict[int, Membership] = field(default_factory=dict)


@dataclass(slots=True)
class Suppression:
    """An account-level suppression; at most one per contact."""

    contact_id: int
    reason: str
    date_removed: datetime


@dataclass(slots=True)
class Campaign:
    id: int
    name: str
    subject: str
    from_name: str
    from_address: dict[str, Any]
    reply_action: str = "Unset"
    reply_to_address: str | None = None
    is_split_test: bool = False
    status: str = "Unsent"
    books: list[int] = field(default_factory=list)
    date_sent: datetime | None = None
    html_content: str = ""
    plain_text_content: str = ""
    num_orders: int = 0
    revenue_pence: int = 0
    num_assisted_orders: int = 0
    assisted_revenue_pence: int = 0


@dataclass(slots=True)
class Activity:
    """One recipient of a campaign (ApiCampaignContactSummary). Opens and clicks are counted from
    the open and click records so the figures always agree."""

    contact_id: int
    date_sent: datetime
    is_text: bool = False
    num_opens: int = 0
    num_clicks: int = 0
    num_page_views: int = 0
    num_forwards: int = 0
    num_estimated_forwards: int = 0
    num_replies: int = 0
    date_first_opened: datetime | None = None
    date_last_opened: datetime | None = None
    first_open_ip: str = ""
    unsubscribed: bool = False
    soft_bounced: bool = False
    hard_bounced: bool = False
    modified: datetime = wire.EPOCH


@dataclass(slots=True)
class Open:
    id: int
    contact_id: int
    mail_client: str
    mail_client_version: str
    ip_address: str
    user_agent: str
    is_html: bool
    is_forward: bool
    date_opened: datetime


@dataclass(slots=True)
class Click:
    id: int
    contact_id: int
    url: str
    ip_address: str
    user_agent: str
    date_clicked: datetime
    keyword: str


@dataclass
class AccountData:
    """Everything the emulated account stores. Dicts keyed by id keep id order because ids are
    handed out in increasing order; readers still sort where order matters for paging."""

    address_books: dict[int, AddressBook] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)
    suppressions: dict[int, Suppression] = field(default_factory=dict)
    data_fields: list[DataField] = field(default_factory=list)
    campaigns: dict[int, Campaign] = field(default_factory=dict)
    activities: dict[int, dict[int, Activity]] = field(default_factory=dict)
    opens: dict[int, list[Open]] = field(default_factory=dict)
    clicks: dict[int, list[Click]] = field(default_factory=dict)
    next_event_id: int = 1
    #: Bumped by each ``touch_contacts`` control so every round writes new values.
    revision: int = 0
    #: lower-cased email → contact, kept by imports; rebuilt when its size disagrees with
    #: ``contacts`` (the generator adds contacts without it; nothing ever removes one)
    email_index: dict[str, Contact] = field(default_factory=dict, repr=False)

    def contacts_by_email(self) -> dict[str, Contact]:
        if len(self.email_index) != len(self.contacts):
            self.email_index = {c.email.lower(): c for c in self.contacts.values()}
        return self.email_index

    def find_field(self, name: str) -> DataField | None:
        """The data field called ``name``, compared case-insensitively (names are upper-case)."""
        wanted = name.upper()
        return next((f for f in self.data_fields if f.name.upper() == wanted), None)

    def remove_field(self, record: DataField) -> None:
        """Delete a data field and every contact's value for it."""
        self.data_fields.remove(record)
        for contact in self.contacts.values():
            contact.data_fields.pop(record.name, None)

    def event_id(self) -> int:
        value, self.next_event_id = self.next_event_id, self.next_event_id + 1
        return value

    def add_open(self, campaign_id: int, activity: Activity, event: Open) -> None:
        self.opens.setdefault(campaign_id, []).append(event)
        activity.num_opens += 1
        if activity.date_first_opened is None or event.date_opened < activity.date_first_opened:
            activity.date_first_opened = event.date_opened
            activity.first_open_ip = event.ip_address
        if activity.date_last_opened is None or event.date_opened > activity.date_last_opened:
            activity.date_last_opened = event.date_opened
        activity.modified = max(activity.modified, event.date_opened)

    def add_click(self, campaign_id: int, activity: Activity, event: Click) -> None:
        self.clicks.setdefault(campaign_id, []).append(event)
        activity.num_clicks += 1
        activity.modified = max(activity.modified, event.date_clicked)

    def book_status(self, contact: Contact, membership: Membership) -> str:
        # An account-level status (suppression) outranks the per-book one.
        return contact.status if contact.status != SUBSCRIBED else membership.status

    def dump(self) -> dict[str, Any]:
        """The ``data`` part of ``GET /__state``: API shapes (camelCase) plus internal extras."""
        memberships: dict[int, list[dict[str, Any]]] = {}
        for book in sorted(self.address_books.values(), key=lambda b: b.id):
            for contact_id, member in sorted(book.members.items()):
                memberships.setdefault(contact_id, []).append(
                    {
                        "addressBookId": book.id,
                        "status": member.status,
                        "unsubscribed": wire.iso(member.unsubscribed),
                    }
                )
        fields = self.data_fields
        campaigns = sorted(self.campaigns.values(), key=_id)
        return {
            "address_books": [wire.address_book(b) for b in sorted(self.address_books.values(), key=_id)],
            "contacts": [
                wire.contact_dump(c, memberships.get(c.id, []), fields)
                for c in sorted(self.contacts.values(), key=_id)
            ],
            "suppressions": [
                wire.suppression_dump(s, self.contacts[s.contact_id])
                for _, s in sorted(self.suppressions.items())
            ],
            "data_fields": [wire.data_field_dump(f) for f in fields],
            "campaigns": [wire.campaign_dump(c) for c in campaigns],
            "campaign_summaries": [
                {"campaignId": c.id, **reporting.campaign_summary(self, c)} for c in campaigns
            ],
            "activities": [
                {"campaignId": cid, **wire.activity(a, self.contacts), "modified": wire.iso(a.modified)}
                for cid, rows in sorted(self.activities.items())
                for _, a in sorted(rows.items())
            ],
            "opens": [
                {"campaignId": cid, **wire.contact_open(o, self.contacts)}
                for cid, rows in sorted(self.opens.items())
                for o in rows
            ],
            "clicks": [
                {"campaignId": cid, **wire.contact_click(c, self.contacts)}
                for cid, rows in sorted(self.clicks.items())
                for c in rows
            ],
        }


def _id(record: AddressBook | Contact | Campaign) -> int:
    return record.id
