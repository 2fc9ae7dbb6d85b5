"""The locustfile of ``tests/reliability/test_load.py``: signed-in admins browsing the extension's pages.

Locust runs it in its own process (gevent patches the standard library there, never in pytest's).
``LOAD_PAGES`` (JSON: name → path), ``LOAD_EMAIL`` and ``LOAD_PASSWORD`` come from the test. Every
answer must be exactly what a signed-in admin gets: redirects are not followed, so a lost session
(a 302 to /login) counts as a failure instead of hiding behind the login page's 200.
"""

from __future__ import annotations

import json
import os
import random
import re

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

PAGES: dict[str, str] = json.loads(os.environ["LOAD_PAGES"])
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Admin(FastHttpUser):
    # A person reads a page for a moment before the next click; the progress bar polls once a second.
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        with self.client.get("/login", name="login page", catch_response=True) as answer:
            found = TOKEN.search(answer.text or "")
            if answer.status_code != 200 or not found:
                answer.failure(f"login page answered {answer.status_code} without a CSRF token")
                return
        form = {"csrf_token": found.group(1) or found.group(2), "email": os.environ["LOAD_EMAIL"],
                "password": os.environ["LOAD_PASSWORD"]}
        with self.client.post("/login", data=form, name="sign in", allow_redirects=False,
                              catch_response=True) as answer:
            if answer.status_code != 302 or "/admin" not in (answer.headers.get("Location") or ""):
                answer.failure(f"sign-in answered {answer.status_code}, not a redirect to the admin")

    @task(6)
    def browse(self) -> None:
        name = random.choice(list(PAGES))
        with self.client.get(PAGES[name], name=name, allow_redirects=False,
                             catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{PAGES[name]} answered {answer.status_code} "
                               f"{answer.headers.get('Location') or ''}".strip())

    @task(4)
    def follow_the_sync(self) -> None:
        """What the integration page's progress bar asks for while a sync runs."""
        path = PAGES["sync status (JSON)"]
        with self.client.get(path, name="sync status (JSON)", allow_redirects=False,
                             catch_response=True) as answer:
            try:
                body = json.loads(answer.text or "")
            except ValueError:
                body = None
            if answer.status_code != 200 or not isinstance(body, dict) or "status" not in body:
                answer.failure(f"{path} answered {answer.status_code} without a run's status")
