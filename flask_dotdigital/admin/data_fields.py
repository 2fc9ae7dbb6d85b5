"""Marketing → dotdigital → Data Fields: the grid, Create dotdigital Data Field, Synchronize, Delete.

Oro's Data Fields screens (§3.3). Dotdigital owns the fields, so every change goes to Dotdigital
first and is saved here only once Dotdigital has accepted it: create posts the field, delete removes
it there (Dotdigital refuses fields that are in use or belong to the system, and its reason is
shown). The API has no update call, so only the local Notes can be edited.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from redis.exceptions import RedisError
from sqlalchemy import func
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Regexp, StopValidation, ValidationError
from wtforms.widgets import DateInput, NumberInput

from ..api import data_fields as api
from ..connection import client_for
from ..errors import ApiError, AuthError, ConfigError, DotDigitalError, NotFound, TransportError
from ..models.enums import DataFieldType, DataFieldVisibility, coerce
from .access import ModelAccessMixin
from .integrations import CsrfOnlyForm
from .marketing import DotdigitalGroupMixin
from .records import integration_filter, integration_name, only_integration_name, when

# Oro's validation messages (§1.10, §3.3), with Oro's "alphnumeric" typo corrected.
BLANK = "This value should not be blank."
TOO_LONG = "This value is too long. It should have 20 characters or less."
NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
NAME_FORMAT = "Must consist of alphanumeric characters only, with hyphens and underscores if required"
NAME_TAKEN = "Field with such name already exists in this dotdigital integration"
NOT_NUMERIC = "Default value must be numeric."
WRONG_TYPE = "Default value doesn't match the field's type."
CREATE_FAILED = "Failed to create field in dotdigital: {}"
UNREACHABLE = "Unable to connect to dotdigital: {}"
SCHEDULED = "Data fields scheduled to synchronize with dotdigital"
EDIT_NOTE = ("Dotdigital's API cannot change a data field: delete it and create it again to change "
             "anything but the notes.")

#: Errors that mean Dotdigital could not be asked at all, rather than that it said no.
UNREACHABLE_ERRORS = (TransportError, AuthError, ConfigError)

TYPES = [(t.value, t.value) for t in DataFieldType]
VISIBILITIES = [(v.value, v.value) for v in DataFieldVisibility]
YES_NO = [("", ""), ("Yes", "Yes"), ("No", "No")]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


@contextmanager
def api_client(integration: Any) -> Iterator[Any]:
    """A client for one integration, its HTTP session closed afterwards."""
    client = client_for(integration)
    try:
        yield client
    finally:
        client.session.close()


def numeric(text: str) -> int | float:
    """A typed number as JSON can carry it; raises ValueError when it is not a finite number."""
    try:
        number = Decimal(text)
    except InvalidOperation as err:
        raise ValueError(text) from err
    if not number.is_finite():
        raise ValueError(text)
    return int(number) if number == number.to_integral_value() else float(number)


def stored_default(kind: DataFieldType, value: Any) -> str | None:
    """Dotdigital's default as Oro stores it: a string, Booleans "Yes"/"No", dates as YYYY-MM-DD."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or value == "" or value == "null":
        return None
    if kind == DataFieldType.Boolean:
        return "Yes" if str(value).lower() in {"true", "1", "yes"} else "No"
    if kind == DataFieldType.Date:
        return str(value)[:10]
    if kind == DataFieldType.Numeric and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class DataFieldForm(SecureForm):
    """Create dotdigital Data Field. The default value has one input per type; the page shows the
    one that matches Type, and the server reads only that one."""

    integration_id = SelectField("Integration", coerce=int, validators=[InputRequired(BLANK)])
    name = StringField("Name", filters=[_strip], validators=[
        InputRequired(BLANK), Length(max=20, message=TOO_LONG), Regexp(NAME_PATTERN, message=NAME_FORMAT)])
    type = SelectField("Type", choices=TYPES, default=DataFieldType.String.value,
                       validators=[InputRequired(BLANK)])
    visibility = SelectField("Visibility", choices=VISIBILITIES, default=DataFieldVisibility.Private.value,
                             validators=[InputRequired(BLANK)])
    default_string = StringField("Default Value", filters=[_strip])
    default_numeric = StringField("Default Value", filters=[_strip], widget=NumberInput(step="any"))
    default_date = StringField("Default Value", filters=[_strip], widget=DateInput())
    default_boolean = SelectField("Default Value", choices=YES_NO, validate_choice=False)
    notes = TextAreaField("Notes")

    #: set by the view: ``name_taken(integration_id, name) -> bool``
    name_taken: Any = None
    #: Dotdigital's answer to the create call, once it accepted the field
    created: dict[str, Any] | None = None

    def current_type(self) -> str:
        return self.type.data if self.type.data in DataFieldType.__members__ else DataFieldType.String.value

    def default_fields(self) -> list[tuple[str, Any]]:
        return [(DataFieldType.String.value, self.default_string),
                (DataFieldType.Numeric.value, self.default_numeric),
                (DataFieldType.Date.value, self.default_date),
                (DataFieldType.Boolean.value, self.default_boolean)]

    def api_default(self) -> Any:
        """The default value of the chosen type, as Dotdigital takes it (None when left blank)."""
        kind = DataFieldType(self.current_type())
        raw = dict(self.default_fields())[kind.value].data
        if raw in (None, ""):
            return None
        if kind == DataFieldType.Numeric:
            return numeric(raw)
        if kind == DataFieldType.Date:
            return date.fromisoformat(raw)  # the api module sends it in Dotdigital's date form
        if kind == DataFieldType.Boolean:
            return raw == "Yes"
        return raw

    # Inline validators: each default input is checked only when it is the one in use.

    def validate_name(self, field: Any) -> None:
        if field.errors or not field.data or self.name_taken is None:
            return
        integration_id = self.integration_id.data
        if isinstance(integration_id, int) and self.name_taken(integration_id, field.data):
            raise ValidationError(NAME_TAKEN)

    def validate_default_string(self, field: Any) -> None:
        if self.current_type() == DataFieldType.String and field.data and len(field.data) > 255:
            raise ValidationError("This value is too long. It should have 255 characters or less.")

    def validate_default_numeric(self, field: Any) -> None:
        if self.current_type() == DataFieldType.Numeric and field.data:
            try:
                numeric(field.data)
            except ValueError:
                raise StopValidation(NOT_NUMERIC) from None

    def validate_default_date(self, field: Any) -> None:
        if self.current_type() == DataFieldType.Date and field.data:
            try:
                date.fromisoformat(field.data)
            except ValueError:
                raise StopValidation(WRONG_TYPE) from None

    def validate_default_boolean(self, field: Any) -> None:
        if self.current_type() == DataFieldType.Boolean and field.data not in ("", None, "Yes", "No"):
            raise StopValidation(WRONG_TYPE)


