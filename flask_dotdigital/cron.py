"""``rq cron flask_dotdigital.cron``: the periodic sync of every enabled integration.

Set ``DOTDIGITAL_APP_FACTORY`` (e.g. ``example_app:create_app``) in the environment of ``rq cron``;
the interval and queue come from that app's ``DOTDIGITAL_SYNC_INTERVAL`` and ``DOTDIGITAL_QUEUE``.
"""

from __future__ import annotations

import os

from rq import cron

from .jobs import app_for, schedule_all

_factory = os.environ.get("DOTDIGITAL_APP_FACTORY")
if not _factory:
    raise RuntimeError("Set DOTDIGITAL_APP_FACTORY=module:create_app for `rq cron flask_dotdigital.cron`.")
_config = app_for(_factory).config

cron.register(schedule_all, _config["DOTDIGITAL_QUEUE"], kwargs={"app_factory": _factory},
              interval=int(_config["DOTDIGITAL_SYNC_INTERVAL"]) * 60,
              name="dotdigital-sync-all")
