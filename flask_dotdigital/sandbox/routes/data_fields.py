"""Data-field routes (reference §3.5): ``GET /v2/data-fields``, every account data field as
``ApiDataField``. The real call takes no ``select``/``skip``, so the whole list comes back.
"""

from __future__ import annotations

from flask import Blueprint, Response

from .. import wire
from ..conventions import json_response
from ..state import current_state


def list_data_fields() -> Response:
    state = current_state()
    with state.lock:
        rows = [wire.data_field(f) for f in state.data.data_fields]
    return json_response(rows)


def register(regional: Blueprint) -> None:
    regional.add_url_rule("/v2/data-fields", "data_fields", list_data_fields, methods=["GET"])
