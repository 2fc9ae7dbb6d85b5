"""The bulk upsert stores exactly what the ORM stores, whichever path it takes (on SQLite, rows go
to the driver's executemany with the column types' own conversions)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from example_app.models import db
from flask_dotdigital.models.enums import ContactStatus, OptInType
from flask_dotdigital.sync.upsert import upsert

from .syncing import make_integration, models

MOMENT = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
STORED = text("SELECT created_at, updated_at, status, opt_in_type, data_fields, last_subscribed_date, "
              "origin_id FROM dotdigital_contact WHERE email = :email")


def stored(email: str) -> tuple[object, ...]:
    return tuple(db.session.execute(STORED, {"email": email}).one())


def test_the_bulk_upsert_stores_what_the_orm_stores(app):
    integration = make_integration()
    values = {"integration_id": integration.id, "created_at": MOMENT, "updated_at": MOMENT,
              "status": ContactStatus.Unsubscribed, "opt_in_type": OptInType.Double,
              "data_fields": {"FIRSTNAME": "Ann", "AGE": 41, "VIP": True},
              "last_subscribed_date": MOMENT}
    db.session.add(models.Contact(email="orm@example.com", origin_id=77, **values))
    db.session.commit()
    upsert(db.session, models.Contact.__table__, [{"email": "bulk@example.com", "origin_id": 88, **values}],
           ["integration_id", "email"])
    db.session.commit()
    assert stored("bulk@example.com")[:-1] == stored("orm@example.com")[:-1]

    # ... and an update through it changes only what it carries.
    upsert(db.session, models.Contact.__table__, [{"integration_id": integration.id,
                                                   "email": "bulk@example.com", "origin_id": 78}],
           ["integration_id", "email"])
    db.session.commit()
    assert stored("bulk@example.com")[:-1] == stored("orm@example.com")[:-1]
    assert stored("bulk@example.com")[-1] == 78
