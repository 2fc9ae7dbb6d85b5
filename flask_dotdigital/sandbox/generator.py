"""Deterministic test data for the sandbox: ``generate(state, contacts=N, books=3, campaigns=4,
seed=1)`` replaces the account's data with N contacts spread over the address books, account
suppressions, per-book unsubscribes, the default and a few extra data fields, and campaigns
(one or more Sent per book, one Unsent, one Sending) whose Sent ones carry activity, opens and
clicks. The same arguments always give the same data; every timestamp lies in 2024.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from . import wire
from .model import (
    SUBSCRIBED,
    UNSUBSCRIBED,
    AccountData,
    Activity,
    AddressBook,
    Campaign,
    Contact,
    DataField,
    Membership,
    Suppression,
)
from .state import SandboxState
from .traffic import random_click, random_open

START = datetime(2024, 1, 1, tzinfo=UTC)
#: Id ranges kept apart so a client that mixes up book, campaign and contact ids gets caught.
BOOK_ID_BASE, CAMPAIGN_ID_BASE, CONTACT_ID_BASE = 100, 200, 1000
FROM_ADDRESS = {"id": 1, "email": "news@emailsim.io"}
REPLY_ACTIONS = ("Unset", "WebMailForward", "Webmail", "Delete")

FIRST_NAMES = ("Ann", "Ben", "Chloé", "Dev", "Ewa", "Femi", "Greta", "Hiro", "Isla", "Jonas", "Kofi", "Lena")
LAST_NAMES = ("Smith", "Okafor", "Nowak", "Tanaka", "Müller", "Silva", "Jones", "Khan", "Rossi", "Brown")
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.co.uk")
BOOK_NAMES = ("Newsletter", "Customers", "VIP", "Events", "Prospects", "Partners")

DATA_FIELDS = (
    DataField("FIRSTNAME", "String", "Public"),
    DataField("LASTNAME", "String", "Public"),
    DataField("FULLNAME", "String", "Public"),
    DataField("GENDER", "String", "Public"),
    DataField("POSTCODE", "String", "Public"),
    DataField("LASTSUBSCRIBED", "Date", "Private"),
    DataField("LOYALTY_POINTS", "Numeric", "Private", 0),
    DataField("IS_VIP", "Boolean", "Public", False),
    DataField("BIRTHDAY", "Date", "Private"),
)


def _moment(rng: random.Random, first_day: int, last_day: int) -> datetime:
    seconds = rng.randrange(first_day * 86400, last_day * 86400)
    return START + timedelta(seconds=seconds, milliseconds=rng.randrange(1000))


def _email(rng: random.Random, index: int, first: str, last: str) -> str:
    local = f"{first}.{last}{index}".replace("é", "e").replace("ü", "u")
    domain = rng.choice(DOMAINS)
    # Every 11th address keeps capitals: Dotdigital stores what it was given, clients must
    # compare emails case-insensitively.
    return f"{local}@{domain.upper()}" if index % 11 == 0 else f"{local}@{domain}".lower()


def _contact(rng: random.Random, index: int) -> Contact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    modified = _moment(rng, 0, 150)
    fields: dict[str, Any] = {"FIRSTNAME": first, "LASTNAME": last, "FULLNAME": f"{first} {last}"}
    if rng.random() < 0.8:
        fields["GENDER"] = rng.choice(("Female", "Male", "Non-binary"))
    if rng.random() < 0.7:
        fields["POSTCODE"] = f"{rng.choice('ABEGLMNS')}{rng.randrange(1, 30)} {rng.randrange(1, 9)}XY"
    if rng.random() < 0.9:
        fields["LASTSUBSCRIBED"] = wire.iso(_moment(rng, 0, 60))
    if rng.random() < 0.6:
        fields["LOYALTY_POINTS"] = rng.randrange(0, 5000)
    if rng.random() < 0.5:
        fields["IS_VIP"] = rng.random() < 0.2
    if rng.random() < 0.3:
        born = datetime(rng.randrange(1950, 2005), rng.randrange(1, 13), rng.randrange(1, 29), tzinfo=UTC)
        fields["BIRTHDAY"] = wire.iso(born)
    return Contact(
        id=CONTACT_ID_BASE + index,
        email=_email(rng, index, first, last),
        opt_in_type=rng.choices(("Single", "Double", "VerifiedDouble", "Unknown"), (80, 10, 8, 2))[0],
        email_type="PlainText" if rng.random() < 0.05 else "Html",
        data_fields=fields,
        modified=modified,
    )


def _suppress(rng: random.Random, data: AccountData, contact: Contact) -> None:
    roll = rng.random()
    if roll >= 0.035:  # about 3.5% of contacts are suppressed at account level
        return
    reason = "Unsubscribed" if roll < 0.02 else "HardBounced" if roll < 0.03 else "IspComplained"
    contact.status = reason
    removed = _moment(rng, 150, 160)
    data.suppressions[contact.id] = Suppression(contact.id, reason, removed)
    contact.modified = max(contact.modified, removed)


def _memberships(rng: random.Random, data: AccountData, contact: Contact, books: list[AddressBook]) -> None:
    if not books:
        return
    if rng.random() < 0.05:
        chosen = books
    else:
        chosen = [rng.choice(books)]
        if len(books) > 1 and rng.random() < 0.3:
            chosen.append(rng.choice([b for b in books if b is not chosen[0]]))
    for book in sorted(chosen, key=lambda b: b.id):
        member = Membership()
        if contact.status == SUBSCRIBED and rng.random() < 0.03:
            member.status, member.unsubscribed = UNSUBSCRIBED, _moment(rng, 100, 160)
            contact.modified = max(contact.modified, member.unsubscribed)
        book.members[contact.id] = member


def _campaign_plan(campaigns: int, books: list[AddressBook]) -> list[tuple[str, list[int]]]:
    """Statuses and address books: Sent ones cover every book, then one Unsent and one Sending."""
    extra = ["Unsent", "Sending"][: max(campaigns - 1, 0)]
    sent = max(campaigns - len(extra), 0)
    plan: list[tuple[str, list[int]]] = []
    for k in range(sent):
        ids = [b.id for j, b in enumerate(books) if j % sent == k]
        plan.append(("Sent", ids or ([books[k % len(books)].id] if books else [])))
    for status in extra:
        plan.append((status, [] if status == "Unsent" or not books else [books[0].id]))
    return plan


def _campaign(rng: random.Random, index: int, status: str, book_ids: list[int]) -> Campaign:
    subject = f"{rng.choice(('Spring', 'Summer', 'Big', 'Weekly'))} news #{index + 1}"
    action = REPLY_ACTIONS[index % len(REPLY_ACTIONS)]
    campaign = Campaign(
        id=CAMPAIGN_ID_BASE + index + 1,
        name=f"Campaign {index + 1}: {subject}",
        subject=subject,
        from_name="Sandbox Shop",
        from_address=dict(FROM_ADDRESS),
        reply_action=action,
        reply_to_address=None if action == "Unset" else "replies@emailsim.io",
        is_split_test=index % 3 == 1,
        status=status,
        books=book_ids,
        html_content=f'<html><body><h1>{subject}</h1><a href="https://shop.example.com/">Shop</a></body></html>',
        plain_text_content=f"{subject}\n\nShop: https://shop.example.com/",
    )
    if status != "Unsent":
        campaign.date_sent = START + timedelta(days=100 + 7 * index, hours=9)
    return campaign


def _recipient(rng: random.Random, data: AccountData, campaign: Campaign, contact: Contact) -> Activity:
    assert campaign.date_sent is not None
    activity = Activity(
        contact_id=contact.id,
        date_sent=campaign.date_sent + timedelta(seconds=rng.randrange(600)),
        is_text=contact.email_type == "PlainText",
    )
    activity.modified = activity.date_sent
    roll = rng.random()
    if roll < 0.03:
        activity.hard_bounced, activity.soft_bounced = roll < 0.01, roll >= 0.01
        return activity
    opened = not activity.is_text and rng.random() < 0.45
    for _ in range(rng.randrange(1, 4) if opened else 0):
        opened_at = activity.date_sent + timedelta(hours=rng.randrange(1, 72))
        event_open = random_open(rng, data.event_id(), contact.id, opened_at)
        data.add_open(campaign.id, activity, event_open)
        activity.num_forwards += event_open.is_forward
    if (opened and rng.random() < 0.4) or (activity.is_text and rng.random() < 0.15):
        for _ in range(rng.randrange(1, 3)):
            clicked_at = activity.date_sent + timedelta(hours=rng.randrange(1, 96))
            data.add_click(campaign.id, activity, random_click(rng, data.event_id(), contact.id, clicked_at))
        activity.num_page_views = activity.num_clicks * rng.randrange(1, 4)
    activity.num_estimated_forwards = activity.num_forwards * 2
    activity.num_replies = int(rng.random() < 0.01)
    activity.unsubscribed = rng.random() < 0.01
    return activity


def _send(rng: random.Random, data: AccountData, campaign: Campaign) -> None:
    member_ids = sorted({cid for bid in campaign.books for cid in data.address_books[bid].members})
    rows: dict[int, Activity] = {}
    for contact_id in member_ids:
        contact = data.contacts[contact_id]
        # A deterministic half of the books' subscribed members received it.
        if contact.status == SUBSCRIBED and rng.random() < 0.5:
            rows[contact_id] = _recipient(rng, data, campaign, contact)
    data.activities[campaign.id] = rows
    clickers = sum(1 for a in rows.values() if a.num_clicks)
    campaign.num_orders = clickers // 3
    campaign.revenue_pence = sum(rng.randrange(1000, 9000) for _ in range(campaign.num_orders))
    campaign.num_assisted_orders = campaign.num_orders // 2
    campaign.assisted_revenue_pence = sum(
        rng.randrange(500, 5000) for _ in range(campaign.num_assisted_orders)
    )


def build(*, contacts: int, books: int = 3, campaigns: int = 4, seed: int = 1) -> AccountData:
    """A fresh ``AccountData``; pure, so it runs outside the state lock."""
    if min(contacts, books, campaigns) < 0:
        raise ValueError("contacts, books and campaigns must not be negative")
    rng = random.Random(seed)
    data = AccountData(
        data_fields=[DataField(f.name, f.type, f.visibility, f.default_value) for f in DATA_FIELDS]
    )
    for j in range(books):
        name = BOOK_NAMES[j % len(BOOK_NAMES)] + (
            f" {j // len(BOOK_NAMES) + 1}" if j >= len(BOOK_NAMES) else ""
        )
        data.address_books[BOOK_ID_BASE + j + 1] = AddressBook(
            BOOK_ID_BASE + j + 1, name, "Public" if j % 2 else "Private"
        )
    book_list = list(data.address_books.values())
    for index in range(1, contacts + 1):
        contact = _contact(rng, index)
        data.contacts[contact.id] = contact
        _suppress(rng, data, contact)
        _memberships(rng, data, contact, book_list)
    for index, (status, book_ids) in enumerate(_campaign_plan(campaigns, book_list)):
        campaign = _campaign(rng, index, status, book_ids)
        data.campaigns[campaign.id] = campaign
        if status == "Sent":
            _send(rng, data, campaign)
    return data


def generate(
    state: SandboxState, *, contacts: int, books: int = 3, campaigns: int = 4, seed: int = 1
) -> dict[str, Any]:
    """Replace ``state``'s data with generated data; return what was made (the control reply)."""
    data = build(contacts=contacts, books=books, campaigns=campaigns, seed=seed)
    with state.lock:
        state.data = data
    return {
        "contacts": len(data.contacts),
        "address_books": len(data.address_books),
        "campaigns": len(data.campaigns),
        "seed": seed,
        "suppressions": len(data.suppressions),
        "activities": sum(len(rows) for rows in data.activities.values()),
        "opens": sum(len(rows) for rows in data.opens.values()),
        "clicks": sum(len(rows) for rows in data.clicks.values()),
    }
