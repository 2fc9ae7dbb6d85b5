"""Wire conventions shared by every emulated v2 route (reference §3.0): ``{"message": ...}``
error bodies in their two shapes, request keys folded case-insensitively, and ``select``/``skip``
paging over bare JSON arrays. Route modules raise ``ApiError`` and the app renders it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, request

MAX_SELECT = 1000
PAGING_INVALID = "select must be between 1 and 1000, skip must not be negative. ERROR_PARAMETER_INVALID"


class ApiError(Exception):
    """A v2 error answer: HTTP ``status`` with body ``{"message": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def to_response(self) -> Response:
        return message_response(self.status, self.message)


def code_message(code: str) -> str:
    """The terse shape, e.g. ``"Error: ERROR_ADDRESSBOOK_NOT_FOUND"`` (§3.0)."""
    return f"Error: {code}"


def sentence_message(sentence: str, code: str) -> str:
    """The sentence shape, e.g. ``"Contact is suppressed. ERROR_CONTACT_SUPPRESSED"`` (§3.0)."""
    return f"{sentence.rstrip('.')}. {code}"


def code_error(status: int, code: str) -> ApiError:
    return ApiError(status, code_message(code))


def sentence_error(status: int, sentence: str, code: str) -> ApiError:
    return ApiError(status, sentence_message(sentence, code))


def message_response(status: int, message: str) -> Response:
    response = jsonify({"message": message})
    response.status_code = status
    return response


def json_response(body: Any, status: int = 200) -> Response:
    """A camelCase success body. Never put a top-level ``message`` here: the official clients
    treat any body carrying ``message`` as an error, whatever the status (§3.0)."""
    if isinstance(body, Mapping):
        assert "message" not in body, "success bodies must not carry a top-level message"
    response = jsonify(body)
    response.status_code = status
    return response


def fold_keys(body: Any) -> Any:
    """Lower-case every mapping key, recursively. Dotdigital binds request bodies
    case-insensitively: Magento sends ``Email``/``DataFields``, the SDK ``email``/``dataFields``
    (§3.0), so routes read folded keys (``body["datafields"]``)."""
    if isinstance(body, Mapping):
        return {str(key).lower(): fold_keys(value) for key, value in body.items()}
    if isinstance(body, list):
        return [fold_keys(item) for item in body]
    return body


def read_enum(value: Any, choices: tuple[str, ...], default: str) -> str:
    """An enum from a request body, matched case-insensitively (Magento sends ``"public"``, §3.0)
    and returned in its PascalCase form; absent/null gives ``default``. Anything else → 400
    ``Error: ERROR_PARAMETER_INVALID``."""
    if value is None:
        return default
    if isinstance(value, str):
        for choice in choices:
            if value.strip().lower() == choice.lower():
                return choice
    raise code_error(400, "ERROR_PARAMETER_INVALID")


def folded_json() -> Any:
    """The request's JSON body with folded keys, or ``None`` when it is absent or invalid."""
    return fold_keys(request.get_json(silent=True))


@dataclass(frozen=True)
class Paging:
    select: int
    skip: int

    def page(self, rows: list[Any]) -> list[Any]:
        return rows[self.skip : self.skip + self.select]


def _arg(args: Mapping[str, str], name: str) -> str | None:
    # Query names are case-insensitive on the real (ASP.NET) API, like body keys.
    for key, value in args.items():
        if key.lower() == name:
            return value
    return None


def _int_arg(args: Mapping[str, str], name: str, default: int) -> int:
    value = _arg(args, name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, PAGING_INVALID) from None


def read_flag(name: str, args: Mapping[str, str] | None = None) -> bool:
    """A boolean query parameter such as ``withFullData`` (§3.0: ``true``/``false``, default
    false); any other value → 400 ``ERROR_PARAMETER_INVALID``."""
    value = _arg(request.args if args is None else args, name.lower())
    if value is None or value.lower() == "false":
        return False
    if value.lower() == "true":
        return True
    raise ApiError(400, sentence_message(f"{name} must be true or false", "ERROR_PARAMETER_INVALID"))


def read_paging(args: Mapping[str, str] | None = None, *, default_select: int = MAX_SELECT) -> Paging:
    """Read ``select``/``skip``; out of range → 400 ``ERROR_PARAMETER_INVALID`` (§2.2: select
    is 1..1000, ``0`` is invalid, skip must not be negative)."""
    source = request.args if args is None else args
    select = _int_arg(source, "select", default_select)
    skip = _int_arg(source, "skip", 0)
    if not 1 <= select <= MAX_SELECT or skip < 0:
        raise ApiError(400, PAGING_INVALID)
    return Paging(select=select, skip=skip)
