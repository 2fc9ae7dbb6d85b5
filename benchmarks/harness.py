"""What every scenario shares: the result row, a timer, a SQL statement counter and the table.

A row holds our figure and the baseline's, both measured in the same run, their ratio and the
target from the issue. ``met`` is None when a scenario could not produce a comparable figure.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event


@dataclass
class Row:
    scenario: str
    size: str
    ours: str
    baseline: str
    ratio: float | None
    target: str
    met: bool | None
    #: one line each, printed under the table: what was measured and anything to know about it
    notes: list[str] = field(default_factory=list)


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def ratio_row(scenario: str, size: str, ours: float, baseline: float, limit: float, *,
              unit: Callable[[float], str] = seconds, notes: list[str] | None = None) -> Row:
    """A row whose target is ``ours / baseline <= limit``."""
    ratio = ours / baseline if baseline else None
    return Row(scenario, size, unit(ours), unit(baseline), ratio, f"<= {limit:g}x",
               None if ratio is None else ratio <= limit, notes or [])


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as took: ...``; ``took[0]`` is the wall time in seconds afterwards.

    The sandbox keeps its accounts in this process: hundreds of thousands of objects that a full
    garbage collection would walk in the middle of whichever side happened to trigger it. So the
    heap is collected and frozen first (``gc.freeze``), and only what the timed code allocates is
    ever collected while it runs.
    """
    gc.collect()
    gc.freeze()
    took = [0.0]
    start = time.perf_counter()
    try:
        yield took
    finally:
        took[0] = time.perf_counter() - start
        gc.unfreeze()


def best_of(runs: int, action: Callable[[], Any], before: Callable[[], Any] | None = None) -> float:
    """The fastest of ``runs`` timed calls (``before`` runs untimed ahead of each)."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        with stopwatch() as took:
            action()
        times.append(took[0])
    return min(times)


class QueryCounter:
    """Counts the SQL statements an engine sends (``before_cursor_execute``), by their first word."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def total(self) -> int:
        return len(self.statements)

    def by_kind(self) -> dict[str, int]:
        kinds: dict[str, int] = {}
        for statement in self.statements:
            word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
            kinds[word] = kinds.get(word, 0) + 1
        return kinds

    def summary(self) -> str:
        return f"{self.total} statements (" + ", ".join(
            f"{kind} {count}" for kind, count in sorted(self.by_kind().items())) + ")"


COLUMNS = ("scenario", "size", "ours", "baseline", "ratio", "target", "met?")


def table(rows: list[Row]) -> str:
    """The result table as aligned plain text (it also reads as Markdown-ish in BENCHMARKS.md)."""
    cells = [list(COLUMNS)]
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.3g}x"
        met = "n/a" if row.met is None else "yes" if row.met else "NO"
        cells.append([row.scenario, row.size, row.ours, row.baseline, ratio, row.target, met])
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in cells]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def notes(rows: list[Row]) -> str:
    out = []
    for row in rows:
        for note in row.notes:
            out.append(f"- {row.scenario} ({row.size}): {note}")
    return "\n".join(out)
