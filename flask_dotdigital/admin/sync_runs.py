"""System → Integrations → Sync Runs: every sync that was asked for, and what each connector did.

A run is one SyncRun row without a parent; its connector steps are SyncRun rows pointing at it
(see sync/runner.py). The grid lists runs only; a run's page lists its steps in Oro's connector
order with their counts and error messages.
"""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.filters import FilterEqual
from markupsafe import Markup

from ..labels import SYNC_RUN_BADGES, SYNC_TRIGGERS, sync_run_status, sync_trigger
from ..sync.connectors import LABELS
from .records import NONE, ReadOnlyView, integration_filter, integration_name, only_integration_name

#: Longer messages are cut in the grid; the run's page shows them whole.
MESSAGE_PREVIEW = 160


def status_badge(status: Any) -> Markup:
    return Markup('<span class="badge badge-{}">{}</span>').format(
        SYNC_RUN_BADGES.get(status, "secondary"), sync_run_status(status))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return NONE
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def message_preview(view: Any, context: Any, model: Any, name: str) -> Any:
    text = model.message or ""
    if len(text) <= MESSAGE_PREVIEW:
        return text or NONE
    return Markup('<span title="{}">{}…</span>').format(text, text[:MESSAGE_PREVIEW])


class SyncRunView(ReadOnlyView):
    can_view_details = True
    details_template = "dotdigital/records/sync_run_details.html"
    column_list = ["integration", "trigger", "status", "requested_at", "started_at", "finished_at",
                   "duration", "read", "created", "updated", "deleted", "errors", "message"]
    column_details_list = ["integration", "trigger", "status", "requested_connectors", "requested_at",
                           "started_at", "finished_at", "duration", "read", "created", "updated",
                           "deleted", "errors", "message", "job_id"]
    column_labels = {"requested_at": "Requested", "started_at": "Started", "finished_at": "Finished",
                     "requested_connectors": "Connectors", "job_id": "Job ID"}
    column_sortable_list = ["requested_at", "status"]
    column_default_sort = [("requested_at", True), ("id", True)]
    column_formatters = {
        "integration": integration_name,
        "trigger": lambda v, c, m, p: sync_trigger(m.trigger),
        "status": lambda v, c, m, p: status_badge(m.status),
        "duration": lambda v, c, m, p: duration(m.duration),
        "message": message_preview,
    }
    column_formatters_detail = {
        **column_formatters,
        "message": lambda v, c, m, p: m.message or NONE,
        "requested_connectors": lambda v, c, m, p: v.connector_names(m.requested_connectors),
    }

    def __init__(self, model: Any, db: Any, *, integration_model: Any, **kwargs: Any) -> None:
        self.column_filters = [
            integration_filter(db, model, integration_model),
            "status",
            FilterEqual(model.trigger, "Trigger", options=list(SYNC_TRIGGERS.items())),
        ]
        super().__init__(model, db, integration_model=integration_model, **kwargs)

    # A run's steps are SyncRun rows too; only the runs themselves are listed and opened.

    def get_query(self) -> Any:
        return super().get_query().filter(self.model.parent_id.is_(None)).options(
            only_integration_name(self.model.integration, self.integration_model))

    def get_count_query(self) -> Any:
        return super().get_count_query().filter(self.model.parent_id.is_(None))

    def get_one(self, id: Any) -> Any:
        run = super().get_one(id)
        return run if run is not None and run.parent_id is None else None

    # -- helpers for the details template ---------------------------------------------------------

    @staticmethod
    def connector_label(name: str | None) -> str:
        return LABELS.get(name or "", name or NONE)

    def connector_names(self, names: str | None) -> str:
        if not names:
            return "All connectors"
        return ", ".join(self.connector_label(name) for name in names.split(","))

    @staticmethod
    def status_badge(status: Any) -> Markup:
        return status_badge(status)

    @staticmethod
    def duration(seconds: float | None) -> str:
        return duration(seconds)
