"""Marketing → dotdigital: the menu group that appears once a Dotdigital integration exists.

Oro hides the group until an integration of its type is configured (NavigationListener, §3); the
views here do the same through ``is_visible``. The Accounts page lists the connected accounts;
Email Studio, Data Fields and Data Field Mappings join this group in later releases.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_admin import BaseView, expose

from .access import AccessMixin, allowed


class DotdigitalGroupMixin(AccessMixin):
    """Visible only when the user may see it and a Dotdigital integration exists."""

    resource = "dotdigital"
    integration_model: Any = None
    db: Any = None

    def is_visible(self) -> bool:
        return allowed("view", self.resource) and self._integration_exists()

    def _integration_exists(self) -> bool:
        # The menu asks every entry of the group on every page: ask the database once a request.
        # The WSGI environ, not g: tests and CLI scripts reuse one app context for many requests.
        key = "flask_dotdigital.integration_exists"
        if has_request_context() and key in request.environ:
            return bool(request.environ[key])
        model = self.integration_model
        query = self.db.select(model.id).where(model.type == "dotdigital").limit(1)
        exists = self.db.session.execute(query).first() is not None
        if has_request_context():
            request.environ[key] = exists
        return exists


class AccountsView(DotdigitalGroupMixin, BaseView):
    """The Dotdigital accounts behind the configured integrations."""

    def __init__(self, *, db: Any, integration_model: Any, **kwargs: Any) -> None:
        self.db = db
        self.integration_model = integration_model
        super().__init__(**kwargs)

    @expose("/")
    def index(self) -> Any:
        model = self.integration_model
        query = self.db.select(model).where(model.type == "dotdigital").order_by(model.name)
        integrations = self.db.session.execute(query).scalars().all()
        return self.render("dotdigital/accounts.html", integrations=integrations,
                           can_edit=allowed("edit", "integration"))
