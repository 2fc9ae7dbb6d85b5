"""The extension's wiring: config, init_app rules, several apps, and the permission hook."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_admin import Admin
from flask_sqlalchemy import SQLAlchemy

from example_app import dotdigital
from example_app.models import User
from flask_dotdigital import ConfigError, DotDigital
from flask_dotdigital.config import DEFAULTS

from .conftest import app_config, csrf_token, fresh_app, login


def test_every_config_key_gets_its_documented_default(app):
    for key in DEFAULTS:
        assert key in app.config
    assert app.config["DOTDIGITAL_QUEUE"] == "dotdigital"
    assert app.config["DOTDIGITAL_API_READ_TIMEOUT"] == 121.0


def test_state_lives_in_app_extensions(app):
    state = app.extensions["dotdigital"]
    assert state.ext is dotdigital
    assert not hasattr(dotdigital, "app")


def test_a_second_init_app_on_the_same_app_is_refused(app):
    with pytest.raises(RuntimeError, match="already initialised"):
        dotdigital.init_app(app)


def test_two_apps_in_one_process_each_have_their_own_state(tmp_path, sandbox):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = fresh_app(app_config(tmp_path / "a", sandbox))
    second = fresh_app(app_config(tmp_path / "b", sandbox, SECRET_KEY="another-secret"))
    assert first.extensions["dotdigital"] is not second.extensions["dotdigital"]
    assert first.extensions["dotdigital"].keyring is not second.extensions["dotdigital"].keyring
    for app in (first, second):
        client = app.test_client()
        login(client, "admin@example.com", "admin-password")
        assert client.get("/admin/integrations/new/").status_code == 200


def test_app_factory_with_init_app(tmp_path):
    db = SQLAlchemy()

    class Person(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        email = db.Column(db.String(255))

    ext = DotDigital(db=db, user_model=Person)

    def create_app():
        app = Flask(__name__)
        app.config.update(SECRET_KEY="k", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/f.db")
        db.init_app(app)
        ext.init_app(app, admin=Admin(app))
        return app

    app = create_app()
    with app.app_context():
        db.create_all()
        assert "dotdigital_integration" in db.metadata.tables
    assert app.url_map.bind("localhost").match("/admin/integrations/")[0] \
        == "dotdigital_integration.index_view"


def test_without_any_secret_key_the_error_names_the_keys(tmp_path):
    db = SQLAlchemy()

    class Member(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    app = Flask(__name__)
    with pytest.raises(ConfigError, match="SECRET_KEY or DOTDIGITAL_ENCRYPTION_KEYS"):
        DotDigital(app, db=db, user_model=Member)


def test_anonymous_users_are_sent_to_the_login_page(app):
    client = app.test_client()
    for url in ["/admin/integrations/", "/admin/integrations/new/", "/admin/dotdigital/accounts/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url
    response = client.post("/admin/integrations/check-connection/", data={})
    assert response.status_code == 302


def test_users_without_permission_get_403(user_client):
    for url in ["/admin/integrations/", "/admin/integrations/new/", "/admin/dotdigital/accounts/"]:
        assert user_client.get(url).status_code == 403, url
    assert user_client.post("/admin/integrations/check-connection/", data={}).status_code == 403
    assert 'href="/admin/integrations/"' not in user_client.get("/admin/").text


def test_the_permission_hook_can_be_replaced(app, admin_client):
    seen = []

    def read_only(user, action, resource):
        seen.append((action, resource))
        return action == "view"

    previous = dotdigital.permission
    dotdigital.permission = read_only
    try:
        assert admin_client.get("/admin/integrations/").status_code == 200
        assert "Create Integration" not in admin_client.get("/admin/integrations/").text
        assert admin_client.get("/admin/integrations/new/").status_code == 403
        token = csrf_token(admin_client.get("/admin/integrations/").text)
        response = admin_client.post("/admin/integrations/check-connection/",
                                     data={"csrf_token": token})
        assert response.status_code == 403
    finally:
        dotdigital.permission = previous
    assert ("create", "integration") in seen and ("check_connection", "integration") in seen


def test_posts_without_csrf_token_are_refused(admin_client):
    from .conftest import integration_form

    response = admin_client.post("/admin/integrations/new/", data=integration_form(""))
    assert response.status_code == 200
    assert "CSRF token missing" in response.text
    assert "Main account" not in admin_client.get("/admin/integrations/").text


def test_login_refuses_open_redirects(app):
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    for target in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        response = client.post(f"/login?next={target}", data={
            "csrf_token": token, "email": "admin@example.com", "password": "admin-password"})
        assert response.headers["Location"] == "/admin/", target


def test_user_model_is_the_hosts(app):
    assert dotdigital.user_model is User
