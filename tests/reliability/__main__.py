"""``python -m tests.reliability``: issue 8's suites at full size, in under 15 minutes (``make reliability``).

The 10-minute soak (4 workers, 8 integrations) runs in a second pytest process beside everything
else: faults, outages, the 100k-contact sync under 50 admins, bad input, the route walk, TLS and
key rotation. Run one after the other they take about 16 minutes. The two processes never share
state: without ``DATABASE_URL``/``REDIS_URL`` each test has its own SQLite file and each process its
own embedded Redis; with them, the soak gets a database of its own (``<name>_soak``, created here
on the same server) and Redis database 15, because the suite's fixtures drop tables and flush Redis.
Both outputs are printed, each with its summary table, and the exit status is the worse of the two.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOAK = "tests/reliability/test_load.py::test_four_workers_sync_eight_integrations_over_and_over"
SUITES = ["tests/reliability", "tests/test_bad_input_parsers.py", "tests/test_security_routes.py",
          "tests/test_key_rotation.py", "tests/test_tls_policy.py", "tests/test_rate_budget.py",
          "tests/test_sync_import.py::test_faulty_api_ends_with_the_same_state",
          "tests/test_sync_scheduling.py::test_the_hourly_cut_off_pauses_the_run_and_it_resumes"]
FULL_SIZES = {"DOTDIGITAL_LOAD_CONTACTS": "100000", "DOTDIGITAL_LOAD_USERS": "50",
              "DOTDIGITAL_SOAK_SECONDS": "600"}


def soak_database(url: str) -> str:
    """``<url>_soak`` on the same PostgreSQL server, created if missing."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_soak"
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def soak_redis(url: str) -> str:
    from redis.connection import parse_url

    if url.startswith("unix://"):
        return url.split("?")[0] + "?db=15"
    base = url.rsplit("/", 1)[0] if parse_url(url).get("db") is not None else url.rstrip("/")
    return f"{base}/15"


def main() -> int:
    env = {**os.environ, **{k: os.environ.get(k, v) for k, v in FULL_SIZES.items()}}
    soak_env = dict(env)
    if env.get("DATABASE_URL"):
        soak_env["DATABASE_URL"] = soak_database(env["DATABASE_URL"])
    if env.get("REDIS_URL"):
        soak_env["REDIS_URL"] = soak_redis(env["REDIS_URL"])
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    started = time.monotonic()
    log = ROOT / "reliability-soak.log"
    with log.open("w") as out:
        # Our own interpreter running pytest on our own tests.
        soak = subprocess.Popen([*pytest, SOAK], cwd=ROOT, env=soak_env,  # noqa: S603
                                stdout=out, stderr=subprocess.STDOUT)
        rest = subprocess.run([*pytest, *SUITES, "--deselect", SOAK], cwd=ROOT, env=env,  # noqa: S603
                              check=False)
        soak.wait()
    print(f"\n===== the soak, run beside the suites above (log: {log.name}) =====")
    print(log.read_text())
    print(f"make reliability took {(time.monotonic() - started) / 60:.1f} minutes")
    return max(rest.returncode, soak.returncode)


if __name__ == "__main__":
    sys.exit(main())
