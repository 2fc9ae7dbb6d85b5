"""``--profile NAME``: wrap our side of one scenario in pyinstrument and print its call tree.

BENCHMARKS.md summarises these trees for the targets that are missed. Without the option (or
without pyinstrument installed) the wrapper does nothing, so timings are never taken under the
profiler by accident.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

Profile = Callable[[str], AbstractContextManager[Any]]


def profiler_for(wanted: set[str]) -> Profile:
    def profile(name: str) -> AbstractContextManager[Any]:
        return _profiled(name) if name in wanted else nullcontext()

    return profile


@contextmanager
def _profiled(name: str) -> Iterator[None]:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        print(f"\n=== profile of {name} (timings under the profiler are not the benchmark's) ===",
              file=sys.stderr)
        print(profiler.output_text(unicode=False, color=False, show_all=False), file=sys.stderr)
