"""Form pieces shared by the extension's admin screens."""

from __future__ import annotations

from typing import Any

from flask import current_app
from markupsafe import Markup, escape
from wtforms import Field, PasswordField
from wtforms.validators import InputRequired, Length, ValidationError

from ..api.urls import normalise_domain
from ..errors import InsecureEndpoint


class SecretField(PasswordField):
    """A password input that never shows the stored value and keeps it when left blank.

    WTForms' PasswordField already renders no value; ``populate_obj`` is what makes a blank
    submission on edit keep the stored secret instead of wiping it.
    """

    def populate_obj(self, obj: Any, name: str) -> None:
        if self.data:
            setattr(obj, name, self.data)


class RequiredOnCreate(InputRequired):
    """Required when the form creates a record; optional on edit, where blank keeps the value.

    It is an InputRequired, so the create form marks the field required; ``optional_on_edit``
    takes it off a bound edit form.
    """

    def __init__(self, message: str = "This value should not be blank.") -> None:
        super().__init__(message)


def optional_on_edit(field: Field) -> None:
    """Drop :class:`RequiredOnCreate` from one bound field (a new list: the class's is shared)."""
    field.validators = [v for v in field.validators if not isinstance(v, RequiredOnCreate)]
    field.flags.required = False


class OptionalLength(Length):
    """Length checked only when a value was typed (a blank secret on edit is fine)."""

    def __call__(self, form: Any, field: Field) -> None:
        if field.data:
            super().__call__(form, field)


class OAuthDomain:
    """An https URL (or loopback http when allowed), normalised to end with ``/``."""

    def __call__(self, form: Any, field: Field) -> None:
        if not field.data:
            field.data = None
            return
        try:
            field.data = normalise_domain(
                field.data,
                allow_insecure_hosts=current_app.config["DOTDIGITAL_ALLOW_INSECURE_HOSTS"])
        except InsecureEndpoint as err:
            raise ValidationError(str(err)) from err


class CheckConnectionWidget:
    """The Check connection button and the place where its answer appears."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        return Markup(
            '<button type="button" class="btn btn-outline-primary" id="dd-check-connection" '
            'data-url="{url}">Check connection</button>'
            '<div id="dd-check-result" class="mt-2" role="status" aria-live="polite"></div>'
        ).format(url=escape(field.check_url))


class CheckConnectionField(Field):
    """A form row that holds no data: it only places the Check connection button."""

    widget = CheckConnectionWidget()

    def __init__(self, label: str = "", check_url: str = "", **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.check_url = check_url

    def populate_obj(self, obj: Any, name: str) -> None:
        return None

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
