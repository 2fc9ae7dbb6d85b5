"""The README's demo command: CRM + embedded Redis + RQ worker + sandbox, started and stopped as one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(output: list[str], stream, text: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        output.append(line)
        if text in line:
            return
    raise AssertionError(f"{text!r} never appeared:\n{''.join(output)}")


def test_demo_starts_every_part_and_stops_cleanly(tmp_path):
    port, sandbox_port = free_port(), free_port()
    env = {**os.environ, "DEMO_DATA_DIR": str(tmp_path), "DEMO_PORT": str(port),
           "DEMO_SANDBOX_PORT": str(sandbox_port), "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    demo = subprocess.Popen([sys.executable, "-m", "example_app.demo"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    try:
        deadline = time.monotonic() + 60
        wait_for(output, demo.stdout, "Ctrl-C stops everything", deadline)
        wait_for(output, demo.stdout, "Listening on dotdigital", deadline)  # the RQ worker
        assert requests.get(f"http://127.0.0.1:{port}/login", timeout=10).status_code == 200
        admin = requests.get(f"http://127.0.0.1:{port}/admin/", timeout=10, allow_redirects=False)
        assert admin.status_code == 302 and "/login" in admin.headers["Location"]
        info = requests.get(f"http://127.0.0.1:{sandbox_port}/r1/v2/account-info", timeout=10,
                            auth=("demo@apiconnector.com", "sandbox-password"))
        assert info.status_code == 200
        assert (tmp_path / "crm.sqlite").exists()
    finally:
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=30)
    assert "Demo stopped." in rest, "".join(output) + rest
    assert demo.returncode == 0
