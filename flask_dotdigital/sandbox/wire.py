"""How the sandbox's records look on the wire (reference §3.1, §3.6): camelCase objects with the
exact PascalCase enum strings, dates as ISO 8601 UTC with milliseconds and a ``Z``, and the
lenient parser for the ``{date}`` path parameter of the ``...-since/{date}`` routes (§3.0, §6).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .conventions import ApiError, sentence_message

if TYPE_CHECKING:
    from .model import (
        Activity,
        AddressBook,
        Campaign,
        Click,
        Contact,
        DataField,
        Open,
        Suppression,
    )

_SPACED_OFFSET = re.compile(r"(T\d{2}:\d{2}:\d{2}(?:\.\d+)?) (\d{2}:?\d{2})$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DATE_INVALID = sentence_message("The date is not a valid ISO 8601 date", "ERROR_PARAMETER_INVALID")
#: An ISO 8601 date, optionally with a time, fraction (up to .NET's 7 digits) and zone.
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})?)?$")
#: A plain decimal number as text (Python's float() would also take "1_000", "nan" and "inf").
NUMBER_RE = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")


# -- dates ---------------------------------------------------------------------------------
def now() -> datetime:
    """The current time cut to milliseconds, so a stamp survives a round trip through ``iso``."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime | None) -> str | None:
    """``2024-05-01T10:20:30.123Z`` (§6), or ``None``."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_since(text: str) -> datetime:
    """Parse a ``{date}`` path segment leniently: ``Z``, ``+00:00``, ``+0000`` or no zone (read as
    UTC), 0-7 fractional digits (§6). A ``+`` that reached us as a space (query-style decoding on
    the client) is put back. Anything else → 400 ``ERROR_PARAMETER_INVALID``."""
    cleaned = _SPACED_OFFSET.sub(r"\1+\2", text.strip())
    try:
        # Python 3.11's fromisoformat reads every form above, including 7-digit .NET fractions.
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ApiError(400, DATE_INVALID) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- contacts, books, data fields --------------------------------------------------------
def full_data_fields(values: Mapping[str, Any], fields: Iterable[DataField]) -> list[dict[str, Any]]:
    """Every account data field in account order, ``null`` for unset ones (§3.1)."""
    return [{"key": f.name, "value": values.get(f.name)} for f in fields]


def contact(
    record: Contact, fields: Iterable[DataField] | None = None, *, status: str | None = None
) -> dict[str, Any]:
    """ApiContact; ``dataFields`` is ``null`` unless ``fields`` is given (withFullData=true)."""
    return {
        "id": record.id,
        "email": record.email,
        "optInType": record.opt_in_type,
        "emailType": record.email_type,
        "dataFields": None if fields is None else full_data_fields(record.data_fields, fields),
        "status": status or record.status,
    }


def contact_dump(
    record: Contact, memberships: list[dict[str, Any]], fields: Iterable[DataField]
) -> dict[str, Any]:
    body = contact(record)
    body["dataFields"] = {f.name: record.data_fields.get(f.name) for f in fields}
    body["modified"] = iso(record.modified)
    body["memberships"] = memberships
    return body


def contact_suppression(
    record: Contact, date_removed: datetime, reason: str, *, status: str | None = None
) -> dict[str, Any]:
    """ApiContactSuppression; the contact comes without data fields."""
    return {
        "suppressedContact": contact(record, status=status),
        "dateRemoved": iso(date_removed),
        "reason": reason,
    }


def suppression_dump(record: Suppression, owner: Contact) -> dict[str, Any]:
    return {
        "contactId": owner.id,
        "email": owner.email,
        "reason": record.reason,
        "dateRemoved": iso(record.date_removed),
    }


def address_book(book: AddressBook) -> dict[str, Any]:
    return {"id": book.id, "name": book.name, "visibility": book.visibility, "contacts": len(book.members)}


def data_field(record: DataField) -> dict[str, Any]:
    return {
        "name": record.name,
        "type": record.type,
        "visibility": record.visibility,
        "defaultValue": record.default_value,
    }


def data_field_dump(record: DataField) -> dict[str, Any]:
    """ApiDataField plus ``inUse``: the dependencies a delete would report, or ``None``."""
    return {**data_field(record), "inUse": None if record.in_use is None else list(record.in_use)}


# -- campaigns and reporting ---------------------------------------------------------------
def campaign(record: Campaign, *, with_content: bool = False) -> dict[str, Any]:
    """ApiCampaign; list calls send ``htmlContent``/``plainTextContent`` as ``null`` (§3.6)."""
    return {
        "id": record.id,
        "name": record.name,
        "subject": record.subject,
        "fromName": record.from_name,
        "fromAddress": dict(record.from_address),
        "htmlContent": record.html_content if with_content else None,
        "plainTextContent": record.plain_text_content if with_content else None,
        "replyAction": record.reply_action,
        "replyToAddress": record.reply_to_address,
        "isSplitTest": record.is_split_test,
        "status": record.status,
    }


def campaign_dump(record: Campaign) -> dict[str, Any]:
    body = campaign(record)
    body["addressBookIds"] = list(record.books)
    body["dateSent"] = iso(record.date_sent)
    return body


def _email(contacts: Mapping[int, Contact], contact_id: int) -> str:
    owner = contacts.get(contact_id)
    return owner.email if owner is not None else ""


def activity(record: Activity, contacts: Mapping[int, Contact]) -> dict[str, Any]:
    """ApiCampaignContactSummary; ``firstOpenIp`` is ``""`` when there was no open (§3.6)."""
    return {
        "contactId": record.contact_id,
        "email": _email(contacts, record.contact_id),
        "numOpens": record.num_opens,
        "numPageViews": record.num_page_views,
        "numClicks": record.num_clicks,
        "numForwards": record.num_forwards,
        "numEstimatedForwards": record.num_estimated_forwards,
        "numReplies": record.num_replies,
        "dateSent": iso(record.date_sent),
        "dateFirstOpened": iso(record.date_first_opened),
        "dateLastOpened": iso(record.date_last_opened),
        "firstOpenIp": record.first_open_ip,
        "unsubscribed": record.unsubscribed,
        "softBounced": record.soft_bounced,
        "hardBounced": record.hard_bounced,
    }


def contact_open(record: Open, contacts: Mapping[int, Contact]) -> dict[str, Any]:
    return {
        "contactId": record.contact_id,
        "email": _email(contacts, record.contact_id),
        "mailClient": record.mail_client,
        "mailClientVersion": record.mail_client_version,
        "ipAddress": record.ip_address,
        "userAgent": record.user_agent,
        "isHtml": record.is_html,
        "isForward": record.is_forward,
        "dateOpened": iso(record.date_opened),
    }


def contact_click(record: Click, contacts: Mapping[int, Contact]) -> dict[str, Any]:
    return {
        "contactId": record.contact_id,
        "email": _email(contacts, record.contact_id),
        "url": record.url,
        "ipAddress": record.ip_address,
        "userAgent": record.user_agent,
        "dateClicked": iso(record.date_clicked),
        "keyword": record.keyword,
    }
