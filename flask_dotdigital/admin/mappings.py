"""Marketing → dotdigital → Data Field Mappings: the grid and the mapping editor (Oro §3.4).

The editor's rows live in the page; a small script writes them into the hidden ``config_source``
field as Oro's JSON before submitting. The server is the source of truth: it reads that JSON,
checks every row with :mod:`flask_dotdigital.mappings`, shows each problem with its row number,
and merges the rows into the stored ones. The rows are rendered by the server too, so the page
shows them without JavaScript. Saving or deleting a mapping sends the source's members again.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.form import SecureForm
from sqlalchemy.orm import load_only, selectinload
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from .. import mappings as rules
from .access import ModelAccessMixin
from .marketing import DotdigitalGroupMixin
from .records import LazyOptions, integration_filter, integration_name, only_integration_name

try:  # WTForms >= 3.3 deprecates tuple choices
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None  # type: ignore[assignment,misc]

PRIORITY_HELP = "When a contact is in several entities, the mapping with the higher priority wins"
TWO_WAY_HELP = "Two way sync is possible only for a single field of the entity itself"


def _choices(pairs: list[tuple[str, str]]) -> list[Any]:
    if SelectChoice is None:
        return pairs
    return [SelectChoice(value, label) for value, label in pairs]


def _optional_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


class ConfigSourceField(HiddenField):
    """Oro's ``config_source``: the rows as JSON. Saved by the view, not copied onto the mapping."""

    def populate_obj(self, obj: Any, name: str) -> None:
        return None


class MappingForm(SecureForm):
    integration_id = SelectField("Integration", coerce=_optional_int,
                                 validators=[InputRequired(rules.NOT_BLANK)])
    entity = SelectField("Entity", validators=[InputRequired(rules.NOT_BLANK)])
    sync_priority = IntegerField("Sync Priority", default=0, description=PRIORITY_HELP,
                                 validators=[Optional(), NumberRange(min=-(2**31), max=2**31 - 1)])
    config_source = ConfigSourceField("Mapping Configuration")


