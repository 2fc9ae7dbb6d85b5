"""Manage Integrations and Create Integration, driven through real HTTP requests to the example app."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from example_app import dotdigital
from example_app.models import db

from .conftest import SANDBOX_PASSWORD, csrf_token, integration_form

Integration = dotdigital.models.Integration


def create(client, **overrides):
    token = csrf_token(client.get("/admin/integrations/new/").text)
    return client.post("/admin/integrations/new/", data=integration_form(token, **overrides))


def integrations():
    return db.session.execute(db.select(Integration)).scalars().all()


def test_create_page_shows_the_seed_fields_in_order(admin_client):
    page = admin_client.get("/admin/integrations/new/").text
    labels = ["Type", "Name", "Username", "Password", "Check connection", "Client ID",
              "Client Secret key", "Custom OAuth Domain", "Default Owner"]
    positions = [page.index(label) for label in labels]
    assert positions == sorted(positions)
    assert "https://r1-app.dotdigital.com/" in page
    assert '<option selected value="dotdigital">Dotdigital</option>' in page \
        or 'value="dotdigital">Dotdigital' in page
    assert "Save and Close" in page


def test_save_and_close_lists_the_integration_with_the_discovered_account(admin_client, sandbox):
    response = create(admin_client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/integrations/")
    grid = admin_client.get("/admin/integrations/").text
    assert "Main account" in grid and "Dotdigital" in grid and "Alice Admin" in grid
    (saved,) = integrations()
    assert saved.api_endpoint == sandbox.regional_url  # discovery, trailing slash stripped
    assert saved.account_name == "Sandbox Account"


def test_wrong_password_shows_dotdigitals_message_and_saves_nothing(admin_client):
    response = create(admin_client, password="not-the-password")
    assert response.status_code == 200
    assert "Authorization has been denied for this request." in response.text
    assert integrations() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "", "This field is required."),
        ("username", "not-an-email", "email address"),
        ("username", "a" * 250 + "@x.com", "255"),
        ("password", "", "This value should not be blank."),
        ("password", "short", "at least 8"),
        ("custom_oauth_domain", "http://example.com/", "must start with https://"),
        ("custom_oauth_domain", "javascript:alert(1)", "must"),
        ("name", "", "This field is required."),
    ],
)
def test_bad_values_are_refused_on_the_form(admin_client, field, value, message):
    response = create(admin_client, **{field: value})
    assert response.status_code == 200
    assert message in response.text
    assert integrations() == []


def test_custom_domain_is_normalised_and_loopback_http_needs_the_setting(admin_client, app):
    assert create(admin_client, custom_oauth_domain="https://app.example.com").status_code == 302
    assert integrations()[0].custom_oauth_domain == "https://app.example.com/"
    app.config["DOTDIGITAL_ALLOW_INSECURE_HOSTS"] = False
    response = create(admin_client, name="Second", custom_oauth_domain="http://127.0.0.1:9/")
    assert "DOTDIGITAL_ALLOW_INSECURE_HOSTS" in response.text


def test_secrets_are_encrypted_at_rest_and_never_rendered(admin_client):
    create(admin_client)
    row = db.session.execute(
        text("SELECT password, client_secret FROM dotdigital_integration")).one()
    assert SANDBOX_PASSWORD not in row.password and "sandbox-secret" not in row.client_secret
    assert row.password.startswith("gAAAAA")  # a Fernet token
    (saved,) = integrations()
    assert saved.password == SANDBOX_PASSWORD  # and it reads back
    for url in ["/admin/integrations/", f"/admin/integrations/edit/?id={saved.id}",
                "/admin/dotdigital/accounts/"]:
        page = admin_client.get(url).text
        assert SANDBOX_PASSWORD not in page and "sandbox-secret" not in page, url
        assert row.password not in page and row.client_secret not in page, url


def test_edit_with_blank_secrets_keeps_the_stored_ones(admin_client):
    create(admin_client)
    (saved,) = integrations()
    url = f"/admin/integrations/edit/?id={saved.id}"
    token = csrf_token(admin_client.get(url).text)
    response = admin_client.post(url, data=integration_form(
        token, name="Renamed", password="", client_secret=""))
    assert response.status_code == 302, response.text
    db.session.expire_all()
    (saved,) = integrations()
    assert saved.name == "Renamed"
    assert saved.password == SANDBOX_PASSWORD and saved.client_secret == "sandbox-secret"


def test_marketing_dotdigital_group_appears_once_an_integration_exists(admin_client):
    assert "/admin/dotdigital/accounts/" not in admin_client.get("/admin/").text
    create(admin_client)
    menu = admin_client.get("/admin/").text
    assert "Marketing" in menu and "dotdigital" in menu
    assert "/admin/dotdigital/accounts/" in menu
    assert "Sandbox Account" in admin_client.get("/admin/dotdigital/accounts/").text
