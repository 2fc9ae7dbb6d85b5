"""A marketing list's link to a Dotdigital address book: the Connect dialog and the dotdigital menu.

Mixed into the Marketing Lists view. Every action is a CSRF-checked POST. A new address book is
created in Dotdigital first; Dotdigital's refusal (a duplicate or reserved name, a name that is too
long) is shown on the dialog and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request
from flask_admin import expose
from flask_admin.form import SecureForm
from sqlalchemy import select, update
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from ..api.address_books import create_address_book
from ..connection import client_for
from ..errors import ApiError, ConfigError, DotDigitalError
from ..models.enums import ImportStatus

NEW_BOOK = "new"


class ConnectForm(SecureForm):
    integration = SelectField("Integration", validate_choice=False)
    address_book = SelectField("Address Book", validate_choice=False)
    new_name = StringField("New address book name", validators=[Optional(), Length(max=255)])
    new_visibility = SelectField("Visibility", choices=[("Private", "Private"), ("Public", "Public")])
    create_entities = BooleanField("Create New Entities",
                                   description="Create new records if no match by email is found.")


class ConnectionActions:
    """POST endpoints of the dotdigital menu on a marketing list's page."""

    db: Any
    ext: Any

    # -- the dialog -----------------------------------------------------------------------------

    def connect_form(self, model: Any, formdata: Any = None) -> ConnectForm:
        integrations = self._integrations()
        form = ConnectForm(formdata=formdata)
        form.integration.choices = [(str(i.id), i.name) for i in integrations]
        books = self._free_books(model)
        form.address_book.choices = [(str(b.id), b.name) for b in books] + [
            (NEW_BOOK, "Create a new address book…")]
        form.book_integrations = {str(b.id): str(b.integration_id) for b in books}
        if formdata is None:
            book = model.address_book
            if book is not None:
                form.integration.data, form.address_book.data = str(book.integration_id), str(book.id)
                form.create_entities.data = book.create_entities
            elif len(integrations) == 1:  # Oro preselects the only integration
                form.integration.data = str(integrations[0].id)
        return form

    def _integrations(self) -> list[Any]:
        model = self.ext.models.Integration
        return list(self.db.session.execute(select(model).where(
            model.type == "dotdigital", model.enabled.is_(True)).order_by(model.name)).scalars())

    def _free_books(self, marketing_list: Any) -> list[Any]:
        """Books not linked to another list (a book serves one list at most)."""
        book = self.ext.models.AddressBook
        return list(self.db.session.execute(select(book).where(
            (book.marketing_list_id.is_(None)) | (book.marketing_list_id == marketing_list.id))
            .order_by(book.name)).scalars())

    @expose("/connect/", methods=["POST"])
    def connect(self) -> Any:
        model = self._checked_list()  # type: ignore[attr-defined]
        form = self.connect_form(model, request.form)
        book = self._chosen_book(model, form)
        if book is None:
            return self.render_details(model, connect_form=form)  # type: ignore[attr-defined]
        previous = model.address_book
        if previous is not None and previous.id != book.id:
            previous.marketing_list_id = None
            self.db.session.flush()
        book.marketing_list_id = model.id
        book.create_entities = bool(form.create_entities.data)
        self.db.session.commit()
        flash(f'This list is now linked to the "{book.name}" dotdigital address book.', "success")
        self._schedule(book.integration_id)
        return redirect(self.get_url(".details_view", id=model.id))  # type: ignore[attr-defined]

    def _chosen_book(self, model: Any, form: ConnectForm) -> Any:
        integration = next((i for i in self._integrations() if str(i.id) == form.integration.data), None)
        if integration is None:
            form.integration.errors = ["Choose an enabled Dotdigital integration."]
            return None
        if form.address_book.data == NEW_BOOK:
            return self._create_book(integration, form)
        book = self.db.session.get(self.ext.models.AddressBook, int(form.address_book.data or 0))
        if book is None or book.integration_id != integration.id or book.marketing_list_id not in (
                None, model.id):
            form.address_book.errors = ["Choose an address book of this integration that no other "
                                        "marketing list uses."]
            return None
        return book

    def _create_book(self, integration: Any, form: ConnectForm) -> Any:
        name = (form.new_name.data or "").strip()
        if not name:
            form.new_name.errors = ["Enter a name for the new address book."]
            return None
        try:
            created = create_address_book(client_for(integration), name, form.new_visibility.data)
        except (ApiError, ConfigError) as err:
            # Dotdigital's own sentence: a duplicate or reserved name, a name that is too long...
            form.new_name.errors = [str(err)]
            return None
        book = self.ext.models.AddressBook(
            integration_id=integration.id, origin_id=int(created["id"]),
            name=str(created.get("name") or name), visibility=created.get("visibility") or
            form.new_visibility.data, contact_count=int(created.get("contacts") or 0))
        self.db.session.add(book)
        self.db.session.flush()
        return book

    def _schedule(self, integration_id: int) -> None:
        from ..sync.scheduling import request_sync

        try:
            request_sync(integration_id, trigger="button")
        except (DotDigitalError, OSError) as err:
            flash(f"The synchronization could not be queued: {err}", "warning")
            return
        flash("Marketing List scheduled to synchronize with dotdigital", "info")

    # -- the dotdigital menu --------------------------------------------------------------------

    @expose("/synchronize/", methods=["POST"])
    def synchronize(self) -> Any:
        model = self._checked_list()  # type: ignore[attr-defined]
        book = model.address_book
        if book is not None:
            book.sync_status = ImportStatus.NotFinished  # "In Progress" until the upload settles
            self.db.session.commit()
            self._schedule(book.integration_id)
        return redirect(self.get_url(".details_view", id=model.id))  # type: ignore[attr-defined]

    @expose("/sync-status/")
    def sync_status(self) -> Any:
        """The status line, for the list's page to follow without a reload."""
        try:
            model = self.get_one(str(int(request.args.get("id") or 0)))  # type: ignore[attr-defined]
        except ValueError:
            model = None
        if model is None or model.address_book is None:
            return jsonify(linked=False)
        book = model.address_book
        return jsonify(linked=True, line=str(self.status_line(model)),  # type: ignore[attr-defined]
                       in_progress=book.sync_status == ImportStatus.NotFinished)

    @expose("/refresh-data-fields/", methods=["POST"])
    def refresh_data_fields(self) -> Any:
        model = self._checked_list()  # type: ignore[attr-defined]
        if model.address_book is not None:
            member = self.ext.models.AddressBookContact
            self.db.session.execute(update(member).where(
                member.address_book_id == model.address_book.id,
                member.marketing_list_item_id.is_not(None)).values(entity_updated=True))
            self.db.session.commit()
            flash("Data Fields will be updated with the next synchronization", "success")
        return redirect(self.get_url(".details_view", id=model.id))  # type: ignore[attr-defined]

    @expose("/disconnect/", methods=["POST"])
    def disconnect(self) -> Any:
        model = self._checked_list()  # type: ignore[attr-defined]
        book = model.address_book
        if book is not None:
            book.marketing_list_id = None
            self.db.session.commit()
            flash(f'This list is no longer linked to "{book.name}".', "success")
        return redirect(self.get_url(".details_view", id=model.id))  # type: ignore[attr-defined]
