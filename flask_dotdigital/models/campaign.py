"""Campaigns, their summaries, and per-contact activity, clicks and opens."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .common import EMAIL, IntegrationOwned, OriginAware, Timestamps, enum_column
from .enums import CampaignStatus, ReplyAction
from .types import UTCDateTime


def campaign_address_book_table(metadata: Any) -> Table:
    """Which books a campaign was sent to (Oro's orocrm_dm_campaign_to_ab)."""
    return Table(
        "dotdigital_campaign_address_book", metadata,
        Column("campaign_id", ForeignKey("dotdigital_campaign.id", ondelete="CASCADE"),
               primary_key=True),
        Column("address_book_id", ForeignKey("dotdigital_address_book.id", ondelete="CASCADE"),
               primary_key=True, index=True),
    )


class CampaignMixin(OriginAware, Timestamps):
    __tablename__ = "dotdigital_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(255))
    from_name: Mapped[str | None] = mapped_column(String(255))
    from_address: Mapped[str | None] = mapped_column(String(255))
    reply_to_address: Mapped[str | None] = mapped_column(String(255))
    reply_action: Mapped[ReplyAction | None] = enum_column(ReplyAction)
    is_split_test: Mapped[bool | None]
    status: Mapped[CampaignStatus | None] = enum_column(CampaignStatus, index=True)
    #: soft delete: the campaign no longer comes back from Dotdigital (Oro's is_deleted)
    deleted: Mapped[bool] = mapped_column(default=False, index=True)

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("integration_id", "origin_id", name="dotdigital_campaign_unq"),
                Index("dotdigital_campaign_name_idx", "integration_id", "name"))

    def __str__(self) -> str:
        return self.name


#: ApiCampaignSummary's integer counters (§3.6), stored as snake_case columns.
SUMMARY_COUNTERS = (
    "numUniqueOpens numUniqueTextOpens numTotalUniqueOpens numOpens numTextOpens numTotalOpens "
    "numClicks numTextClicks numTotalClicks numPageViews numTotalPageViews numTextPageViews "
    "numForwards numTextForwards numEstimatedForwards numTextEstimatedForwards "
    "numTotalEstimatedForwards numReplies numTextReplies numTotalReplies numHardBounces "
    "numTextHardBounces numTotalHardBounces numSoftBounces numTextSoftBounces numTotalSoftBounces "
    "numUnsubscribes numTextUnsubscribes numTotalUnsubscribes numIspComplaints numTextIspComplaints "
    "numTotalIspComplaints numMailBlocks numTextMailBlocks numTotalMailBlocks numSent numTextSent "
    "numTotalSent numRecipientsClicked numDelivered numTextDelivered numTotalDelivered"
).split()
SUMMARY_PERCENTAGES = (
    "percentageDelivered percentageUniqueOpens percentageOpens percentageUnsubscribes "
    "percentageReplies percentageHardBounces percentageSoftBounces percentageUsersClicked "
    "percentageClicksToOpens"
).split()


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def summary_columns() -> dict[str, Any]:
    """The summary's ~50 counter columns, generated from the API field names (one source of truth)."""
    columns: dict[str, Any] = {snake(n): mapped_column(Integer, nullable=True) for n in SUMMARY_COUNTERS}
    columns.update({snake(n): mapped_column(Float, nullable=True) for n in SUMMARY_PERCENTAGES})
    return columns


class CampaignSummaryMixin(IntegrationOwned, Timestamps):
    __tablename__ = "dotdigital_campaign_summary"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("dotdigital_campaign.id", ondelete="CASCADE"),
                                             unique=True)
    date_sent: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class ActivityMixin(IntegrationOwned, Timestamps):
    """One contact's activity on one campaign (ApiCampaignContactSummary)."""

    __tablename__ = "dotdigital_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("dotdigital_campaign.id", ondelete="CASCADE"))
    #: Dotdigital's contact id; kept even when the contact is not (yet) known locally
    contact_origin_id: Mapped[int] = mapped_column(BigInteger)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("dotdigital_contact.id", ondelete="SET NULL"), index=True)
    email: Mapped[str | None] = mapped_column(EMAIL, index=True)
    num_opens: Mapped[int | None]
    num_page_views: Mapped[int | None]
    num_clicks: Mapped[int | None]
    num_forwards: Mapped[int | None]
    num_estimated_forwards: Mapped[int | None]
    num_replies: Mapped[int | None]
    date_sent: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    date_first_opened: Mapped[datetime | None] = mapped_column(UTCDateTime)
    date_last_opened: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_open_ip: Mapped[str | None] = mapped_column(String(255))
    unsubscribed: Mapped[bool | None]
    soft_bounced: Mapped[bool | None]
    hard_bounced: Mapped[bool | None]

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("campaign_id", "contact_origin_id", name="dotdigital_activity_unq"),
                Index("dotdigital_activity_sent_idx", "campaign_id", "date_sent"))


class _ContactEvent(IntegrationOwned):
    """One click or open of one contact on one campaign.

    Dotdigital gives these no id, and two can share contact, link and second (two devices): a hash
    of everything Dotdigital sent identifies one, so that re-imports stay idempotent.
    """

    __tablename__: str
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("dotdigital_campaign.id", ondelete="CASCADE"))
    contact_origin_id: Mapped[int] = mapped_column(BigInteger)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("dotdigital_contact.id", ondelete="SET NULL"), index=True)
    email: Mapped[str | None] = mapped_column(EMAIL)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(40))

    @declared_attr.directive
    def __table_args__(cls) -> Any:
        return (UniqueConstraint("campaign_id", "fingerprint", name=f"{cls.__tablename__}_unq"),)


class CampaignClickMixin(_ContactEvent):
    __tablename__ = "dotdigital_campaign_click"

    url: Mapped[str] = mapped_column(String(2048), default="")
    keyword: Mapped[str | None] = mapped_column(String(255))
    date_clicked: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CampaignOpenMixin(_ContactEvent):
    __tablename__ = "dotdigital_campaign_open"

    mail_client: Mapped[str | None] = mapped_column(String(255))
    mail_client_version: Mapped[str | None] = mapped_column(String(255))
    is_html: Mapped[bool | None]
    is_forward: Mapped[bool | None]
    date_opened: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
