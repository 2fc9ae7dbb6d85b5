"""The example CRM's own admin screens (Contacts, Leads) and its admin index."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_login import current_user

from .auth import login_manager


class AdminOnly:
    """The CRM's own rule for its screens: admins only (the extension has its own hook)."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.is_admin)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        abort(403)


class IndexView(AdminIndexView):
    @expose("/")
    def index(self) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return self.render("example/index.html")


class CrmModelView(AdminOnly, ModelView):
    form_base_class = SecureForm
    page_size = 25


class ContactView(CrmModelView):
    column_list = ["first_name", "last_name", "email", "company", "city", "owner"]
    column_searchable_list = ["first_name", "last_name", "email", "company"]
    form_excluded_columns = ["updated_at"]


class LeadView(CrmModelView):
    column_list = ["name", "email", "source", "status", "owner"]
    column_searchable_list = ["name", "email"]
    form_excluded_columns = ["updated_at"]
