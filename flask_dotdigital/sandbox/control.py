"""Test tooling outside the emulated API: ``POST /__control`` queues faults, switches the
rate-limit schemes on or off, resets the sandbox, generates data, applies changes "on
Dotdigital's side" (``mutations.py``) and sets how contact imports end (``import_polls``: status
polls an upload answers NotFinished; ``next_import_outcome``: a failure status, or "Stuck", for
the next upload). ``GET /__state`` dumps the state (call log, account, configuration without
secrets, imports, and the account's data). Neither needs auth: the sandbox listens on
loopback and exists only for tests, demos and benchmarks.

The control reply is the state without ``data`` (it can be megabytes; ask ``/__state`` for it)
plus one key per data change: ``generated``, ``touched``, ``unsubscribed``, ``suppressed``,
``deleted_book``, ``activity`` and ``in_use``. OAuth keys (``routes/oauth.py``):
``revoke_refresh_tokens`` (reply ``revoked``: how many were live) and ``oauth_error_next``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import mutations
from .generator import generate
from .importing import OUTCOMES
from .routes import oauth
from .state import Fault, SandboxState, TieredWindow, current_state

control = Blueprint("sandbox_control", __name__)


class ControlError(ValueError):
    """A malformed ``/__control`` request."""


def parse_fault(spec: Any) -> Fault:
    if not isinstance(spec, Mapping) or "status" not in spec:
        raise ControlError(f"each fail_next item needs a status, got {spec!r}")
    status = spec["status"]
    if status == "drop":
        return Fault(kind="drop")
    if status == "stall":
        return Fault(kind="stall", seconds=float(spec.get("seconds", 1)))
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ControlError(f'status must be 400..599, "drop" or "stall", got {status!r}')
    return Fault(
        kind="status",
        status=status,
        reset_in=int(spec.get("reset_in", 1)),
        limit=int(spec.get("limit", 150)),
        scope=str(spec.get("scope", "lowCallRate")),
        message=spec.get("message"),
    )


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ControlError(f"{name} must be a non-negative integer or null, got {value!r}")
    return value


def parse_tiered(spec: Any) -> TieredWindow | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping) or "per_minute" not in spec:
        raise ControlError('tiered_limit must be {"per_minute": N} or null')
    per_minute = _positive_int(spec["per_minute"], "tiered_limit.per_minute")
    return TieredWindow(per_minute=per_minute, scope=str(spec.get("scope", "lowCallRate")))


SETTINGS = {
    "reset",
    "fail_next",
    "fault_rate",
    "flat_limit",
    "tiered_limit",
    "import_polls",
    "next_import_outcome",
}


def parse_outcome(value: Any) -> str | None:
    """``next_import_outcome``: the status the next upload ends in, or null for Finished."""
    if value is not None and value not in OUTCOMES:
        raise ControlError(f"next_import_outcome must be one of {', '.join(OUTCOMES)} or null, got {value!r}")
    return value


def parse_fault_rate(spec: Any) -> tuple[float, random.Random, list[Fault]] | None:
    """``{"rate": 0.05, "seed": 1, "faults": [{"status": 503}, {"status": "drop"}]}`` or null."""
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise ControlError('fault_rate must be an object such as {"rate": 0.05} or null')
    rate = float(spec.get("rate", 0))
    if not 0 <= rate <= 1:
        raise ControlError("fault_rate.rate must be between 0 and 1")
    kinds = [parse_fault(item) for item in spec.get("faults") or [{"status": 503}, {"status": "drop"}]]
    return rate, random.Random(spec.get("seed", 1)), kinds


#: Data changes, applied in this order after ``reset`` and ``generate``; reply key → function.
MUTATIONS = {
    "touch_contacts": ("touched", mutations.touch_contacts),
    "unsubscribe": ("unsubscribed", mutations.unsubscribe),
    "suppress": ("suppressed", mutations.suppress),
    "delete_book": ("deleted_book", mutations.delete_book),
    "add_activity": ("activity", mutations.add_activity),
    "data_field_in_use": ("in_use", mutations.data_field_in_use),
}


def parse_generate(spec: Any) -> dict[str, int]:
    if not isinstance(spec, Mapping) or "contacts" not in spec:
        raise ControlError('generate must be {"contacts": N, "books": 3, "campaigns": 4, "seed": 1}')
    unknown = set(spec) - {"contacts", "books", "campaigns", "seed"}
    if unknown:
        raise ControlError(f"unknown generate keys: {sorted(unknown)}")
    defaults = {"books": 3, "campaigns": 4, "seed": 1}
    return {key: mutations.option(spec, key, defaults.get(key)) for key in ("contacts", *defaults)}


def apply_control(state: SandboxState, body: Mapping[str, Any]) -> dict[str, Any]:
    """Apply one control request and return the data-change results. ``reset`` goes first so it
    can be combined with new settings, then ``generate``, then the mutations."""
    unknown = set(body) - SETTINGS - set(MUTATIONS) - oauth.OAUTH_SETTINGS - {"generate"}
    if unknown:
        raise ControlError(f"unknown control keys: {sorted(unknown)}")
    faults = [parse_fault(spec) for spec in body.get("fail_next") or []]
    fault_rate = parse_fault_rate(body["fault_rate"]) if "fault_rate" in body else None
    tiered = parse_tiered(body.get("tiered_limit"))
    flat = body.get("flat_limit")
    flat_limit = None if flat is None else _positive_int(flat, "flat_limit")
    generate_spec = parse_generate(body["generate"]) if "generate" in body else None
    oauth_settings = oauth.parse_control(body)
    polls = _positive_int(body["import_polls"], "import_polls") if "import_polls" in body else None
    outcome = parse_outcome(body.get("next_import_outcome"))
    for key in MUTATIONS:
        if key in body and key != "delete_book" and not isinstance(body[key], Mapping):
            raise ControlError(f'{key} must be an object such as {{"count": 5}}')
    results: dict[str, Any] = {}
    with state.lock:
        if body.get("reset"):
            state.reset()
        if generate_spec is not None:
            results["generated"] = generate(state, **generate_spec)
        for key, (reply_key, change) in MUTATIONS.items():
            if key in body:
                results[reply_key] = change(state, body[key])
        state.queue_faults(faults)
        if "fault_rate" in body:
            state.fault_rate = fault_rate
        if "flat_limit" in body:
            state.flat_limit = flat_limit
        if "tiered_limit" in body:
            state.tiered = tiered
        if polls is not None:
            state.import_polls = polls
        if "next_import_outcome" in body:
            state.next_import_outcome = outcome
        results.update(oauth.apply_control(state, oauth_settings))
    return results


@control.post("/__control")
def control_view() -> Response | tuple[Response, int]:
    body = request.get_json(silent=True)
    if not isinstance(body, Mapping):
        return jsonify({"error": "send a JSON object"}), 400
    try:
        results = apply_control(current_state(), body)
    except (ControlError, TypeError, ValueError) as err:
        return jsonify({"error": str(err)}), 400
    return jsonify({**current_state().snapshot(with_data=False), **results})


@control.get("/__state")
def state_view() -> Response:
    return jsonify(current_state().snapshot())
