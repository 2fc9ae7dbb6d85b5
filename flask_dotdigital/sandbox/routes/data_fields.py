"""Data-field routes (reference §3.5): ``GET /v2/data-fields``, every account data field as
``ApiDataField`` (the real call takes no ``select``/``skip``, so the whole list comes back);
``POST /v2/data-fields`` to create one; ``DELETE /v2/data-fields/{name}`` to remove one.

No source gives the name rules, so the sandbox is strict where the reference is UNSURE: names
are 1 to 20 letters, digits, hyphens or underscores, and a default value must match the type.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from flask import Blueprint, Response

from .. import wire
from ..conventions import code_error, folded_json, json_response, read_enum, sentence_error
from ..model import DataField
from ..state import current_state
from ..wire import DATE_RE, NUMBER_RE

TYPES = ("String", "Numeric", "Date", "Boolean")
VISIBILITIES = ("Private", "Public")
INVALID = "ERROR_PARAMETER_INVALID"
#: The sandbox's guess at the name rule; every source example is UPPER_SNAKE [UNSURE].
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
#: The account's built-in fields (§3.1 examples); Dotdigital refuses to delete them.
SYSTEM_FIELDS = frozenset({"FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER", "POSTCODE", "LASTSUBSCRIBED"})
MISMATCH = "The default value does not match the field type"


def list_data_fields() -> Response:
    state = current_state()
    with state.lock:
        rows = [wire.data_field(f) for f in state.data.data_fields]
    return json_response(rows)


def _numeric(value: Any) -> int | float:
    if isinstance(value, str):
        text = value.strip()
        if not NUMBER_RE.match(text):
            raise sentence_error(400, MISMATCH, INVALID)
        number = float(text)
        value = int(number) if number.is_integer() else number
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise sentence_error(400, MISMATCH, INVALID)
    return value


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not DATE_RE.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def default_for(kind: str, value: Any) -> Any:
    """The default value checked against the field type (JSON booleans only for Boolean; numbers
    or numeric strings, stored as numbers, for Numeric). ``None`` means no default."""
    if value is None:
        return None
    if kind == "Numeric":
        return _numeric(value)
    valid = {
        "String": isinstance(value, str),
        "Date": _is_iso_date(value),
        "Boolean": isinstance(value, bool),
    }[kind]
    if not valid:
        raise sentence_error(400, MISMATCH, INVALID)
    return value


def create_data_field() -> Response:
    """POST data-fields: ``{"name", "type", "visibility", "defaultValue"}``, keys in any case.
    Answers 201 with the ApiDataField (DOC-DF; SWAG says 201 without a body)."""
    body = folded_json()
    if not isinstance(body, dict):
        body = {}
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise sentence_error(400, "Name is required", INVALID)
    if not NAME_RE.match(name):
        raise sentence_error(
            400, "Data field names must be 1 to 20 letters, digits, hyphens or underscores", INVALID
        )
    kind = read_enum(body.get("type"), TYPES, "String")
    visibility = read_enum(body.get("visibility"), VISIBILITIES, "Private")
    default = default_for(kind, body.get("defaultvalue"))
    state = current_state()
    with state.lock:
        data = state.data
        if data.find_field(name) is not None:
            raise sentence_error(400, "Field already exists", "ERROR_NON_UNIQUE_DATAFIELD")
        # Dotdigital shows every field name upper-case (FIRSTNAME, IS_VIP ...) [UNSURE whether it
        # upper-cases on create or keeps the given casing].
        record = DataField(name.upper(), kind, visibility, default)
        data.data_fields.append(record)
        return json_response(wire.data_field(record), 201)


def delete_data_field(name: str) -> Response:
    """DELETE data-fields/{name}: 200 ``{"dependencies", "result"}``. A field that is in use is
    not deleted: ``result`` false with DOC-DF's string dependencies (SWAG types them as
    ``{type, objectId}`` objects and also lists a 409 [UNSURE which the live API sends])."""
    state = current_state()
    with state.lock:
        data = state.data
        record = data.find_field(name)
        if record is None:
            raise code_error(404, "ERROR_DATAFIELD_NOT_FOUND")
        if record.name in SYSTEM_FIELDS:
            return json_response({"dependencies": ["System field"], "result": False})
        if record.in_use:
            return json_response({"dependencies": list(record.in_use), "result": False})
        data.remove_field(record)
    return json_response({"dependencies": None, "result": True})


def register(regional: Blueprint) -> None:
    regional.add_url_rule("/v2/data-fields", "data_fields", list_data_fields, methods=["GET"])
    regional.add_url_rule("/v2/data-fields", "create_data_field", create_data_field, methods=["POST"])
    regional.add_url_rule(
        "/v2/data-fields/<name>", "delete_data_field", delete_data_field, methods=["DELETE"]
    )
