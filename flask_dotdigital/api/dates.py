"""Dates on the wire (§6): what we put into paths, and what we accept back."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_FRACTION = re.compile(r"\.(\d+)")


def path_date(moment: datetime) -> str:
    """UTC with a ``Z``: a raw ``+`` in a path may not survive every host (§3.0)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(value: object) -> datetime | None:
    """Lenient ISO 8601: 0-7 fractional digits, ``Z``, an offset or no zone (taken as UTC)."""
    if not value or not isinstance(value, str):
        return None
    try:  # the common shape, parsed in C; the normalising below is for the rest
        moment = datetime.fromisoformat(value)
    except ValueError:
        pass
    else:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python's parser wants exactly 6 fractional digits before 3.11's relaxed rules; normalise.
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
