"""Scenario 5: peak RSS of a big export against a small one, each in its own process.

The parent seeds each database and keeps the sandbox; a child process (``python -m
benchmarks.scenarios.memory CONFIG``) builds the app, runs the export and reports its own peak RSS
(``VmHWM``), so nothing the parent or the sandbox holds is counted. The child then runs the
bare floor export too at the big size, which gives the export-throughput row at 1M.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from typing import Any

from ..env import ROOT, Bench, seed_host_contacts
from ..exporting import bare_export, connected_list
from ..harness import Row, ratio_row, seconds

NAMES = ("memory",)


def run(bench: Bench, sizes: Any, profile: Any) -> list[Row]:
    small = _measure(bench, sizes.memory_small, floor=False)  # scenario 1 times the small floor
    big = _measure(bench, sizes.memory_big, floor=True)
    ratio = big["peak_kb"] / small["peak_kb"]
    label = f"{sizes.memory_big:,} vs {sizes.memory_small:,}"
    rows = [Row("5 peak RSS of the export", label, _mb(big["peak_kb"]), _mb(small["peak_kb"]), ratio,
                "<= 1.25x", ratio <= 1.25, [
                    f"one process per size; peak RSS before exporting (app built): "
                    f"{_mb(big['start_kb'])} and {_mb(small['start_kb'])}, so the export itself added "
                    f"{_mb(big['peak_kb'] - big['start_kb'])} and "
                    f"{_mb(small['peak_kb'] - small['start_kb'])}; "
                    f"export runs {big['status']} / {small['status']}"])]
    rows.append(ratio_row("1 export throughput", f"{sizes.memory_big:,}", big["ours"], big["floor"], 2.0,
                          notes=[f"measured in the memory child: ours {seconds(big['ours'])}, "
                                 f"floor {seconds(big['floor'])} ({big['uploads']} uploads each)"]))
    return rows


def _mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB"


def _measure(bench: Bench, n: int, *, floor: bool) -> dict[str, Any]:
    app = bench.app(f"memory-{n}")
    bench.reset_sandbox()
    from example_app.models import db

    with app.app_context():
        seed_host_contacts(n)
        integration, book = connected_list()
        config = {"app": {k: v for k, v in app.config.items()
                          if k.startswith(("DOTDIGITAL_", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY"))},
                  "integration": integration.id, "book": book.origin_id,
                  "regional_url": bench.sandbox.regional_url, "floor": floor}
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    # Our own interpreter running our own module: nothing here comes from outside.
    command = [sys.executable, "-m", "benchmarks.scenarios.memory", json.dumps(config)]
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},  # noqa: S603
                            capture_output=True, text=True, timeout=3600, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"the memory child for {n} failed:\n{result.stderr[-3000:]}")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    bench.reset_sandbox()
    return measured


def peak_rss_kb() -> int:
    """This process's peak RSS. VmHWM, not getrusage: Linux carries ru_maxrss across execve, so a
    child would report the parent's peak (the benchmark, with the sandbox's data) as its own."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class _Sandbox:
    """What ``bare_export`` needs of the sandbox: its regional URL."""

    def __init__(self, regional_url: str) -> None:
        self.regional_url = regional_url


def child(config: dict[str, Any]) -> dict[str, Any]:
    import time

    from example_app import create_app
    from example_app.models import db

    from ..exporting import export_files, run_inline, settle

    app = create_app({**config["app"], "EXAMPLE_SEED": False})
    with app.app_context():
        start_kb = peak_rss_kb()
        began = time.perf_counter()
        status = str(run_inline(config["integration"], "contact_export").status)
        ours = time.perf_counter() - began
        peak_kb = peak_rss_kb()
        files = export_files(config["integration"])
        floor, uploads = 0.0, 0
        if config["floor"]:
            settle(config["integration"])  # untimed: frees the account's 25 active imports for the floor
            floor, uploads = bare_export(_Sandbox(config["regional_url"]), config["book"],
                                         int(app.config["DOTDIGITAL_EXPORT_BATCH_SIZE"]))
        db.session.remove()
    return {"start_kb": start_kb, "peak_kb": peak_kb, "ours": ours, "floor": floor, "status": status,
            "files": files, "uploads": uploads}


if __name__ == "__main__":
    print(json.dumps(child(json.loads(sys.argv[1]))))
