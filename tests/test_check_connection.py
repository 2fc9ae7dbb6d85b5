"""Check connection: a CSRF-protected POST with the values typed in the form; it saves nothing."""

from __future__ import annotations

import pytest

from example_app import dotdigital
from example_app.models import db

from .conftest import SANDBOX_PASSWORD, SANDBOX_USER, csrf_token, integration_form

URL = "/admin/integrations/check-connection/"


def check(client, **data):
    token = csrf_token(client.get("/admin/integrations/new/").text)
    return client.post(URL, data={"csrf_token": token, **data})


def test_success_names_the_account_and_saves_nothing(admin_client, sandbox):
    response = check(admin_client, username=SANDBOX_USER, password=SANDBOX_PASSWORD)
    assert response.json == {"ok": True, "message": "Connection Successful",
                             "account_name": "Sandbox Account"}
    assert db.session.execute(db.select(dotdigital.models.Integration)).first() is None
    paths = [call["path"] for call in sandbox.state()["calls"]]
    assert paths == ["/r1/v2/account-info"]


def test_wrong_credentials_show_dotdigitals_own_message(admin_client):
    response = check(admin_client, username=SANDBOX_USER, password="wrong-password")
    assert response.json == {"ok": False,
                             "message": "Authorization has been denied for this request."}


def test_without_csrf_token_it_is_refused(admin_client, sandbox):
    response = admin_client.post(URL, data={"username": SANDBOX_USER,
                                            "password": SANDBOX_PASSWORD})
    assert response.status_code == 400
    assert sandbox.state()["calls"] == []


def test_editing_with_blank_password_uses_the_stored_one(admin_client):
    token = csrf_token(admin_client.get("/admin/integrations/new/").text)
    admin_client.post("/admin/integrations/new/", data=integration_form(token))
    integration_id = db.session.execute(db.select(dotdigital.models.Integration.id)).scalar()
    response = check(admin_client, username=SANDBOX_USER, password="", id=str(integration_id))
    assert response.json["ok"] is True


def test_unreachable_dotdigital_is_reported_not_a_500(admin_client, app):
    app.config["DOTDIGITAL_API_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens on port 9
    app.config["DOTDIGITAL_API_MAX_RETRIES"] = 0
    response = check(admin_client, username=SANDBOX_USER, password=SANDBOX_PASSWORD)
    assert response.status_code == 200
    assert response.json["ok"] is False
    assert response.json["message"].startswith("Unable to connect to dotdigital")


@pytest.mark.parametrize("tampered", ["999999", "-1", "abc", "1 OR 1=1", "1.5", "", "٣"])
def test_a_tampered_integration_id_never_lends_a_stored_password(admin_client, sandbox, tampered):
    token = csrf_token(admin_client.get("/admin/integrations/new/").text)
    admin_client.post("/admin/integrations/new/", data=integration_form(token))
    before = len(sandbox.state()["calls"])
    response = check(admin_client, username=SANDBOX_USER, password="", id=tampered)
    assert response.status_code == 400
    assert response.json == {"ok": False, "message": "Enter the Username and Password first."}
    assert len(sandbox.state()["calls"]) == before, "nothing was sent to Dotdigital"
