"""Test tooling outside the emulated API: ``POST /__control`` queues faults, switches the
rate-limit schemes on or off and resets the sandbox; ``GET /__state`` dumps the state (call log,
account, configuration without secrets). Neither needs auth: the sandbox listens on loopback and
exists only for tests, demos and benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request

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


def apply_control(state: SandboxState, body: Mapping[str, Any]) -> None:
    """Apply one control request; ``reset`` goes first so it can be combined with new settings."""
    unknown = set(body) - {"reset", "fail_next", "flat_limit", "tiered_limit"}
    if unknown:
        raise ControlError(f"unknown control keys: {sorted(unknown)}")
    faults = [parse_fault(spec) for spec in body.get("fail_next") or []]
    tiered = parse_tiered(body.get("tiered_limit"))
    flat = body.get("flat_limit")
    flat_limit = None if flat is None else _positive_int(flat, "flat_limit")
    with state.lock:
        if body.get("reset"):
            state.reset()
        state.queue_faults(faults)
        if "flat_limit" in body:
            state.flat_limit = flat_limit
        if "tiered_limit" in body:
            state.tiered = tiered


@control.post("/__control")
def control_view() -> Response | tuple[Response, int]:
    body = request.get_json(silent=True)
    if not isinstance(body, Mapping):
        return jsonify({"error": "send a JSON object"}), 400
    try:
        apply_control(current_state(), body)
    except (ControlError, TypeError, ValueError) as err:
        return jsonify({"error": str(err)}), 400
    return jsonify(current_state().snapshot())


@control.get("/__state")
def state_view() -> Response:
    return jsonify(current_state().snapshot())
