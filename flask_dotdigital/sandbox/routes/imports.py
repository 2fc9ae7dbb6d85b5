"""Contact import routes (reference §3.3, §3.4): uploading a CSV into an address book, polling the
import's status, and its report and fault file. The import itself (CSV rules, when rows are
applied, the report figures) lives in ``importing.py``.

The upload comes in either of the two encodings the live API takes (§3.3): multipart/form-data
with one file part that has a filename, or JSON ``{"fileName", "data": <base64>}`` in any key case.
"""

from __future__ import annotations

import base64
import binascii
import uuid

from flask import Blueprint, Response, request

from .. import wire
from ..conventions import ApiError, code_error, folded_json, json_response, sentence_error
from ..importing import FINISHED, NOT_FINISHED, ContactImport, faults_csv, read_csv
from ..state import SandboxState, current_state
from .address_books import find_book

#: 50 MB per file (§2.2, WEB-IMP2); taken as binary megabytes [UNSURE].
MAX_FILE_BYTES = 50 * 1024 * 1024
#: At most 25 imports running at once per account (§2.2).
MAX_ACTIVE_IMPORTS = 25
#: The documented text for a multipart part without a filename (WEB-IMP2, §3.0); the sandbox
#: also answers it for any other unreadable upload [UNSURE].
FILE_INVALID = "file must be valid"
REPORT_NOT_READY = "Import is not processed yet or completed with error"


def _uploaded_file() -> tuple[str, bytes, str]:
    """(file name, bytes, encoding) of the upload, or 400 ``file must be valid``."""
    if request.mimetype == "multipart/form-data":
        # werkzeug files a part without a filename under request.form, so it never shows here.
        parts = list(request.files.values())
        if len(parts) != 1 or not parts[0].filename:
            raise ApiError(400, FILE_INVALID)
        # Read one byte past the limit: enough to refuse an oversized file without holding it all.
        return parts[0].filename, parts[0].stream.read(MAX_FILE_BYTES + 1), "multipart"
    body = folded_json()
    name = body.get("filename") if isinstance(body, dict) else None
    encoded = body.get("data") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip() or not isinstance(encoded, str):
        raise ApiError(400, FILE_INVALID)
    try:
        return name, base64.b64decode(encoded, validate=True), "base64"
    except (binascii.Error, ValueError):
        raise ApiError(400, FILE_INVALID) from None


def upload_contacts(book_id: int) -> Response:
    """POST address-books/{id}/contacts/import: 202 ``{"id", "status": "NotFinished"}``."""
    state = current_state()
    with state.lock:
        find_book(state.data, book_id)
    file_name, raw, encoding = _uploaded_file()
    if len(raw) > MAX_FILE_BYTES:
        # The code is the sandbox's guess; WEB-IMP2 gives only the limit [UNSURE].
        raise sentence_error(400, "File exceeds the 50MB limit", "ERROR_IMPORT_FILE_TOO_LARGE")
    csv_file = read_csv(raw)
    with state.lock:
        active = sum(1 for record in state.imports.values() if record.status == NOT_FINISHED)
        if active >= MAX_ACTIVE_IMPORTS:
            raise sentence_error(400, "Too many active imports", "ERROR_IMPORT_TOOMANYACTIVEIMPORTS")
        outcome, state.next_import_outcome = state.next_import_outcome or FINISHED, None
        record = ContactImport(
            id=str(uuid.uuid4()),
            book_id=book_id,
            file_name=file_name,
            encoding=encoding,
            csv_file=csv_file,
            polls_needed=state.import_polls,
            outcome=outcome,
            row_count=len(csv_file.rows),
        )
        state.imports[record.id] = record
    return json_response({"id": record.id, "status": record.status}, 202)


def _find_import(state: SandboxState, import_id: str) -> ContactImport:
    record = state.imports.get(import_id.lower())
    if record is None:
        # The code follows the documented "Error: CODE" shape; the status is inferred [UNSURE].
        raise code_error(404, "ERROR_IMPORT_NOT_FOUND")
    return record


def import_status(import_id: str) -> Response:
    """GET contacts/import/{id}: ApiContactImport. Each call is one poll; the rows are applied by
    the poll that ends the import."""
    state = current_state()
    with state.lock:
        record = _find_import(state, import_id)
        status = record.poll(state.data, wire.now())
        return json_response({"id": record.id, "status": status})


def _finished(import_id: str) -> ContactImport:
    state = current_state()
    with state.lock:
        record = _find_import(state, import_id)
        if record.status != FINISHED or record.report is None:
            raise sentence_error(400, REPORT_NOT_READY, "ERROR_IMPORT_REPORT_NOT_FOUND")
        return record


def import_report(import_id: str) -> Response:
    """GET contacts/import/{id}/report: ApiContactImportReport, once the import has finished."""
    record = _finished(import_id)
    return json_response(dict(record.report or {}))


def import_faults(import_id: str) -> Response:
    """GET contacts/import/{id}/report-faults: the fault file as UTF-8 CSV text (§3.4)."""
    record = _finished(import_id)
    return Response(faults_csv(record), status=200, content_type="text/csv; charset=utf-8")


def register(regional: Blueprint) -> None:
    regional.add_url_rule(
        "/v2/address-books/<int:book_id>/contacts/import",
        "address_book_contacts_import",
        upload_contacts,
        methods=["POST"],
    )
    base = "/v2/contacts/import/<import_id>"
    regional.add_url_rule(base, "contacts_import", import_status, methods=["GET"])
    regional.add_url_rule(f"{base}/report", "contacts_import_report", import_report, methods=["GET"])
    regional.add_url_rule(
        f"{base}/report-faults", "contacts_import_report_faults", import_faults, methods=["GET"]
    )
