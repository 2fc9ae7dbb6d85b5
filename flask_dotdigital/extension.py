"""The ``DotDigital`` Flask extension: configuration, models, admin screens and CLI.

Follows Flask-SQLAlchemy's shape: options go to the constructor, ``init_app`` wires one app, and
per-app state lives in ``app.extensions["dotdigital"]`` (never on ``self``), so one extension object
serves app factories and several apps in one process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

from .config import apply_defaults, check_production_settings
from .crypto import KeyRing
from .errors import ConfigError
from .integration_types import DOTDIGITAL, IntegrationTypes
from .models import Models, build_models
from .sources import SourceRegistry

Permission = Callable[[Any, str, str], bool]


def default_permission(user: Any, action: str, resource: str) -> bool:
    """Any signed-in user whose ``is_admin`` is truthy may do everything; nobody else anything."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_admin", False))


def templates_folder() -> str:
    """``templates/`` inside an installed wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "dotdigital").is_dir():
            return str(candidate)
    raise ConfigError("flask-dotdigital's templates are missing from this installation.")


@dataclass
class State:
    """What one app knows about the extension: ``app.extensions["dotdigital"]``."""

    ext: DotDigital
    keyring: KeyRing
    admin: Any
    #: the Redis connection for RQ and the sync lock, made on first use (see redis_conn)
    redis: Any = None


class DotDigital:
    """Dotdigital integration for a Flask-Admin host app.

    :param db: the host's Flask-SQLAlchemy instance; the extension's tables are added to it.
    :param admin: the host's ``flask_admin.Admin``; may also be given to ``init_app``.
    :param user_model: the host's user model, owner of integrations and of imported records.
    :param permission: ``permission(user, action, resource) -> bool``; defaults to
        :func:`default_permission`.
    """

    def __init__(self, app: Flask | None = None, *, db: Any, user_model: Any, admin: Any = None,
                 permission: Permission | None = None) -> None:
        if db is None or user_model is None:
            raise ConfigError("DotDigital needs db= (Flask-SQLAlchemy) and user_model=.")
        self.db = db
        self.user_model = user_model
        self.admin = admin
        self.permission: Permission = permission or default_permission
        self.integration_types = IntegrationTypes()
        self.integration_types.register(DOTDIGITAL)
        self.sources = SourceRegistry()
        # Built here, not in init_app, so that the host's db.create_all() sees the tables.
        self.models: Models = build_models(db, user_model)
        from .tracking import ChangeTracker

        self.tracker = ChangeTracker(self)
        self.tracker.install(db.session)
        if app is not None:
            self.init_app(app)

    def register_entity(self, model: Any, *, email: str = "email", label: str | None = None,
                        owner: str | None = None, exclude: Any = (), key: str | None = None,
                        virtual: Any = None) -> Any:
        """Declare a host model that holds contacts; ``email`` may be a to-one path (``account.email``).

        Marketing lists and data field mappings offer its columns and to-one relation paths.
        ``virtual`` adds values computed in Python, ``{"name": ("string", lambda record: ...)}``:
        mappings may use them; the daily force sync re-exports them (``DOTDIGITAL_FORCE_SYNC``).
        """
        return self.sources.register(model, email=email, label=label, owner=owner, exclude=exclude,
                                     key=key, virtual=virtual)

    def segment(self, name: str, *, entity: Any) -> Callable[[Any], Any]:
        """Decorator: a named query over ``entity`` for segment marketing lists.

        The function receives a ``select(entity_id, email)`` over the entity and returns it
        filtered (joins allowed)::

            @dotdigital.segment("London customers", entity=Contact)
            def london(query):
                return query.where(Contact.city == "London")
        """
        source = next((s for s in self.sources if s.model is entity), None)
        if source is None:
            raise ConfigError(f"Register {entity.__name__} with register_entity() before its segments.")

        def register(func: Any) -> Any:
            source.segments[name] = func
            return func

        return register

    def permission_handler(self, func: Permission) -> Permission:
        """Decorator form of the ``permission=`` option."""
        self.permission = func
        return func

    def init_app(self, app: Flask, *, admin: Any = None) -> None:
        if "dotdigital" in app.extensions:
            raise RuntimeError(
                "flask-dotdigital is already initialised on this app. Call init_app once per app "
                "(create one DotDigital and call init_app(app) inside your app factory).")
        apply_defaults(app.config)
        check_production_settings(app)
        admin = admin if admin is not None else self.admin
        state = State(ext=self, keyring=KeyRing.from_config(app.config), admin=admin)
        app.extensions["dotdigital"] = state
        app.register_blueprint(Blueprint("dotdigital", __name__, template_folder=templates_folder()))
        from .sso import SQLAlchemyStorage, make_sso_blueprint

        app.register_blueprint(make_sso_blueprint(
            url_prefix=app.config["DOTDIGITAL_SSO_URL_PREFIX"],
            storage=SQLAlchemyStorage(self.db, self.models.OAuthToken)))
        from .cli import dotdigital_cli

        app.cli.add_command(dotdigital_cli)
        if admin is not None:
            self._add_admin_views(app, admin)

    def _add_admin_views(self, app: Flask, admin: Any) -> None:
        from .admin.data_fields import DataFieldView
        from .admin.email_studio import EmailStudioView
        from .admin.integrations import IntegrationView
        from .admin.mappings import DataFieldMappingView
        from .admin.marketing import AccountsView
        from .admin.marketing_lists import MarketingListView
        from .admin.records import ActivityView, AddressBookView, CampaignView, ContactView
        from .admin.sync_runs import SyncRunView

        if any(getattr(v, "endpoint", None) == "dotdigital_integration" for v in admin._views):
            return  # this Admin already carries our views (one Admin shared by several apps)
        system = app.config["DOTDIGITAL_SYSTEM_CATEGORY"]
        marketing = app.config["DOTDIGITAL_MARKETING_CATEGORY"]
        admin.add_category(system)
        admin.add_sub_category("Integrations", system)
        admin.add_category(marketing)
        admin.add_sub_category("dotdigital", marketing)
        admin.add_view(IntegrationView(
            self.models.Integration, self.db, integration_types=self.integration_types,
            name="Manage Integrations", category="Integrations",
            endpoint="dotdigital_integration", url="integrations"))
        admin.add_view(EmailStudioView(  # first in Marketing → dotdigital, as in Oro
            db=self.db, integration_model=self.models.Integration, name="Email Studio",
            category="dotdigital", endpoint="dotdigital_email_studio", url="dotdigital/email-studio"))
        admin.add_view(AccountsView(
            db=self.db, integration_model=self.models.Integration, name="Accounts",
            category="dotdigital", endpoint="dotdigital_accounts", url="dotdigital/accounts"))
        m, db = self.models, self.db
        admin.add_view(MarketingListView(
            m.MarketingList, db, ext=self, name="Marketing Lists", category=marketing,
            endpoint="dotdigital_marketing_lists", url="marketing-lists"))
        admin.add_view(SyncRunView(
            m.SyncRun, db, integration_model=m.Integration, name="Sync Runs", category="Integrations",
            endpoint="dotdigital_sync_runs", url="integrations/sync-runs"))
        records = {"category": "dotdigital", "integration_model": m.Integration}
        admin.add_view(AddressBookView(
            m.AddressBook, db, name="Address Books", endpoint="dotdigital_address_books",
            url="dotdigital/address-books", **records))
        admin.add_view(ContactView(
            m.Contact, db, membership_model=m.AddressBookContact, address_book_model=m.AddressBook,
            name="Contacts", endpoint="dotdigital_contacts", url="dotdigital/contacts", **records))
        admin.add_view(CampaignView(
            m.Campaign, db, summary_model=m.CampaignSummary, name="Campaigns",
            endpoint="dotdigital_campaigns", url="dotdigital/campaigns", **records))
        admin.add_view(ActivityView(
            m.Activity, db, campaign_model=m.Campaign, name="Activities",
            endpoint="dotdigital_activities", url="dotdigital/activities", **records))
        admin.add_view(DataFieldMappingView(
            m.DataFieldMapping, db, models=m, sources=self.sources, name="Data Field Mappings",
            category="dotdigital", endpoint="dotdigital_data_field_mappings",
            url="dotdigital/data-field-mappings"))
        admin.add_view(DataFieldView(
            m.DataField, db, name="Data Fields", endpoint="dotdigital_data_fields",
            url="dotdigital/data-fields", **records))
