"""The benchmark harness itself (issue 7): it runs every scenario at tiny sizes and prints the table.

Times are never asserted here; BENCHMARKS.md holds the figures of a full run. This test only
keeps the harness from rotting as the code it drives changes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = ["1 export throughput", "2 API calls (imports)", "3 incremental export (1% changed)",
        "3 incremental: SQL statements", "4 import throughput", "5 peak RSS of the export",
        "6 change-tracking overhead", "7 admin Contacts list", "7 admin Activities list",
        "8 rate-limit governance", "9 scale-out: 2 workers vs 1"]


def test_the_smoke_run_prints_a_row_for_every_scenario():
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke"], cwd=ROOT, capture_output=True,
                            text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout.split("\n\n")[1]
    header, _, *lines = table.splitlines()
    assert [cell.strip() for cell in header.split("|")] == [
        "scenario", "size", "ours", "baseline", "ratio", "target", "met?"]
    names = [line.split("|")[0].strip() for line in lines]
    # The export's throughput has two rows: the list size, and the memory scenario's big size.
    assert sorted(names) == sorted([*ROWS, "1 export throughput"]), result.stdout
    assert not [line for line in lines if " | error " in line], result.stdout + result.stderr[-3000:]
    assert "Total wall time" in result.stdout
