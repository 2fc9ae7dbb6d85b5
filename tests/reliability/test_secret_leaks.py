"""Secrets never reach a log record, a run's message or an exception, across a whole sync and export
with faults, a retry storm and a refused password; and they are not stored in clear."""

from __future__ import annotations

import logging

from sqlalchemy import select, text

from example_app.models import db
from flask_dotdigital.api.account import discover_account
from flask_dotdigital.connection import client_for
from flask_dotdigital.errors import DotDigitalError
from flask_dotdigital.models.enums import SyncStatus

from ..conftest import SANDBOX_PASSWORD, add_stat
from ..exporting import M, connected_list, run_inline, seed_contacts, settle
from ..syncing import make_integration

CLIENT_SECRET = "client-secret-that-must-not-leak"  # noqa: S105 - a test value
REFRESH_TOKEN = "refresh-token-that-must-not-leak"  # noqa: S105 - a test value


def test_no_secret_in_any_log_record_message_or_exception(app, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox.control(generate={"contacts": 300, "books": 2, "campaigns": 2, "seed": 3})
    seed_contacts(200)
    integration, _, _ = connected_list()
    integration.client_id, integration.client_secret = "sandbox-client", CLIENT_SECRET
    db.session.add(M.OAuthToken(integration_id=integration.id, user_id=1, refresh_token=REFRESH_TOKEN))
    db.session.commit()
    # Every kind of fault the client logs and retries: 5xx, dropped connections, stalls.
    sandbox.control(fault_rate={"rate": 0.1, "seed": 5, "faults": [
        {"status": 503}, {"status": 500}, {"status": "drop"}]})
    outcomes = [run_inline(integration.id).status for _ in range(3)]
    sandbox.control(fault_rate=None)
    assert run_inline(integration.id).status == SyncStatus.success
    settle(integration.id)
    # A refused password: Dotdigital's 401 reaches the run's message and an exception.
    wrong = make_integration("Wrong password", password=SANDBOX_PASSWORD + "-but-wrong")
    refused = run_inline(wrong.id)
    assert refused.status == SyncStatus.failed
    errors: list[str] = []
    try:
        discover_account(client_for(wrong))
    except DotDigitalError as err:
        errors.append(f"{err!r} {err}")
    assert errors, "the wrong password was refused"

    messages = [m for m in db.session.execute(select(M.SyncRun.message)).scalars() if m]
    secrets = (SANDBOX_PASSWORD, CLIENT_SECRET, REFRESH_TOKEN)
    records = [r.getMessage() + " " + str(r.args) + " " + (r.exc_text or "") for r in caplog.records]
    assert len(records) > 20, f"the run logged ({len(records)} records, outcomes {outcomes})"
    for secret in secrets:
        assert not [r for r in records if secret in r], "a log record holds a secret"
        assert not [m for m in messages if secret in m], "a run's message holds a secret"
        assert not [e for e in errors if secret in e], "an exception holds a secret"
    # At rest: the raw columns hold Fernet tokens, never the values.
    raw = db.session.execute(text("SELECT password, client_secret FROM dotdigital_integration")).all()
    token = db.session.execute(text("SELECT refresh_token FROM dotdigital_oauth")).scalars().all()
    stored = " ".join(str(v) for row in raw for v in row) + " ".join(token)
    for secret in secrets:
        assert secret not in stored
    add_stat("log records checked for secrets", len(records))
