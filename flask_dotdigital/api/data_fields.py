"""Data fields (§3.5): listing them, creating one and deleting one."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ..errors import ApiError
from .base import Client

#: How Boolean defaults arrive from forms and CRM records; Dotdigital wants JSON booleans (§3.5).
_BOOLEAN_WORDS = {"yes": True, "true": True, "no": False, "false": False}
#: A plain decimal number; Python's own parsers would also take "1_000", "nan" and "inf".
_NUMBER_RE = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
IN_USE_MESSAGE = "The field cannot be removed. It is in use elsewhere in the system."


def data_fields(client: Client) -> list[dict[str, Any]]:
    """Every data field of the account; the call is not paged."""
    body = client.request("GET", "data-fields")
    if not isinstance(body, list):
        raise ApiError("Dotdigital answered data-fields with something other than a list.")
    return [row for row in body if isinstance(row, dict)]


def create_data_field(client: Client, name: str, type: str, visibility: str = "Private",
                      default_value: Any = None) -> dict[str, Any]:
    """Create a data field and return it as ApiDataField (§3.5).

    The default is sent in the type's JSON form (number, boolean, ISO date); a value that cannot be
    converted goes as given, so that Dotdigital's own 400 names the problem.
    """
    sent = {"name": name, "type": type, "visibility": visibility,
            "defaultValue": wire_default(type, default_value)}
    body = client.request("POST", "data-fields", json=sent)
    if body is None:
        return sent  # SWAG documents the 201 without a body; DOC-DF shows the field echoed (§3.5)
    if not isinstance(body, dict):
        raise ApiError("Dotdigital answered the new data field with something other than an object.")
    return body


def wire_default(type: str, value: Any) -> Any:
    """A data field default in the JSON form Dotdigital expects for ``type``."""
    if value is None:
        return None
    kind = type.lower()
    if kind == "numeric":
        return _number(value)
    if kind == "boolean":
        if isinstance(value, str):
            return _BOOLEAN_WORDS.get(value.strip().lower(), value)
        return value
    if kind == "date":
        if isinstance(value, datetime):
            # Oro's form, no zone (§6); Dotdigital reads a zone-less date as UTC [UNSURE].
            moment = value.astimezone(UTC) if value.tzinfo else value
            return moment.strftime("%Y-%m-%dT%H:%M:%S")
        if isinstance(value, date):
            return value.strftime("%Y-%m-%dT00:00:00")
    return value


def _number(value: Any) -> Any:
    # Magento sends Numeric defaults as JSON numbers (§3.5); a numeric string becomes one too.
    if isinstance(value, Decimal):
        if not value.is_finite():  # "Infinity" and "NaN" pass a DecimalField; Dotdigital refuses them
            return str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str) and _NUMBER_RE.match(value.strip()):
        text = value.strip()
        if text.lstrip("+-").isdigit():
            return int(text)
        number = float(text)
        return number if math.isfinite(number) else value  # "1e999" would become JSON Infinity
    return value


def delete_data_field(client: Client, name: str) -> None:
    """Delete a data field (§3.5).

    Dotdigital answers 200 with ``result: false`` and the ``dependencies`` when the field is in use
    (DOC-DF: strings such as "Used in program 12345"; SWAG: ``{type, objectId}`` objects), which is
    raised here as ApiError. An unknown name is 404 ``ERROR_DATAFIELD_NOT_FOUND``.
    """
    body = client.request("DELETE", f"data-fields/{quote(name, safe='')}")
    if isinstance(body, dict) and body.get("result") is False:
        dependencies = [_dependency(item) for item in body.get("dependencies") or []]
        message = IN_USE_MESSAGE + (f" ({'; '.join(dependencies)})" if dependencies else "")
        # The refusal comes as a success answer, so its status is the 200 it arrived with.
        raise ApiError(message, status=200)


def _dependency(item: Any) -> str:
    if isinstance(item, dict):
        return " ".join(str(item[key]) for key in ("type", "objectId") if item.get(key) is not None)
    return str(item)
