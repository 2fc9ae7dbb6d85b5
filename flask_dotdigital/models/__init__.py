"""The extension's SQLAlchemy models, one module per aggregate.

The host app owns the ``db`` and the user model, so the concrete classes are built against them by
:func:`build_models`: each module defines a mixin with the columns, and this function combines it
with ``db.Model``. Classes are built once per ``db``, so several apps sharing one ``db`` (tests, app
factories) share one set of models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .integration import IntegrationMixin

_built: dict[int, Models] = {}


@dataclass(frozen=True)
class Models:
    """The concrete model classes of one ``db``."""

    Integration: Any


def build_models(db: Any, user_model: Any) -> Models:
    key = id(db)
    models = _built.get(key)
    if models is not None:
        if models.Integration.__dotdigital_user_model__ is not user_model:
            raise TypeError("flask-dotdigital models were already built for this db with another "
                            "user_model; pass the same user_model to every DotDigital(db=...).")
        return models
    integration = type("Integration", (IntegrationMixin, db.Model),
                       {"__dotdigital_user_model__": user_model, "__module__": __name__})
    models = Models(Integration=integration)
    _built[key] = models
    return models


__all__ = ["Models", "build_models"]
