"""The export under test and its physical floor, shared by the export, incremental and memory
scenarios.

``connected_list`` builds what an admin would: a dynamic marketing list (city is London) linked
to a new address book in the sandbox, and a mapping of FIRSTNAME and FULLNAME. ``bare_export`` is
the floor the issue asks for: one SELECT of the same columns streamed through ``csv.writer`` into
the same number of uploads to the same sandbox route, with ``requests`` and nothing else.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from typing import Any

import requests
from sqlalchemy import func, select, text

from example_app.models import db
from flask_dotdigital.api.address_books import create_address_book
from flask_dotdigital.api.data_fields import create_data_field, data_fields
from flask_dotdigital.connection import client_for
from flask_dotdigital.sandbox.state import DEFAULT_PASSWORD, DEFAULT_USERNAME
from flask_dotdigital.sync.export.slots import FIRST_PAUSE, LONGEST_PAUSE
from flask_dotdigital.sync.runner import run_sync

from .env import M, make_integration
from .harness import stopwatch

#: Dotdigital's cap on running imports per account (§2.2), which the floor must respect as we do.
ACTIVE_IMPORTS = 25
BARE_SELECT = text("SELECT email, first_name, last_name FROM crm_contact "
                   "WHERE lower(city) = 'london' ORDER BY id")


def connected_list(book_name: str = "Benchmark export") -> tuple[Any, Any]:
    """(integration, address book): a list of every London contact, linked and mapped."""
    integration = make_integration()
    marketing_list = M.MarketingList(name="Londoners", entity="Contact", type="dynamic", definition={
        "match": "all", "rules": [{"field": "city", "op": "eq", "value": "London"}]})
    db.session.add(marketing_list)
    db.session.flush()
    client = client_for(integration)
    created = create_address_book(client, book_name, "Private")
    for name in ("FIRSTNAME", "FULLNAME"):
        if name not in {f["name"] for f in data_fields(client)}:
            create_data_field(client, name, "String", "Public")
    book = M.AddressBook(integration_id=integration.id, origin_id=created["id"], name=book_name,
                         marketing_list_id=marketing_list.id)
    first = M.DataField(integration_id=integration.id, name="FIRSTNAME", type="String", visibility="Public")
    full = M.DataField(integration_id=integration.id, name="FULLNAME", type="String", visibility="Public")
    mapping = M.DataFieldMapping(integration_id=integration.id, entity="Contact", sync_priority=20)
    db.session.add_all([book, first, full, mapping])
    db.session.flush()
    db.session.add_all([
        M.DataFieldMappingConfig(mapping_id=mapping.id, data_field_id=first.id, entity_fields="first_name"),
        M.DataFieldMappingConfig(mapping_id=mapping.id, data_field_id=full.id,
                                 entity_fields="first_name,last_name")])
    db.session.commit()
    return integration, book


def run_inline(integration_id: int, *connectors: str) -> Any:
    """One sync run in this process (what an RQ job does, without the queue)."""
    run = M.SyncRun(integration_id=integration_id, trigger="benchmark",
                    requested_connectors=",".join(connectors) or None)
    db.session.add(run)
    db.session.commit()
    run_sync(run.id)
    db.session.expire_all()
    return db.session.get(M.SyncRun, run.id)


def settle(integration_id: int, rounds: int = 8) -> None:
    """Poll the uploads until the sandbox finished them (the 5-minute job, run back to back)."""
    for _ in range(rounds):
        run = run_inline(integration_id, "export_status")
        if run.status != "success":
            raise RuntimeError(f"export_status failed: {run.message}")
        pending = db.session.execute(select(M.ContactExport.id).where(
            M.ContactExport.status == "NotFinished")).first()
        if pending is None:
            return
    raise RuntimeError("the sandbox never finished the imports")


def export_files(integration_id: int) -> int:
    return int(db.session.scalar(select(func.count()).select_from(M.ContactExport).where(
        M.ContactExport.integration_id == integration_id)) or 0)


def _bare_files(batch: int) -> Iterator[bytes]:
    # A server-side cursor where the driver has one: rows stream, they are never all in memory.
    connection = db.session.connection().execution_options(stream_results=True, yield_per=2000)
    buffer, writer, rows = _new_file()
    for email, first, last in connection.execute(BARE_SELECT):
        writer.writerow((email, "Single", "Html", first, f"{first} {last}"))
        rows += 1
        if rows == batch:
            yield buffer.getvalue().encode("utf-8")
            buffer, writer, rows = _new_file()
    if rows:
        yield buffer.getvalue().encode("utf-8")


def _new_file() -> tuple[io.StringIO, Any, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("Email", "optInType", "emailType", "FIRSTNAME", "FULLNAME"))
    return buffer, writer, 0


def bare_export(sandbox: Any, book_origin: int, batch: int) -> tuple[float, int]:
    """The floor: SELECT → csv.writer → one multipart upload per ``batch`` rows.

    Returns (seconds, uploads). At 25 running imports (Dotdigital's cap, §2.2) it waits for the
    oldest to end, as our export does; the last ones are polled to their end untimed, so that the
    floor does not use up our slots.
    """
    session = requests.Session()
    session.auth = (DEFAULT_USERNAME, DEFAULT_PASSWORD)
    url = f"{sandbox.regional_url}/v2/address-books/{book_origin}/contacts/import"
    ids: list[str] = []
    running: list[str] = []
    with stopwatch() as took:
        for number, data in enumerate(_bare_files(batch), start=1):
            while len(running) >= ACTIVE_IMPORTS:  # the same wait for a slot as ours, the same pauses
                _wait_for(session, sandbox, running.pop(0))
            answer = session.post(url, files={"file": (f"bare-{number}.csv", data, "text/csv")},
                                  timeout=120)
            answer.raise_for_status()
            ids.append(answer.json()["id"])
            running.append(ids[-1])
    db.session.rollback()
    for import_id in running:
        _wait_for(session, sandbox, import_id)
    return took[0], len(ids)


def _wait_for(session: requests.Session, sandbox: Any, import_id: str) -> None:
    pause = FIRST_PAUSE
    for _ in range(50):
        status = session.get(f"{sandbox.regional_url}/v2/contacts/import/{import_id}", timeout=120)
        if status.json().get("status") != "NotFinished":
            return
        time.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)


def api_calls(sandbox: Any, since: int = 0) -> list[dict[str, Any]]:
    """The sandbox's call log from ``since`` on (read in process: ``/__state`` would also dump
    every contact of the account)."""
    with sandbox.live_state.lock:
        return [dict(call) for call in sandbox.live_state.calls[since:]]


def call_count(sandbox: Any) -> int:
    with sandbox.live_state.lock:
        return len(sandbox.live_state.calls)


STATE_CONTACTS = ("INSERT INTO dotdigital_contact (integration_id, email, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?)")
STATE_MEMBERS = ("INSERT INTO dotdigital_address_book_contact (integration_id, address_book_id, "
                 "contact_id, marketing_list_item_class, marketing_list_item_id, status, entity_updated, "
                 "scheduled_for_export, new_entity, export_operation_type, pending_values, pending_hash, "
                 "exported_hash, export_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def state_floor(count: int) -> float:
    """What remembering the export costs the database alone: ``count`` contact rows and ``count``
    membership rows (the columns our export writes) sent with the driver's executemany, in the
    current app's empty tables, with no Python beyond building the tuples. Not a baseline the issue
    asks for: it explains how much of the gap to the bare floor is the state itself."""
    integration = make_integration("State floor")
    book = M.AddressBook(integration_id=integration.id, origin_id=1, name="State floor")
    db.session.add(book)
    db.session.commit()
    connection = db.session.connection()
    statements = [STATE_CONTACTS, STATE_MEMBERS]
    if connection.dialect.paramstyle != "qmark":  # psycopg
        statements = [statement.replace("?", "%s") for statement in statements]
    now = "2026-01-01 00:00:00"
    contacts = [(integration.id, f"c{i}@example.com", now, now) for i in range(count)]
    members = [(integration.id, book.id, i + 1, "Contact", i + 1, "Subscribed", False, False, False,
                "new", f'{{"FIRSTNAME":"F{i}","FULLNAME":"F{i} L{i}"}}', "0" * 40, "0" * 40, "imp")
               for i in range(count)]
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    with stopwatch() as took:
        cursor.executemany(statements[0], contacts)
        cursor.executemany(statements[1], members)
        db.session.commit()
    return took[0]
