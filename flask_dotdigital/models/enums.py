"""Dotdigital's enumerations, with their exact API spellings (Oro's enum tables, §1.15).

Stored as strings (``native_enum=False``) so that a value Dotdigital adds later can be stored as
``NotAvailableInThisVersion`` instead of breaking a sync; see :func:`coerce`.
"""

from __future__ import annotations

import enum
import functools
from typing import TypeVar

E = TypeVar("E", bound=enum.Enum)


class ContactStatus(enum.StrEnum):
    Subscribed = "Subscribed"
    Unsubscribed = "Unsubscribed"
    SoftBounced = "SoftBounced"
    HardBounced = "HardBounced"
    IspComplained = "IspComplained"
    MailBlocked = "MailBlocked"
    PendingOptIn = "PendingOptIn"
    DirectComplaint = "DirectComplaint"
    Deleted = "Deleted"
    SharedSuppression = "SharedSuppression"
    Suppressed = "Suppressed"
    NotAllowed = "NotAllowed"
    DomainSuppression = "DomainSuppression"
    NoMxRecord = "NoMxRecord"
    NotAvailableInThisVersion = "NotAvailableInThisVersion"


#: "Active" everywhere in Oro: the contact can still be mailed.
ACTIVE_STATUSES = frozenset({ContactStatus.Subscribed, ContactStatus.SoftBounced})


class OptInType(enum.StrEnum):
    Unknown = "Unknown"
    Single = "Single"
    Double = "Double"
    VerifiedDouble = "VerifiedDouble"
    NotAvailableInThisVersion = "NotAvailableInThisVersion"


class EmailType(enum.StrEnum):
    PlainText = "PlainText"
    Html = "Html"
    NotAvailableInThisVersion = "NotAvailableInThisVersion"


class Visibility(enum.StrEnum):
    Private = "Private"
    Public = "Public"
    NotAvailableInThisVersion = "NotAvailableInThisVersion"


class ImportStatus(enum.StrEnum):
    NotFinished = "NotFinished"
    Finished = "Finished"
    RejectedByWatchdog = "RejectedByWatchdog"
    InvalidFileFormat = "InvalidFileFormat"
    Unknown = "Unknown"
    Failed = "Failed"
    ExceedsAllowedContactLimit = "ExceedsAllowedContactLimit"
    NotAvailableInThisVersion = "NotAvailableInThisVersion"


class CampaignStatus(enum.StrEnum):
    Unsent = "Unsent"
    Sending = "Sending"
    Sent = "Sent"
    Paused = "Paused"
    Cancelled = "Cancelled"
    RequiresSystemApproval = "RequiresSystemApproval"
    RequiresSMSApproval = "RequiresSMSApproval"
    RequiresWorkflowApproval = "RequiresWorkflowApproval"
    Triggered = "Triggered"
    NotAvailableInThisVersion = "NotAvailableInThisVersion"


class ReplyAction(enum.StrEnum):
    Unset = "Unset"
    WebMailForward = "WebMailForward"
    Webmail = "Webmail"
    Delete = "Delete"
    NotAvailableInThisVersion = "NotAvailableInThisVersion"


class DataFieldType(enum.StrEnum):
    String = "String"
    Numeric = "Numeric"
    Date = "Date"
    Boolean = "Boolean"


class DataFieldVisibility(enum.StrEnum):
    Private = "Private"
    Public = "Public"


class MarketingListType(enum.StrEnum):
    dynamic = "dynamic"
    static = "static"
    segment = "segment"


class SyncStatus(enum.StrEnum):
    """A sync run's (or one connector's) state."""

    queued = "queued"
    running = "running"
    success = "success"
    failed = "failed"
    skipped = "skipped"


def coerce(enum_type: type[E], value: object, default: E | None = None) -> E | None:
    """The member whose value matches ``value`` case-insensitively, else ``default``.

    Dotdigital's enum input is probably case-insensitive (§3.0) and its outputs may grow, so a sync
    never fails on an unexpected spelling.
    """
    if value is None:
        return None
    member = _folded(enum_type).get(str(value).lower())
    if member is not None:
        return member
    fallback = getattr(enum_type, "NotAvailableInThisVersion", None)
    return default if default is not None else fallback


@functools.cache
def _folded(enum_type: type[E]) -> dict[str, E]:
    """lower-cased value → member, built once per enum: an import coerces three values a contact."""
    return {member.value.lower(): member for member in enum_type}
