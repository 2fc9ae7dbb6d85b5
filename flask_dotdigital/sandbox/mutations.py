"""Changes "on Dotdigital's side" that tests trigger through ``POST /__control`` to see whether an
incremental sync picks them up: edited contacts, per-book unsubscribes, account suppressions, a
deleted address book, fresh campaign activity and a data field taken into use. Each picks its
records deterministically (a seeded sample of the eligible ones, in id order), stamps them with
the current time and returns them so a test can assert that exactly those arrived. Bad arguments
raise ``ValueError``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from . import wire
from .model import SUBSCRIBED, UNSUBSCRIBED, AccountData, Suppression
from .state import SandboxState
from .traffic import random_click, random_open

#: ApiContactStatuses that an account-level suppression may carry (reference §3.1).
SUPPRESSION_REASONS = (
    "Unsubscribed",
    "SoftBounced",
    "HardBounced",
    "IspComplained",
    "MailBlocked",
    "DirectComplaint",
    "Suppressed",
)


def option(spec: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = spec.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _sample(ids: list[int], count: int, seed: int) -> list[int]:
    return sorted(random.Random(seed).sample(sorted(ids), min(count, len(ids))))


def touch_contacts(state: SandboxState, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Give ``count`` contacts a new FIRSTNAME (and FULLNAME) and a fresh ``modified``."""
    count, seed = option(spec, "count"), option(spec, "seed", 1)
    with state.lock:
        data = state.data
        data.revision += 1
        moment = wire.now()
        touched = []
        for contact_id in _sample(list(data.contacts), count, seed):
            contact = data.contacts[contact_id]
            first = f"Touched{data.revision}x{contact_id}"
            last = contact.data_fields.get("LASTNAME")
            contact.data_fields["FIRSTNAME"] = first
            contact.data_fields["FULLNAME"] = f"{first} {last}" if last else first
            contact.modified = moment
            touched.append(
                {
                    "id": contact.id,
                    "email": contact.email,
                    "dataFields": {"FIRSTNAME": first, "FULLNAME": contact.data_fields["FULLNAME"]},
                    "modified": wire.iso(moment),
                }
            )
        return touched


def _book_id(data: AccountData, spec: Mapping[str, Any]) -> int:
    if spec.get("book_id") is None:
        if not data.address_books:
            raise ValueError("the account has no address books")
        return min(data.address_books)
    book_id = option(spec, "book_id")
    if book_id not in data.address_books:
        raise ValueError(f"no address book {book_id}")
    return book_id


