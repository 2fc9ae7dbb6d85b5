"""Scenario 4: a full contact import of N contacts from one sandbox address book.

Ours is a sync run of the ``address_book`` and ``contact`` connectors on an empty database. The
baseline fetches the same JSON pages (same route, page size and overlap) with ``requests`` and
bulk-inserts them with SQLAlchemy Core (one executemany per page) into an empty table. Each side
is timed twice, in two fresh databases, and the faster time of each counts.
"""

from __future__ import annotations

from typing import Any

import requests
from sqlalchemy import JSON, BigInteger, Column, Integer, MetaData, String, Table, func, select

from example_app.models import db
from flask_dotdigital.api.paging import OVERLAP, PAGE_SIZE
from flask_dotdigital.sandbox.state import DEFAULT_PASSWORD, DEFAULT_USERNAME

from ..env import Bench, M, make_integration
from ..exporting import run_inline
from ..harness import QueryCounter, Row, ratio_row, seconds, stopwatch

NAMES = ("import",)


def _plain_table() -> Table:
    return Table("bench_plain_contact", MetaData(), Column("id", Integer, primary_key=True),
                 Column("origin_id", BigInteger), Column("email", String(255)), Column("status", String(40)),
                 Column("opt_in_type", String(40)), Column("email_type", String(40)),
                 Column("data_fields", JSON))


def run(bench: Bench, sizes: Any, profile: Any) -> list[Row]:
    n = sizes.imports
    bench.reset_sandbox()
    bench.sandbox.generate(contacts=n, books=1, campaigns=0)
    book_origin = next(iter(bench.sandbox.live_state.data.address_books))
    ours, floors = [], []
    for attempt in range(2):  # both sides best of 2, each of ours a first import into a fresh database
        with bench.app(f"import-{attempt}").app_context():
            integration = make_integration()
            plain = _plain_table()
            plain.create(db.engine)
            took_floor, pages = _bare_import(bench, book_origin, plain)
            floors.append(took_floor)
            plain_rows = db.session.scalar(select(func.count()).select_from(plain))
            with QueryCounter(db.engine) as queries, stopwatch() as took, profile(
                    "import" if attempt == 0 else "-"):
                status = str(run_inline(integration.id, "address_book", "contact").status)
            ours.append(took[0])
            stored = db.session.scalar(select(func.count()).select_from(M.Contact))
            plain.drop(db.engine)
    return [ratio_row("4 import throughput", f"{n:,}", min(ours), min(floors), 2.0, notes=[
        f"ours: address_book + contact connectors ({status}), {stored:,} contacts stored, "
        f"{queries.summary()}, best of 2 first imports into fresh databases "
        f"({', '.join(seconds(t) for t in ours)}); floor: {pages} pages fetched and inserted with "
        f"Core ({plain_rows:,} rows incl. the {OVERLAP}-row page overlaps), best of 2 "
        f"({', '.join(seconds(t) for t in floors)})"])]


def _bare_import(bench: Bench, book_origin: int, plain: Table) -> tuple[float, int]:
    session = requests.Session()
    session.auth = (DEFAULT_USERNAME, DEFAULT_PASSWORD)
    url = f"{bench.sandbox.regional_url}/v2/address-books/{book_origin}/contacts"
    skip, pages = 0, 0
    with stopwatch() as took:
        while True:
            answer = session.get(url, params={"withFullData": "true", "select": PAGE_SIZE, "skip": skip},
                                 timeout=120)
            answer.raise_for_status()
            page = answer.json()
            pages += 1
            if page:
                db.session.execute(plain.insert(), [
                    {"origin_id": c.get("id"), "email": (c.get("email") or "").lower(),
                     "status": c.get("status"), "opt_in_type": c.get("optInType"),
                     "email_type": c.get("emailType"),
                     "data_fields": {f["key"]: f.get("value") for f in c.get("dataFields") or []}}
                    for c in page])
                db.session.commit()
            if len(page) < PAGE_SIZE:
                break
            skip += PAGE_SIZE - OVERLAP
    return took[0], pages

