"""System → Integrations → Manage Integrations: the grid, Create Integration and Check connection.

Worded and ordered as Oro's admin guide (seed: "Create Integration on the Oro Application Side").
Saving runs region discovery when the credentials changed, so the endpoint and account name are
known before the first sync; bad credentials are refused on the form with Dotdigital's own message.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, jsonify, request
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from flask_admin.model.template import TemplateLinkRowAction
from wtforms import SelectField
from wtforms.validators import DataRequired, Email, InputRequired, Length

from ..connection import check_credentials
from ..errors import ApiError, AuthError, ConfigError
from ..sync.status import latest_run
from .access import ModelAccessMixin, allowed, deny
from .forms import (
    CheckConnectionField,
    OAuthDomain,
    OptionalLength,
    RequiredOnCreate,
    SecretField,
    optional_on_edit,
)
from .integration_sync import SyncActionsMixin, status_badge

log = logging.getLogger("flask_dotdigital.admin")

CONNECTION_SUCCESSFUL = "Connection Successful"


class CsrfOnlyForm(SecureForm):
    """Validates the CSRF token of the JSON endpoints with the same session secret as the forms."""


class IntegrationView(SyncActionsMixin, ModelAccessMixin, ModelView):
    resource = "integration"
    view_actions = {"check_connection": "check_connection", "schedule_sync": "sync",
                    "sync_status": "view"}

    form_base_class = SecureForm
    list_template = "dotdigital/integration/list.html"
    create_template = "dotdigital/integration/create.html"
    edit_template = "dotdigital/integration/edit.html"
    can_view_details = False

    column_list = ["name", "type", "enabled", "default_owner", "last_sync_status"]
    column_extra_row_actions = [TemplateLinkRowAction("dd_row.schedule_sync", "Schedule Sync")]
    column_labels = {
        "username": "Username",
        "password": "Password",
        "client_id": "Client ID",
        "client_secret": "Client Secret key",
        "custom_oauth_domain": "Custom OAuth Domain",
        "default_owner": "Default Owner",
        "last_sync_status": "Last sync status",
    }
    column_sortable_list = ["name", "type", "enabled"]
    column_searchable_list = ["name"]
    column_default_sort = "name"

    form_columns = ["type", "name", "username", "password", "check_connection", "client_id",
                    "client_secret", "custom_oauth_domain", "default_owner", "enabled"]

    def __init__(self, model: Any, db: Any, *, integration_types: Any, **kwargs: Any) -> None:
        self.db = db
        self.integration_types = integration_types
        self.column_formatters = {
            "type": lambda v, c, m, p: integration_types.label(m.type),
            "last_sync_status": lambda v, c, m, p: status_badge(latest_run(m.id)),
        }
        self.form_extra_fields = self._extra_fields()
        self.form_args = self._form_args()
        super().__init__(model, db, **kwargs)

    # -- form ---------------------------------------------------------------------------------

    def _extra_fields(self) -> dict[str, Any]:
        return {
            "type": SelectField("Type", choices=self.integration_types.choices(),
                                validators=[InputRequired()]),
            "password": SecretField(
                "Password",
                validators=[RequiredOnCreate(), OptionalLength(
                    min=8, max=255, message="The password must have at least 8 and at most "
                                            "255 characters.")],
                description="The password you set for the API user on the Dotdigital side."),
            "check_connection": CheckConnectionField(""),
            "client_secret": SecretField(
                "Client Secret key", validators=[OptionalLength(max=255)],
                description="The pre-shared client secret, used to authenticate your application "
                            "when making token requests. Leave blank to keep the stored key."),
        }

    @staticmethod
    def _form_args() -> dict[str, Any]:
        return {
            "name": {"validators": [DataRequired(), Length(max=255)],
                     "description": "The integration name to refer to within the system."},
            "username": {
                "validators": [DataRequired(), Length(max=255),
                               Email(message="Enter the API user's email address, as shown on "
                                             "Dotdigital's Manage users page.")],
                "description": "An API user name from your Dotdigital Manage users page "
                               "(an email address such as apiuser-1a2b@apiconnector.com)."},
            "client_id": {
                "validators": [Length(max=255)],
                "description": "The ID of your OAuth 2.0 client, for single sign-on into Email "
                               "Studio (needs a Dotdigital Enterprise licence)."},
            "custom_oauth_domain": {
                "validators": [OAuthDomain()],
                "description": "Enter a custom domain if it is used in Dotdigital. By default "
                               "https://r1-app.dotdigital.com/ is used."},
            "default_owner": {
                "description": "The owner of all records imported within the integration."},
        }

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.is_create = True
        form.check_connection.check_url = self.get_url(".check_connection")
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        form.is_create = False
        optional_on_edit(form.password)
        form.integration_id = obj.id if obj is not None else None
        form.check_connection.check_url = self.get_url(".check_connection")
        return form

    def validate_form(self, form: Any) -> bool:
        if not super().validate_form(form):
            return False
        if not hasattr(form, "is_create"):
            return True  # the delete and action forms carry only a CSRF token
        return self._discover_on_save(form)

    def _discover_on_save(self, form: Any) -> bool:
        """Refuse credentials Dotdigital rejects; remember the account they belong to."""
        existing = self._existing(getattr(form, "integration_id", None))
        password = form.password.data or (existing.password if existing else "")
        unchanged = (existing is not None and not form.password.data
                     and existing.username == form.username.data and existing.api_endpoint)
        form.credentials_changed = not unchanged
        if unchanged:
            return True
        try:
            form.account_info = check_credentials(form.username.data, password or "")
        except AuthError as err:
            form.password.errors = [*form.password.errors, err.message]
            return False
        except (ApiError, ConfigError) as err:
            # Dotdigital is down or unreachable: keep the settings, discover at the first sync.
            flash(f"Saved without checking the connection: {err}", "warning")
        return True

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        info = getattr(form, "account_info", None)
        if info is not None:
            model.api_endpoint = info.api_endpoint
            model.account_name = info.name
        elif getattr(form, "credentials_changed", False):
            # New credentials that could not be checked: forget the old account, rediscover later.
            model.api_endpoint = None
            model.account_name = None

    def _existing(self, integration_id: Any) -> Any:
        if integration_id in (None, ""):
            return None
        try:
            return self.db.session.get(self.model, int(integration_id))
        except (TypeError, ValueError):
            return None

    # -- Check connection -----------------------------------------------------------------------

    @expose("/check-connection/", methods=["POST"])
    def check_connection(self) -> Any:
        """Try the credentials typed in the form; save nothing."""
        csrf = CsrfOnlyForm(formdata=request.form)
        if not csrf.validate():
            return jsonify(ok=False, message="The form has expired; reload the page and retry."), 400
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        if not password:
            existing = self._existing(request.form.get("id"))
            if existing is not None:
                if not allowed("edit", self.resource):
                    return deny()
                password = existing.password or ""
        if not username or not password:
            return jsonify(ok=False, message="Enter the Username and Password first."), 400
        try:
            info = check_credentials(username, password)
        except (ApiError, ConfigError) as err:
            log.info("Check connection failed for %s: %s", username, err)
            return jsonify(ok=False, message=str(err))
        return jsonify(ok=True, message=CONNECTION_SUCCESSFUL, account_name=info.name)
