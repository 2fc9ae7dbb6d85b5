"""``rq cron flask_dotdigital.cron``: the periodic sync of every enabled integration.

Set ``DOTDIGITAL_APP_FACTORY`` (e.g. ``example_app:create_app``) in the environment of ``rq cron``;
the schedules and queue come from that app's ``DOTDIGITAL_SYNC_INTERVAL``,
``DOTDIGITAL_EXPORT_STATUS_INTERVAL``, ``DOTDIGITAL_FORCE_SYNC_CRON`` and ``DOTDIGITAL_QUEUE``.
"""

from __future__ import annotations

import os

from rq import cron

from .jobs import app_for, force_fields_sync, poll_export_status, schedule_all

_factory = os.environ.get("DOTDIGITAL_APP_FACTORY")
if not _factory:
    raise RuntimeError("Set DOTDIGITAL_APP_FACTORY=module:create_app for `rq cron flask_dotdigital.cron`.")
_config = app_for(_factory).config

cron.register(schedule_all, _config["DOTDIGITAL_QUEUE"], kwargs={"app_factory": _factory},
              interval=int(_config["DOTDIGITAL_SYNC_INTERVAL"]) * 60,
              name="dotdigital-sync-all")
cron.register(poll_export_status, _config["DOTDIGITAL_QUEUE"], kwargs={"app_factory": _factory},
              interval=int(_config["DOTDIGITAL_EXPORT_STATUS_INTERVAL"]) * 60,
              name="dotdigital-export-status")
cron.register(force_fields_sync, _config["DOTDIGITAL_QUEUE"], kwargs={"app_factory": _factory},
              cron=_config["DOTDIGITAL_FORCE_SYNC_CRON"], name="dotdigital-force-fields-sync")
