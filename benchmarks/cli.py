"""``python -m benchmarks [--quick | --smoke] [--size N] [--only NAME ...] [--profile NAME ...]``.

Runs the scenario groups in the issue's order, one after another (never two at once: the
machine has two cores), and prints the table, then one note per row saying what was measured.
A group that fails prints its error as a row and the others still run.
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import time
import traceback
from collections.abc import Sequence
from types import ModuleType

from .env import Bench, database_url
from .harness import Row, notes, table
from .profiling import profiler_for
from .scenarios import admin_pages, export, imports, memory, rate_limit, scale_out, tracking
from .sizes import sizes_for

GROUPS: tuple[ModuleType, ...] = (export, memory, imports, tracking, admin_pages, rate_limit, scale_out)
SCENARIOS = [name for group in GROUPS for name in group.NAMES]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="10k contacts, under 3 minutes")
    mode.add_argument("--smoke", action="store_true", help="tiny sizes: proves the harness runs")
    parser.add_argument("--size", type=int, help="override the contact count of the sized scenarios")
    parser.add_argument("--only", action="append", choices=SCENARIOS, metavar="NAME",
                        help=f"run only this scenario's group (repeatable): {', '.join(SCENARIOS)}")
    parser.add_argument("--profile", action="append", default=[], metavar="NAME",
                        help="profile our side of a step with pyinstrument (export, incremental, "
                             "import, memory, tracking, admin)")
    return parser.parse_args(argv)


def machine() -> str:
    memory = "?"
    try:
        with open("/proc/meminfo") as meminfo:
            kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    import os
    import sqlite3

    database = "PostgreSQL (DATABASE_URL)" if database_url() else f"SQLite {sqlite3.sqlite_version}"
    return (f"{os.cpu_count()} cores, {memory} RAM, Python {platform.python_version()}, {database}, "
            f"{platform.system()} {platform.release()}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    sizes = sizes_for(quick=args.quick, smoke=args.smoke, size=args.size)
    logging.basicConfig(level=logging.ERROR)  # the client's retry warnings would drown the table
    wanted = set(args.only or SCENARIOS)
    profile = profiler_for(set(args.profile))
    print(f"flask-dotdigital benchmarks, {sizes.mode} mode, on {machine()}", flush=True)
    started = time.perf_counter()
    rows: list[Row] = []
    bench = Bench()
    try:
        for group in GROUPS:
            if not wanted & set(group.NAMES):
                continue
            began = time.perf_counter()
            try:
                rows.extend(group.run(bench, sizes, profile))
            except Exception as err:  # one broken group must not hide the others' figures
                traceback.print_exc()
                rows.append(Row(group.NAMES[0], "-", "error", "-", None, "-", None,
                                [f"{type(err).__name__}: {err}"]))
            print(f"[{group.__name__.rsplit('.', 1)[1]} done in {time.perf_counter() - began:.0f} s]",
                  file=sys.stderr, flush=True)
    finally:
        bench.close()
    print()
    print(table(rows))
    print()
    print(notes(rows))
    print(f"\nTotal wall time: {time.perf_counter() - started:.0f} s")
    return 0
