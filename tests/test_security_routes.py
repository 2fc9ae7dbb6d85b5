"""Every route the extension adds, found by walking the app's URL map, so that a new one cannot
slip past: anonymous users are sent to log in, users without permission get 403, and a POST
without a CSRF token changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from example_app import dotdigital
from example_app.models import db

from .conftest import add_stat
from .syncing import make_integration

OURS = re.compile(r"^(dotdigital_[a-z_]+|dotdigital_sso)\.")


def our_routes(app):
    """(url, methods) for every rule of the extension, with ids filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not OURS.match(rule.endpoint) or rule.endpoint.endswith(".static"):
            continue
        url = re.sub(r"<(?:int:)?(\w+)>", "1", rule.rule)
        routes.append((url, sorted(rule.methods - {"HEAD", "OPTIONS"})))
    return routes


def test_the_walk_covers_every_screen(app):
    urls = {url for url, _ in our_routes(app)}
    for expected in ("/admin/integrations/", "/admin/integrations/check-connection/",
                     "/admin/integrations/schedule-sync/", "/admin/marketing-lists/connect/",
                     "/admin/dotdigital/data-fields/", "/admin/dotdigital/data-field-mappings/",
                     "/admin/dotdigital/email-studio/", "/admin/integrations/sync-runs/",
                     "/dotdigital/oauth/callback"):
        assert expected in urls, expected
    assert len(urls) > 60


def test_anonymous_users_are_sent_to_log_in_everywhere(app):
    make_integration()
    client = app.test_client()
    add_stat("routes checked", len(our_routes(app)))
    for url, methods in our_routes(app):
        for method in methods:
            response = client.open(url + ("?id=1" if "?" not in url else ""), method=method)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login"), (method, url)


def test_users_without_permission_get_403_everywhere(app, user_client):
    make_integration()
    for url, methods in our_routes(app):
        for method in methods:
            response = user_client.open(url + "?id=1", method=method)
            assert response.status_code == 403, (method, url, response.status_code)


def _row_counts():
    tables = [m for m in vars(dotdigital.models).values() if hasattr(m, "__table__")]
    return {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) for t in tables}


@pytest.mark.usefixtures("sandbox")
def test_no_post_without_a_csrf_token_changes_anything(app, admin_client, sandbox):
    integration = make_integration()
    marketing_list = dotdigital.models.MarketingList(name="L", entity="Contact", type="static")
    db.session.add(marketing_list)
    db.session.commit()
    before, calls = _row_counts(), len(sandbox.state()["calls"])
    form = {"id": str(integration.id), "name": "Changed", "username": "x@example.com",
            "password": "new-password-1", "type": "dotdigital", "integration": str(integration.id),
            "address_book": "new", "new_name": "Book", "entity_id": "1", "url": "/admin/"}
    posts = [(url, m) for url, methods in our_routes(app) for m in methods if m == "POST"]
    assert len(posts) > 15
    for url, _ in posts:
        response = admin_client.post(url + "?id=1", data=form)
        assert response.status_code < 500, url
    db.session.expire_all()
    assert _row_counts() == before
    assert len(sandbox.state()["calls"]) == calls, "no call to Dotdigital without a CSRF token"
