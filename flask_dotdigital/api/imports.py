"""Contact imports into an address book (§3.1, §3.3, §3.4): uploading a CSV file, polling the
import until it ends, and reading its report and fault file.

An import is asynchronous: the upload answers 202 with ``NotFinished`` and the rows reach the
account only when a later status poll says ``Finished``. Every other terminal status
(``RejectedByWatchdog``, ``InvalidFileFormat``, ``Failed``, ...) means nothing was imported (§6
item 7).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from ..errors import ApiError
from .base import Client

NOT_FINISHED = "NotFinished"
FINISHED = "Finished"


def upload_contacts(client: Client, book_id: int, csv_bytes: bytes, *,
                    filename: str = "contacts.csv") -> dict[str, Any]:
    """Upload a CSV (UTF-8, header row with an ``Email`` column) into an address book and return
    ApiContactImport ``{"id", "status"}``.

    Sent as multipart with field ``file`` and a filename: without ``filename=`` Dotdigital answers
    400 ``file must be valid`` (§3.3, §6 item 8). requests writes the multipart Content-Type itself,
    so no JSON content type may be set here. The file must stay within 50 MB (§2.2).
    """
    # A POST is not retried on 5xx by the client core (the upload may have been taken): an upload
    # that failed is sent again by the export on its next run instead.
    body = client.request("POST", f"address-books/{book_id}/contacts/import",
                          files={"file": (filename, csv_bytes, "text/csv")})
    folded = _folded(body)
    if not folded.get("id"):
        raise ApiError("Dotdigital answered the contact import without its id.")
    return {"id": str(folded["id"]), "status": str(folded.get("status") or NOT_FINISHED)}


def import_status(client: Client, import_id: str) -> str:
    """The import's status, e.g. ``NotFinished`` (keep polling) or ``Finished`` (§3.1)."""
    status = _folded(client.request("GET", f"contacts/import/{import_id}")).get("status")
    if not isinstance(status, str) or not status:
        raise ApiError(f"Dotdigital answered contact import {import_id} without a status.")
    return status


def import_report(client: Client, import_id: str) -> dict[str, Any]:
    """ApiContactImportReport (``newContacts``, ``updatedContacts``, ...). Asked for before the
    import finished, Dotdigital answers 400 ``ERROR_IMPORT_REPORT_NOT_FOUND`` (§6 item 8)."""
    body = client.request("GET", f"contacts/import/{import_id}/report")
    if not isinstance(body, Mapping):
        raise ApiError(f"Dotdigital answered the report of import {import_id} with no JSON object.")
    # camelCase per SWAG; tolerate PascalCase, which some DOC examples show (§3.0) [UNSURE].
    return {_camel(str(key)): value for key, value in body.items()}


def import_faults(client: Client, import_id: str) -> list[dict[str, str]]:
    """The rows Dotdigital did not import, each with its ``reason`` (``Duplicate``, ``Invalid
    email``, or a suppressed contact's status such as ``Unsubscribed``) and the row's own columns;
    keys are lower-cased (§3.4, §6 item 5).

    The answer is CSV text; a JSON answer is an error, which the client core already raises when
    it carries a ``message`` (as Magento does, M2-CLIENT).
    """
    text = client.request("GET", f"contacts/import/{import_id}/report-faults")
    if text is None:
        return []
    if not isinstance(text, str):
        raise ApiError(f"Dotdigital answered the faults of import {import_id} with JSON, not CSV.")
    reader = csv.DictReader(io.StringIO(utf8_text(text), newline=""))
    return [{str(key).strip().lower(): value or "" for key, value in row.items() if key is not None}
            for row in reader]


def utf8_text(text: str) -> str:
    """Undo requests' ISO-8859-1 reading of a ``text/csv`` answer that names no charset (RFC 2616's
    default for text/*): the fault file is UTF-8 (§3.4). Text that was decoded correctly does not
    survive the round trip and is returned unchanged."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def _folded(body: Any) -> dict[str, Any]:
    # Casing of these small bodies is UNSURE in places (the DOC shows {"Id", "Status"}, §3.3).
    if not isinstance(body, Mapping):
        raise ApiError("Dotdigital answered a contact import call with no JSON object.")
    return {str(key).lower(): value for key, value in body.items()}


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]
