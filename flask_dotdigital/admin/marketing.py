"""Marketing → dotdigital: the menu group that appears once a Dotdigital integration exists.

Oro hides the group until an integration of its type is configured (NavigationListener, §3); the
views here do the same through ``is_visible``. The Accounts page lists the connected accounts;
Email Studio, Data Fields and Data Field Mappings join this group in later releases.
"""

from __future__ import annotations

from typing import Any

from flask_admin import BaseView, expose

from .access import AccessMixin, allowed


class DotdigitalGroupMixin(AccessMixin):
    """Visible only when the user may see it and a Dotdigital integration exists."""

    resource = "dotdigital"
    integration_model: Any = None
    db: Any = None

    def is_visible(self) -> bool:
        if not allowed("view", self.resource):
            return False
        model = self.integration_model
        query = self.db.select(model.id).where(model.type == "dotdigital").limit(1)
        return self.db.session.execute(query).first() is not None


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
