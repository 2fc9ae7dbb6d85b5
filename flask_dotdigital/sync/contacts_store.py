"""Storing Dotdigital contacts: match by email, then by Dotdigital id; keep per-book membership.

Shared by the contact import and the unsubscribe connectors, which both receive ApiContact objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, union, update

from ..api.dates import parse_date
from ..models.enums import ContactStatus, EmailType, OptInType, coerce
from .context import SyncContext
from .rows import as_int, lower_email, write
from .upsert import upsert


def convert_contact(ctx: SyncContext, item: dict[str, Any]) -> dict[str, Any] | None:
    """An ApiContact as a ``dotdigital_contact`` row, or None when it has no usable email."""
    email = lower_email(item.get("email"))
    if email is None:
        return None
    row: dict[str, Any] = {"integration_id": ctx.integration_id, "email": email,
                           "origin_id": as_int(item.get("id"))}
    if "status" in item:
        row["status"] = coerce(ContactStatus, item.get("status"))
    if "optInType" in item:
        row["opt_in_type"] = coerce(OptInType, item.get("optInType"))
    if "emailType" in item:
        row["email_type"] = coerce(EmailType, item.get("emailType"))
    fields = item.get("dataFields")
    # dataFields is null without withFullData (§3.1): only a list replaces what is stored.
    if isinstance(fields, list):
        try:  # what Dotdigital sends: objects with a text key
            data = {field["key"]: field.get("value") for field in fields}
        except (TypeError, KeyError, AttributeError):
            data = {}
        if not all(type(key) is str and key for key in data):
            data = _careful_fields(fields)
        row["data_fields"] = data
        row["last_subscribed_date"] = parse_date(data.get("LASTSUBSCRIBED"))
    return row


def _careful_fields(fields: list[Any]) -> dict[str, Any]:
    """dataFields that are not all ``{"key": text, ...}``: skip the malformed, key by text."""
    data = {}
    for field in fields:
        key = field.get("key") if isinstance(field, dict) else None
        if key:
            data[key if isinstance(key, str) else str(key)] = field.get("value")
    return data


def _follow_email_changes(ctx: SyncContext, rows: Sequence[dict[str, Any]]) -> set[str]:
    """A known Dotdigital id arriving with a new email: the address changed there, so move the row.

    Returns the page's emails that are stored (after the moves): the upsert's counts need them.
    """
    contact = ctx.models.Contact
    by_origin = {r["origin_id"]: r["email"] for r in rows if r.get("origin_id") is not None}
    emails = {r["email"] for r in rows}
    # A UNION of two index lookups: SQLite answers ``origin_id IN (...) OR email IN (...)`` by
    # scanning every contact of the integration, which made a first import quadratic.
    mine = select(contact.id, contact.origin_id, contact.email).where(
        contact.integration_id == ctx.integration_id)
    stored = ctx.session.connection().execute(union(mine.where(contact.origin_id.in_(by_origin)),
                                                    mine.where(contact.email.in_(emails)))).all()
    by_email = {email for _, _, email in stored}
    for local_id, origin, email in stored:
        new_email = by_origin.get(origin)
        if new_email is None or new_email == email:
            continue
        if new_email in by_email:
            # Both addresses are stored: the row with the new email wins the Dotdigital id.
            ctx.session.execute(update(contact).where(contact.id == local_id).values(origin_id=None))
        else:
            ctx.session.execute(update(contact).where(contact.id == local_id).values(email=new_email))
            by_email.add(new_email)
    return by_email & emails


def store_contacts(ctx: SyncContext, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Upsert contact rows; return email → local id."""
    if not rows:
        return {}
    known = _follow_email_changes(ctx, rows)
    # Rows from one page all carry the same keys; a partial row updates only what it carries.
    # No RETURNING: SQLite's upsert then goes to the driver's executemany (``upsert._to_driver``),
    # and one indexed SELECT reads the ids back, which is cheaper than RETURNING's batched VALUES.
    write(ctx, ctx.models.Contact, rows, ["integration_id", "email"],
          known={(ctx.integration_id, e) for e in known})
    contact = ctx.models.Contact
    return dict(ctx.session.connection().execute(select(contact.email, contact.id).where(
        contact.integration_id == ctx.integration_id, contact.email.in_({r["email"] for r in rows}))).all())


def store_memberships(ctx: SyncContext, book_id: int, statuses: dict[int, Any],
                      dates: dict[int, datetime | None] | None = None) -> None:
    """Upsert (book, contact) rows with the per-book status (and unsubscribe date)."""
    rows = []
    for contact_id, status in statuses.items():
        row = {"integration_id": ctx.integration_id, "address_book_id": book_id,
               "contact_id": contact_id, "status": status}
        if dates is not None:
            row["unsubscribed_date"] = dates.get(contact_id)
        rows.append(row)
    # Memberships are part of the contact they belong to: not counted twice, so no SELECT to count.
    upsert(ctx.session, ctx.models.AddressBookContact.__table__, rows, ["address_book_id", "contact_id"])