class NotesForm(SecureForm):
    """Edit: Dotdigital cannot update a field, so Notes (kept only here) is all there is to change."""

    notes = TextAreaField("Notes")


def _details_when(view: Any, context: Any, model: Any, name: str) -> str:
    return when(getattr(model, name))


class DataFieldView(DotdigitalGroupMixin, ModelAccessMixin, ModelView):
    resource = "data_field"
    view_actions = {"synchronize": "create"}
    edit_note = EDIT_NOTE

    form_base_class = SecureForm
    list_template = "dotdigital/data_field/list.html"
    create_template = "dotdigital/data_field/create.html"
    edit_template = "dotdigital/data_field/edit.html"
    can_view_details = True
    # Bulk delete would skip Dotdigital; each field is deleted on its own, Dotdigital first.
    action_disallowed_list = ["delete"]
    named_filter_urls = True
    column_auto_select_related = False
    column_display_pk = False

    column_list = ["integration", "name", "type", "visibility", "default_value", "notes"]
    column_details_list = ["integration", "name", "type", "visibility", "default_value", "notes",
                           "created_at", "updated_at"]
    column_labels = {"integration": "Integration", "default_value": "Default Value",
                     "created_at": "Created At", "updated_at": "Updated At"}
    column_sortable_list = ["name", "type", "visibility"]
    column_default_sort = "name"
    column_searchable_list = ["name"]
    column_formatters = {"integration": integration_name}
    column_formatters_detail = {"integration": integration_name, "created_at": _details_when,
                                "updated_at": _details_when}

    def __init__(self, model: Any, db: Any, *, integration_model: Any, **kwargs: Any) -> None:
        self.db = db
        self.integration_model = integration_model
        self.column_filters = [integration_filter(db, model, integration_model), "type", "visibility",
                               "name"]
        super().__init__(model, db, **kwargs)

    def get_query(self) -> Any:
        return super().get_query().options(
            only_integration_name(self.model.integration, self.integration_model))

    def sync_token(self) -> str:
        """A CSRF token for the Synchronize button (the grid's delete form exists only for deleters)."""
        return str(CsrfOnlyForm().csrf_token.current_token)

    # -- create -------------------------------------------------------------------------------

    def get_create_form(self) -> Any:
        return DataFieldForm

    def get_edit_form(self) -> Any:
        return NotesForm

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        model = self.integration_model
        query = (self.db.select(model.id, model.name).where(model.type == "dotdigital")
                 .order_by(model.name))
        form.integration_id.choices = [(i, name) for i, name in self.db.session.execute(query)]
        form.name_taken = self._name_taken
        return form

    def _name_taken(self, integration_id: int, name: str) -> bool:
        # Dotdigital upper-cases names and compares them without case: so do we.
        field = self.model
        query = self.db.select(field.id).where(field.integration_id == integration_id,
                                               func.lower(field.name) == name.lower()).limit(1)
        return self.db.session.execute(query).first() is not None

    def validate_form(self, form: Any) -> bool:
        if not super().validate_form(form):
            return False
        if isinstance(form, DataFieldForm):
            return self._create_in_dotdigital(form)
        return True

    def _create_in_dotdigital(self, form: DataFieldForm) -> bool:
        """Dotdigital first: a field it refuses is not saved here."""
        integration = self.db.session.get(self.integration_model, form.integration_id.data)
        try:
            with api_client(integration) as client:
                form.created = api.create_data_field(
                    client, form.name.data, form.current_type(), form.visibility.data, form.api_default())
        except UNREACHABLE_ERRORS as err:
            form.form_errors.append(UNREACHABLE.format(err))
            return False
        except ApiError as err:
            form.form_errors.append(CREATE_FAILED.format(err.message))
            return False
        return True

    def create_model(self, form: Any) -> Any:
        created = form.created or {}
        kind = coerce(DataFieldType, created.get("type"), DataFieldType(form.current_type()))
        assert kind is not None
        sent = form.api_default()
        model = self.model(
            integration_id=form.integration_id.data,
            name=str(created.get("name") or form.name.data),
            type=kind,
            visibility=coerce(DataFieldVisibility, created.get("visibility"),
                              DataFieldVisibility(form.visibility.data)),
            default_value=stored_default(kind, created.get("defaultValue", sent)),
            notes=form.notes.data or None)
        session = self.db.session
        try:
            session.add(model)
            session.commit()
        except Exception as err:  # the field exists in Dotdigital now; say how to get it here
            session.rollback()
            flash(f"The field was created in dotdigital but could not be saved here ({err}). "
                  "Click Synchronize to import it.", "danger")
            return False
        return model

    # -- delete -------------------------------------------------------------------------------

    def delete_model(self, model: Any) -> bool:
        """Delete in Dotdigital first; keep the row when Dotdigital refuses (Flask-Admin wants False)."""
        integration = model.integration
        if integration is not None:
            try:
                with api_client(integration) as client:
                    api.delete_data_field(client, model.name)
            except NotFound:
                pass  # already gone there: remove it here too, as the next sync would
            except UNREACHABLE_ERRORS as err:
                flash(UNREACHABLE.format(err), "danger")
                return False
            except ApiError as err:
                flash(err.message, "danger")
                return False
        return bool(super().delete_model(model))

    # -- Synchronize --------------------------------------------------------------------------

    @expose("/synchronize/", methods=["POST"])
    def synchronize(self) -> Any:
        """Queue a data-field import of every enabled Dotdigital integration (Oro's force flag)."""
        from ..sync.scheduling import request_sync

        back = self.get_url(".index_view")
        if not CsrfOnlyForm(formdata=request.form).validate():
            flash("The form has expired; nothing was scheduled. Please try again.", "danger")
            return redirect(back)
        model = self.integration_model
        query = self.db.select(model.id).where(model.type == "dotdigital", model.enabled.is_(True))
        ids = self.db.session.execute(query).scalars().all()
        if not ids:
            flash("There is no enabled dotdigital integration to synchronize.", "warning")
            return redirect(back)
        try:
            for integration_id in ids:
                request_sync(integration_id, trigger="button", connectors=["datafield"])
        except (DotDigitalError, RedisError, OSError) as err:
            flash(f"Data fields schedule failed: {err}", "danger")
            return redirect(back)
        flash(SCHEDULED, "success")
        return redirect(back)
