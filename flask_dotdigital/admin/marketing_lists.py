"""Marketing → Marketing Lists: lists of host records, and their link to a Dotdigital address book.

The list's page previews its members, manages static members, and carries Oro's dotdigital
controls: Connect to dotdigital (a dialog that picks or creates an address book), then Synchronize,
Refresh Data Fields, Connection Settings and Disconnect, with the status line Oro shows.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, current_app, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import SecureForm
from markupsafe import Markup
from sqlalchemy import delete, func, select, update
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..errors import ConfigError
from ..labels import address_book_sync_status
from ..marketing_lists import OPERATORS, members_query, validate_definition
from ..models.enums import MarketingListType
from .access import ModelAccessMixin, allowed, deny
from .list_connection import ConnectionActions

TYPE_LABELS = {"dynamic": "Dynamic", "static": "Static", "segment": "Segment"}
PREVIEW_SIZE = 50


class DefinitionCheck:
    """Validates the conditions (dynamic) or the segment (segment) against the chosen entity."""

    def __call__(self, form: Any, field: Any) -> None:
        sources = current_app.extensions["dotdigital"].ext.sources
        if form.entity.data not in sources:
            return
        try:
            validate_definition(form.type.data, definition_of(form), sources.get(form.entity.data))
        except ConfigError as err:
            raise ValidationError(str(err)) from err


def definition_of(form: Any) -> Any:
    if form.type.data == MarketingListType.dynamic:
        try:
            return json.loads(form.conditions.data or "{}")
        except ValueError as err:
            raise ConfigError("The conditions could not be read; please build them again.") from err
    if form.type.data == MarketingListType.segment:
        return form.segment.data
    return None


class MarketingListView(ConnectionActions, ModelAccessMixin, ModelView):
    resource = "marketing_list"
    view_actions = {"connect": "edit", "synchronize": "edit", "refresh_data_fields": "edit",
                    "sync_status": "view",
                    "disconnect": "edit", "add_member": "edit", "remove_member": "edit"}
    form_base_class = SecureForm
    can_view_details = True
    details_template = "dotdigital/marketing_list/details.html"
    create_template = "dotdigital/marketing_list/edit.html"
    edit_template = "dotdigital/marketing_list/edit.html"
    column_list = ["name", "entity", "type", "address_book"]
    column_labels = {"address_book": "dotdigital address book"}
    column_searchable_list = ["name"]
    column_default_sort = "name"

    def __init__(self, model: Any, db: Any, *, ext: Any, **kwargs: Any) -> None:
        self.db, self.ext = db, ext
        self.column_formatters = {
            "entity": lambda v, c, m, p: self._source_label(m.entity),
            "type": lambda v, c, m, p: TYPE_LABELS.get(str(m.type), m.type),
            "address_book": lambda v, c, m, p: m.address_book.name if m.address_book else "—",
        }
        super().__init__(model, db, **kwargs)

    def _source_label(self, key: str) -> str:
        return self.ext.sources.get(key).label if key in self.ext.sources else key

    def scaffold_form(self) -> Any:
        sources = self.ext.sources

        class MarketingListForm(SecureForm):
            name = StringField("Name", validators=[DataRequired(), Length(max=255)])
            entity = SelectField("Entity", choices=sources.choices(), validators=[DataRequired()],
                                 description="The records this list is made of.")
            type = SelectField("Type", choices=list(TYPE_LABELS.items()), default="dynamic",
                               description="Dynamic: records matching conditions. Static: records "
                                           "you pick. Segment: a query defined in code.")
            conditions = HiddenField("Conditions", validators=[DefinitionCheck()])
            segment = SelectField("Segment", choices=[("", "—")] + sorted(
                {(name, name) for s in sources for name in s.segments}), validate_choice=False)

            def populate_obj(self, obj: Any) -> None:
                obj.name, obj.entity, obj.type = self.name.data, self.entity.data, self.type.data

        return MarketingListForm

    def on_form_prefill(self, form: Any, id: Any) -> None:
        model = self.get_one(id)
        if model.type == MarketingListType.dynamic:
            form.conditions.data = json.dumps(model.definition or {"match": "all", "rules": []})
        elif model.type == MarketingListType.segment:
            form.segment.data = model.definition

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        model.definition = definition_of(form)
        if model.address_book is not None:  # the members may change: the export looks again
            self._mark_members(model)

    def _mark_members(self, model: Any) -> None:
        member = self.ext.models.AddressBookContact
        self.db.session.execute(update(member).where(
            member.address_book_id == model.address_book.id).values(entity_updated=True))

    def render(self, template: str, **kwargs: Any) -> Any:
        sources = {s.key: {"label": s.label,
                           "fields": [{"path": f.path, "label": f.label, "type": f.type}
                                      for f in s.fields() if f.type not in ("binary", "object")],
                           "segments": sorted(s.segments)} for s in self.ext.sources}
        kwargs.setdefault("dd_sources", sources)
        kwargs.setdefault("dd_operators", {k: {"label": v[0], "value": v[1]} for k, v in OPERATORS.items()})
        return super().render(template, **kwargs)

    # -- the list's page ------------------------------------------------------------------------

    @expose("/details/")
    def details_view(self) -> Any:
        try:
            model = self.get_one(str(int(request.args.get("id") or 0)))
        except ValueError:
            model = None
        if model is None:
            flash("That marketing list does not exist.", "danger")
            return redirect(self.get_url(".index_view"))
        return self.render_details(model)

    def render_details(self, model: Any, connect_form: Any = None) -> Any:
        term = (request.args.get("q") or "").strip()
        return self.render(
            self.details_template, model=model, members=self.members(model),
            source=self.ext.sources.get(model.entity) if model.entity in self.ext.sources else None,
            connect_form=connect_form or self.connect_form(model), open_connect=connect_form is not None,
            candidates=self.candidates(model, term) if model.type == MarketingListType.static else [],
            term=term, can_edit=self.allowed("edit"), type_label=TYPE_LABELS.get(str(model.type)),
            return_url=self.get_url(".index_view"))

    # -- members --------------------------------------------------------------------------------

    def members(self, model: Any, limit: int = PREVIEW_SIZE) -> dict[str, Any]:
        """The preview on the list's page: the first members and how many there are."""
        source = self.ext.sources.get(model.entity)
        try:
            query = members_query(model, source, self.ext.models)
        except ConfigError as err:
            return {"error": str(err), "count": 0, "rows": []}
        count = self.db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        ids = [row.entity_id for row in self.db.session.execute(query.limit(limit))]
        records = self.db.session.execute(select(source.model).where(source.id_column.in_(ids))
                                          .order_by(source.id_column)).scalars().all() if ids else []
        unsubscribed = self._item_ids(self.ext.models.UnsubscribedItem, model.id)
        removed = self._item_ids(self.ext.models.RemovedItem, model.id)
        return {"count": count, "rows": records, "source": source, "unsubscribed": unsubscribed,
                "removed": removed, "error": None}

    def _item_ids(self, item_model: Any, list_id: int) -> set[int]:
        return set(self.db.session.execute(select(item_model.entity_id).where(
            item_model.marketing_list_id == list_id)).scalars())

    def candidates(self, model: Any, term: str) -> list[Any]:
        """Records to add to a static list: search by email, up to 20."""
        source = self.ext.sources.get(model.entity)
        if not term:
            return []
        from ..sources import Columns

        columns = Columns(source)
        email = columns(source.email)
        query = columns.apply_joins(select(source.model).where(
            func.lower(email).contains(term.lower(), autoescape=True)).limit(20))
        return list(self.db.session.execute(query).scalars())

    @expose("/add-member/", methods=["POST"])
    def add_member(self) -> Any:
        model = self._checked_list(MarketingListType.static)
        member = self.ext.models.StaticMember
        entity_id = int(request.form.get("entity_id") or 0)
        exists = self.db.session.execute(select(member.id).where(
            member.marketing_list_id == model.id, member.entity_id == entity_id)).first()
        if not exists:
            self.db.session.add(member(marketing_list_id=model.id, entity_id=entity_id))
            self.db.session.commit()
            flash("Member added.", "success")
        return redirect(self.get_url(".details_view", id=model.id))

    @expose("/remove-member/", methods=["POST"])
    def remove_member(self) -> Any:
        model = self._checked_list(MarketingListType.static)
        member = self.ext.models.StaticMember
        self.db.session.execute(delete(member).where(
            member.marketing_list_id == model.id,
            member.entity_id == int(request.form.get("entity_id") or 0)))
        self.db.session.commit()
        flash("Member removed.", "success")
        return redirect(self.get_url(".details_view", id=model.id))

    def _checked_list(self, kind: MarketingListType | None = None) -> Any:
        """The list named by the POST, after the CSRF check; aborts with 400/404 otherwise."""
        from .integrations import CsrfOnlyForm

        if not CsrfOnlyForm(formdata=request.form).validate():
            abort(400, "The form has expired; reload the page and try again.")
        try:
            model = self.get_one(str(int(request.form.get("id") or 0)))
        except ValueError:
            model = None
        if model is None:
            abort(404)
        if kind is not None and model.type != kind:
            abort(400, "This list is not a static list.")
        return model

    def status_line(self, model: Any) -> Markup:
        book = model.address_book
        when = book.last_exported_at.strftime("%Y-%m-%d %H:%M UTC") if book.last_exported_at else "never"
        return Markup('This list is linked to "{}" dotdigital address book. Last synchronization date: '
                      "{}. Synchronization status: {}.").format(book.name, when,
                                                                address_book_sync_status(book.sync_status))

    def allowed(self, action: str) -> bool:
        return allowed(action, self.resource)

    def refuse(self) -> Any:
        return deny()
