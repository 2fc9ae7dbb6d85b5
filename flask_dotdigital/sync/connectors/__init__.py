"""The import connectors, in Oro's order (§2.3): each later one relies on what the earlier stored."""

from __future__ import annotations

from typing import Any

from ..export import connector as contact_export
from ..export.connector import ExportStatus
from . import activities, address_books, campaigns, contacts, data_fields, summaries, unsubscribes
from .clicks_opens import Clicks, Opens

CONNECTORS: dict[str, Any] = {
    module.NAME: module
    for module in (address_books, campaigns, contacts, unsubscribes, activities, summaries,
                   contact_export, data_fields, Clicks, Opens, ExportStatus)
}
#: Human names for the admin and the CLI.
LABELS = {
    "address_book": "Address books",
    "campaign": "Campaigns",
    "contact": "Contacts",
    "unsubscribed_contact": "Unsubscribes",
    "activity_contact": "Contact activity",
    "campaign_summary": "Campaign summaries",
    "contact_export": "Contact export",
    "datafield": "Data fields",
    "campaign_click": "Campaign clicks",
    "campaign_open": "Campaign opens",
    "export_status": "Export status",
}

__all__ = ["CONNECTORS", "LABELS"]
