"""A small CRM host app that installs flask-dotdigital, for the demo and the tests.

``create_app(test_config)`` builds it; SQLite by default, ``DATABASE_URL`` for PostgreSQL.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask
from flask_admin import Admin
from flask_admin.form import SecureForm
from flask_admin.theme import Bootstrap4Theme

from flask_dotdigital import DotDigital

from .admin import ContactView, IndexView, LeadView
from .auth import bp as auth_bp
from .auth import login_manager
from .models import Contact, Lead, User, db
from .seed import seed_demo_data

dotdigital = DotDigital(db=db, user_model=User)
dotdigital.register_entity(
    Contact, email="email", label="Contact", owner="owner", exclude=["owner.password_hash"],
    # A value computed in Python: mappings may use it; the daily force sync keeps it current.
    virtual={"greeting": ("string", lambda c: f"Dear {c.first_name}")})
dotdigital.register_entity(Lead, email="email", label="Lead", owner="owner",
                           exclude=["owner.password_hash"])


@dotdigital.segment("London contacts", entity=Contact)
def london_contacts(query: Any) -> Any:
    return query.where(Contact.city == "London")


@dotdigital.segment("Contacts without a company", entity=Contact)
def contacts_without_company(query: Any) -> Any:
    return query.where(Contact.company.is_(None))


def _database_url(app: Flask) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # SQLAlchemy's psycopg 3 dialect; plain postgresql:// would look for psycopg2.
        return url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
            "postgres://", "postgresql+psycopg://", 1)
    os.makedirs(app.instance_path, exist_ok=True)
    return "sqlite:///" + os.path.join(app.instance_path, "example.sqlite")


def _dotdigital_env() -> dict[str, Any]:
    """``DOTDIGITAL_*`` settings from the environment (JSON values parsed), so that RQ workers and
    ``flask`` commands see the same settings as the web process."""
    settings: dict[str, Any] = {}
    for key, value in os.environ.items():
        if key.startswith("DOTDIGITAL_") and key not in ("DOTDIGITAL_PASSWORD",):
            try:
                settings[key] = json.loads(value)
            except ValueError:
                settings[key] = value
    return settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "example-app-dev-key-change-me"),
        DOTDIGITAL_REDIS_URL=os.environ.get("REDIS_URL"),
    )
    app.config.update(_dotdigital_env())
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", _database_url(app))

    db.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(auth_bp)
    admin = Admin(app, name="Example CRM", index_view=IndexView(url="/admin"),
                  theme=Bootstrap4Theme(base_template="example/admin_base.html", fluid=True))
    admin.add_view(ContactView(Contact, db, name="Contacts", category="CRM",
                               endpoint="crm_contact"))
    admin.add_view(LeadView(Lead, db, name="Leads", category="CRM", endpoint="crm_lead"))
    dotdigital.init_app(app, admin=admin)
    # The logout form in the navbar needs a token from the same session CSRF as the admin forms.
    app.context_processor(lambda: {"logout_csrf_token": lambda: SecureForm().csrf_token.current_token})

    if app.config.get("EXAMPLE_SEED", True):
        with app.app_context():
            db.create_all()
            seed_demo_data()
    return app