def unsubscribe(state: SandboxState, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Unsubscribe ``count`` subscribed members from one book (default: the lowest id)."""
    count, seed = option(spec, "count"), option(spec, "seed", 1)
    with state.lock:
        data = state.data
        book = data.address_books[_book_id(data, spec)]
        eligible = [
            cid
            for cid, member in book.members.items()
            if member.status == SUBSCRIBED and data.contacts[cid].status == SUBSCRIBED
        ]
        moment, done = wire.now(), []
        for contact_id in _sample(eligible, count, seed):
            book.members[contact_id].status = UNSUBSCRIBED
            book.members[contact_id].unsubscribed = moment
            contact = data.contacts[contact_id]
            contact.modified = moment
            done.append(
                {
                    "id": contact_id,
                    "email": contact.email,
                    "addressBookId": book.id,
                    "dateRemoved": wire.iso(moment),
                }
            )
        return done


def suppress(state: SandboxState, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Suppress ``count`` subscribed contacts at account level (reason HardBounced by default)."""
    count, seed = option(spec, "count"), option(spec, "seed", 1)
    reason = spec.get("reason", "HardBounced")
    if reason not in SUPPRESSION_REASONS:
        raise ValueError(f"reason must be one of {', '.join(SUPPRESSION_REASONS)}, got {reason!r}")
    with state.lock:
        data = state.data
        eligible = [cid for cid, contact in data.contacts.items() if contact.status == SUBSCRIBED]
        moment, done = wire.now(), []
        for contact_id in _sample(eligible, count, seed):
            contact = data.contacts[contact_id]
            contact.status, contact.modified = reason, moment
            data.suppressions[contact_id] = Suppression(contact_id, reason, moment)
            done.append(
                {"id": contact_id, "email": contact.email, "reason": reason, "dateRemoved": wire.iso(moment)}
            )
        return done


def delete_book(state: SandboxState, book_id: Any) -> dict[str, Any]:
    """Delete an address book; its memberships go with it, the contacts stay."""
    book_id = option({"book_id": book_id}, "book_id")
    with state.lock:
        book = state.data.address_books.pop(book_id, None)
        if book is None:
            raise ValueError(f"no address book {book_id}")
        return {"id": book.id, "name": book.name, "members": sorted(book.members)}


def add_activity(state: SandboxState, spec: Mapping[str, Any]) -> dict[str, Any]:
    """One new open and one new click, dated now, for ``count`` recipients of a Sent campaign
    (``campaign_id``, default the lowest Sent one) who did not bounce and get HTML email."""
    count, seed = option(spec, "count"), option(spec, "seed", 1)
    with state.lock:
        data = state.data
        sent = sorted(cid for cid, c in data.campaigns.items() if c.status == "Sent")
        campaign_id = (
            option(spec, "campaign_id") if spec.get("campaign_id") is not None else min(sent, default=0)
        )
        if campaign_id not in sent:
            raise ValueError(f"no Sent campaign {campaign_id or ''}".rstrip())
        rows = data.activities.setdefault(campaign_id, {})
        eligible = [cid for cid, a in rows.items() if not (a.hard_bounced or a.soft_bounced or a.is_text)]
        rng, moment = random.Random(seed), wire.now()
        contacts, opens, clicks = [], [], []
        for contact_id in _sample(eligible, count, seed):
            activity = rows[contact_id]
            event_open = random_open(rng, data.event_id(), contact_id, moment)
            event_click = random_click(rng, data.event_id(), contact_id, moment)
            data.add_open(campaign_id, activity, event_open)
            data.add_click(campaign_id, activity, event_click)
            activity.modified = moment
            contacts.append({"id": contact_id, "email": data.contacts[contact_id].email})
            opens.append(wire.contact_open(event_open, data.contacts))
            clicks.append(wire.contact_click(event_click, data.contacts))
        return {"campaignId": campaign_id, "contacts": contacts, "opens": opens, "clicks": clicks}


def data_field_in_use(state: SandboxState, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Mark a data field as used elsewhere (a program, a form ...), so that deleting it answers
    ``result: false`` with these ``dependencies``; an empty list or null marks it unused again.
    Dependencies are DOC-DF's strings ("Used in program 12345") or SWAG's ``{"type", "objectId"}``
    objects (reference §3.5 leaves open which the live API sends)."""
    name = spec.get("name")
    if not isinstance(name, str):
        raise ValueError(f"name must be a data field name, got {name!r}")
    dependencies = spec.get("dependencies", ["Used in program 12345"])
    if dependencies is not None and (
        not isinstance(dependencies, list) or not all(_dependency_ok(d) for d in dependencies)
    ):
        raise ValueError(
            f'dependencies must be a list of strings or {{"type", "objectId"}} objects, got {dependencies!r}'
        )
    with state.lock:
        record = state.data.find_field(name)
        if record is None:
            raise ValueError(f"no data field {name}")
        record.in_use = [d if isinstance(d, str) else dict(d) for d in dependencies] if dependencies else None
        return {"name": record.name, "dependencies": record.in_use}


def _dependency_ok(item: Any) -> bool:
    if isinstance(item, str):
        return True
    return (
        isinstance(item, Mapping)
        and set(item) == {"type", "objectId"}
        and isinstance(item["type"], str)
        and isinstance(item["objectId"], int)
        and not isinstance(item["objectId"], bool)
    )
