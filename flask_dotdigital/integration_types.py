"""The registry of integration types offered in the Type dropdown of Create Integration.

Oro's integrations are generic channels with a type; ours are too, so that a host app (or a later
release) can add, say, a second provider without a schema change. Dotdigital is registered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

try:  # WTForms >= 3.3 deprecates tuple choices
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None  # type: ignore[assignment,misc]


@dataclass(frozen=True)
class IntegrationType:
    key: str
    label: str


DOTDIGITAL = IntegrationType(key="dotdigital", label="Dotdigital")


class IntegrationTypes:
    """Per-extension registry; ``register`` adds a type, iteration keeps registration order."""

    def __init__(self) -> None:
        self._types: dict[str, IntegrationType] = {}

    def register(self, integration_type: IntegrationType) -> None:
        if integration_type.key in self._types:
            raise ValueError(f"Integration type {integration_type.key!r} is already registered.")
        self._types[integration_type.key] = integration_type

    def choices(self) -> list[Any]:
        """Choices for a WTForms SelectField (SelectChoice where WTForms has it, else tuples)."""
        if SelectChoice is None:
            return [(t.key, t.label) for t in self._types.values()]
        return [SelectChoice(t.key, t.label) for t in self._types.values()]

    def label(self, key: str) -> str:
        found = self._types.get(key)
        return found.label if found else key

    def __contains__(self, key: object) -> bool:
        return key in self._types