class DataFieldMappingView(DotdigitalGroupMixin, ModelAccessMixin, ModelView):
    resource = "data_field_mapping"
    view_actions = {"fields": "view"}
    two_way_help = TWO_WAY_HELP

    form = MappingForm
    form_base_class = SecureForm
    create_template = "dotdigital/mapping/create.html"
    edit_template = "dotdigital/mapping/edit.html"
    can_view_details = False
    named_filter_urls = True
    column_auto_select_related = False

    column_list = ["integration", "entity", "sync_priority", "rows"]
    column_labels = {"integration": "Integration", "entity": "Entity", "sync_priority": "Sync Priority",
                     "rows": "Rows"}
    column_sortable_list = ["entity", "sync_priority"]
    column_default_sort = "entity"

    def __init__(self, model: Any, db: Any, *, models: Any, sources: Any, **kwargs: Any) -> None:
        self.db = db
        self.models = models
        self.sources = sources
        self.integration_model = models.Integration
        self.column_formatters = {
            "integration": integration_name,
            "entity": lambda v, c, m, p: self.entity_label(m.entity),
            "rows": lambda v, c, m, p: len(m.configs),
        }
        self.column_filters = [
            integration_filter(db, model, models.Integration),
            FilterEqual(model.entity, "Entity", options=LazyOptions(sources.choices)),
        ]
        super().__init__(model, db, **kwargs)

    def get_query(self) -> Any:
        return super().get_query().options(
            only_integration_name(self.model.integration, self.integration_model),
            selectinload(self.model.configs).options(load_only(self.models.DataFieldMappingConfig.id)))

    def entity_label(self, key: str) -> str:
        return self.sources.get(key).label if key in self.sources else key

    # -- form ---------------------------------------------------------------------------------

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        form.mapping_id = None
        form.previous = None
        return self._prepare(form)

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        form.mapping_id = obj.id if obj is not None else None
        form.previous = (obj.integration_id, obj.entity) if obj is not None else None
        if obj is not None and request.method != "POST":
            form.config_source.data = rules.config_source(obj.configs)
        return self._prepare(form)

    def _prepare(self, form: Any) -> Any:
        integration = self.integration_model
        found = self.db.session.execute(
            self.db.select(integration.id, integration.name)
            .where(integration.type == "dotdigital").order_by(integration.name)).all()
        form.integration_id.choices = _choices(
            [("", "Choose an integration…")] + [(str(i), name) for i, name in found])
        if form.integration_id.data is None and len(found) == 1 and request.method != "POST":
            form.integration_id.data = found[0][0]
        entities = [("", "Choose an entity…"), *self.sources.choices()]
        if form.entity.data and form.entity.data not in self.sources:
            entities.append((form.entity.data, form.entity.data))  # a source the app no longer registers
        form.entity.choices = _choices(entities)
        form.row_errors = []
        form.config_errors = []
        return form

    def validate_form(self, form: Any) -> bool:
        valid = super().validate_form(form)
        if not hasattr(form, "config_source") or request.method != "POST":
            return valid  # the delete form carries only a CSRF token
        entity, integration_id = form.entity.data, form.integration_id.data
        if entity and entity not in self.sources:
            form.entity.errors.append(f"{entity} is not a registered contact source.")
            return False
        if not entity or integration_id is None:
            return False
        if rules.mapping_exists(self.db, self.models, integration_id, entity, form.mapping_id):
            form.entity.errors.append(rules.MAPPING_EXISTS)
            valid = False
        try:
            submitted = rules.parse_config_source(form.config_source.data)
        except (ValueError, TypeError, AttributeError):
            form.config_errors.append(rules.BAD_SOURCE)
            return False
        form.mapping_rows = self._rows(integration_id, submitted)
        form.row_errors = rules.check_mapping(self.sources.get(entity), form.mapping_rows)
        form.config_errors.extend(str(error) for error in form.row_errors)
        return valid and not form.row_errors

    def _rows(self, integration_id: int, submitted: list[dict[str, Any]]) -> list[rules.MappingRow]:
        """The submitted rows with their DataField rows; a data field of another integration is none."""
        field = self.models.DataField
        ids = {row["data_field_id"] for row in submitted if row["data_field_id"] is not None}
        data_fields = {f.id: f for f in self.db.session.execute(self.db.select(field).where(
            field.id.in_(ids), field.integration_id == integration_id)).scalars()} if ids else {}
        return [rules.MappingRow(row["entity_fields"], data_fields.get(row["data_field_id"]),
                                 row["two_way"], row["id"]) for row in submitted]

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if model.sync_priority is None:
            model.sync_priority = 0
        changed = rules.apply_rows(model, form.mapping_rows, self.models.DataFieldMappingConfig)
        now = (model.integration_id, model.entity)
        if form.previous is not None and form.previous != now:
            rules.mark_for_reexport(self.db, self.models, *form.previous)  # the old one is gone
            changed = True
        if changed:
            rules.mark_for_reexport(self.db, self.models, *now)

    def on_model_delete(self, model: Any) -> None:
        rules.mark_for_reexport(self.db, self.models, model.integration_id, model.entity)

    # -- the editor ------------------------------------------------------------------------------

    def editor(self, form: Any) -> dict[str, Any]:
        """What the Mapping Configuration editor shows: choices, rows, and each row's problems."""
        options = self.options(form.entity.data, form.integration_id.data)
        try:
            rows = rules.parse_config_source(form.config_source.data)
        except (ValueError, TypeError, AttributeError):
            rows = []
        problems: dict[int, list[str]] = {}
        for error in form.row_errors:
            problems.setdefault(error.row, []).append(error.message)
        for number, row in enumerate(rows, start=1):
            row["number"], row["errors"] = number, problems.get(number, [])
        return {"options": options, "rows": rows, "errors": form.config_errors}

    def options(self, entity: str | None, integration_id: int | None) -> dict[str, Any]:
        fields = []
        if entity and entity in self.sources:
            fields = [{"path": f.path, "label": f.label, "type": f.type, "direct": f.direct}
                      for f in self.sources.get(entity).fields()]
        data_fields = []
        if integration_id is not None:
            field = self.models.DataField
            found = self.db.session.execute(self.db.select(field).where(
                field.integration_id == integration_id).order_by(field.name)).scalars()
            data_fields = [{"id": f.id, "name": f.name, "type": str(f.type)} for f in found]
        return {"fields": fields, "dataFields": data_fields}

    @expose("/fields")
    def fields(self) -> Any:
        """The chosen entity's fields and the chosen integration's data fields, for the editor."""
        entity = request.args.get("entity") or None
        if entity is not None and entity not in self.sources:
            return jsonify(message=f"{entity} is not a registered contact source."), 404
        try:
            integration_id = _optional_int(request.args.get("integration"))
        except ValueError:
            return jsonify(message="integration must be an id."), 400
        return jsonify(self.options(entity, integration_id))

