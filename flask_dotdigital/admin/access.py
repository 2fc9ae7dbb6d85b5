"""The one access rule every admin screen of the extension goes through.

Each view names its ``resource``; each request is mapped to an ``action`` (view, create, edit,
delete, or a custom one). The extension's ``permission(user, action, resource)`` hook decides.
Anonymous users go to the host's Flask-Login login view; signed-in users without permission get 403.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, has_request_context
from flask_admin import BaseView
from flask_login import current_user

#: Flask-Admin's own view functions and the permission action each one needs.
BUILTIN_ACTIONS = {
    "index": "view",
    "index_view": "view",
    "details_view": "view",
    "ajax_lookup": "view",
    "export": "view",
    "create_view": "create",
    "edit_view": "edit",
    "ajax_update": "edit",
    "action_view": "edit",
    "delete_view": "delete",
}


def allowed(action: str, resource: str) -> bool:
    """Whether the current user may do ``action`` on ``resource``."""
    if not has_request_context():
        return False
    state = current_app.extensions["dotdigital"]
    return bool(state.ext.permission(current_user, action, resource))


def deny() -> Any:
    """Send anonymous users to log in; refuse everybody else with 403."""
    if not current_user.is_authenticated:
        login_manager = getattr(current_app, "login_manager", None)
        if login_manager is not None:
            return login_manager.unauthorized()
    abort(403)


class AccessMixin(BaseView):
    """Mixed into every admin view of the extension."""

    resource: str = "dotdigital"
    #: custom view functions of the subclass and the action each one needs
    view_actions: dict[str, str] = {}

    def action_for(self, name: str) -> str:
        return self.view_actions.get(name) or BUILTIN_ACTIONS.get(name, "view")

    def is_accessible(self) -> bool:
        return allowed("view", self.resource)

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        if not allowed(self.action_for(name), self.resource):
            return deny()
        return None

    def is_visible(self) -> bool:
        return allowed("view", self.resource)


class ModelAccessMixin(AccessMixin):
    """Adds per-action buttons: Flask-Admin shows Create/Edit/Delete only where they are allowed."""

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return allowed("create", self.resource)

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return allowed("edit", self.resource)

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return allowed("delete", self.resource)
