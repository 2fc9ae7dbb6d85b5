"""Render Create Integration from an installed (not editable) flask-dotdigital.

Run from outside the source tree, so that the import can only come from site-packages: this proves
the wheel carries its templates and every subpackage.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from flask import Flask
from flask_admin import Admin
from flask_login import LoginManager, UserMixin
from flask_sqlalchemy import SQLAlchemy

import flask_dotdigital
from flask_dotdigital import DotDigital

assert "site-packages" in flask_dotdigital.__file__, flask_dotdigital.__file__
assert not (Path.cwd() / "flask_dotdigital").exists()
# Every module of the installed copy imports (a package missing from the wheel fails here).
for module in pkgutil.walk_packages(flask_dotdigital.__path__, "flask_dotdigital."):
    if module.name not in ("flask_dotdigital.cron", "flask_dotdigital.sandbox.__main__",
                           "flask_dotdigital.sandbox.pytest_plugin"):  # needs pytest, a dev extra
        importlib.import_module(module.name)

db = SQLAlchemy()


class Admin_(UserMixin, db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(255))
    is_admin = True


app = Flask(__name__)
app.config.update(SECRET_KEY="installed-check", SQLALCHEMY_DATABASE_URI="sqlite://")
db.init_app(app)
login = LoginManager(app)
login.user_loader(lambda user_id: db.session.get(Admin_, int(user_id)))
DotDigital(app, db=db, user_model=Admin_, admin=Admin(app))

with app.app_context():
    db.create_all()
    db.session.add(Admin_(id=1, email="a@example.com"))
    db.session.commit()

client = app.test_client()
with client.session_transaction() as session:
    session["_user_id"] = "1"
    session["_fresh"] = True
page = client.get("/admin/integrations/new/")
assert page.status_code == 200, page.status_code
for text in ("Create Integration", "Check connection", "Client Secret key", "Save and Close"):
    assert text in page.text, text
from flask_dotdigital.sandbox.server import SandboxServer  # noqa: E402 - routes subpackage shipped

with SandboxServer() as sandbox:
    import requests

    assert requests.get(f"{sandbox.discovery_url}/v2/account-info", timeout=10,
                        auth=("demo@apiconnector.com", "sandbox-password")).ok
print(f"installed copy OK: {flask_dotdigital.__file__}", file=sys.stderr)
