"""Scenario 4: a full contact import of N contacts from one sandbox address book.

Ours is a sync run of the ``address_book`` and ``contact`` connectors on an empty database. The
baseline fetches the same JSON pages (same route, page size and overlap) with ``requests`` and
bulk-inserts them with SQLAlchemy Core (one executemany per page) into an empty table.
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
from ..harness import QueryCounter, Row, ratio_row, stopwatch

NAMES = ("import",)


def _plain_table() -> Table:
    return Table("bench_plain_contact", MetaData(), Column("id", Integer, primary_key=True),
                 Column("origin_id", BigInteger), Column("email", String(255)), Column("status", String(40)),
                 Column("opt_in_type", String(40)), Column("email_type", String(40)),
                 Column("data_fields", JSON))


def run(bench: Bench, sizes: Any, profile: Any) -> list[Row]:
    n = sizes.imports
    app = bench.app("import")
    bench.reset_sandbox()
    bench.sandbox.generate(contacts=n, books=1, campaigns=0)
    book_origin = next(iter(bench.sandbox.live_state.data.address_books))
    with app.app_context():
        integration = make_integration()
        plain = _plain_table()
        plain.create(db.engine)
        floor_first, pages = _bare_import(bench, book_origin, plain)
        with QueryCounter(db.engine) as queries, stopwatch() as took, profile("import"):
            status = str(run_inline(integration.id, "address_book", "contact").status)
        stored = db.session.scalar(select(func.count()).select_from(M.Contact))
        plain_rows = db.session.scalar(select(func.count()).select_from(plain))
        db.session.execute(plain.delete())
        db.session.commit()
        floor_again, _ = _bare_import(bench, book_origin, plain)
        floor = min(floor_first, floor_again)
        plain.drop(db.engine)
    return [ratio_row("4 import throughput", f"{n:,}", took[0], floor, 2.0, notes=[
        f"ours: address_book + contact connectors ({status}), {stored:,} contacts stored, "
        f"{queries.summary()}; floor: {pages} pages fetched and inserted with Core "
        f"({plain_rows:,} rows incl. the {OVERLAP}-row page overlaps), best of 2"])]


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

