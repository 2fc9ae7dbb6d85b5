"""Schedule Sync on the integration page and in the grid, and the live status behind the progress bar."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request
from flask_admin import expose
from markupsafe import Markup, escape

from ..errors import DotDigitalError
from ..labels import SYNC_RUN_BADGES
from ..sync.status import describe, latest_run
from .access import allowed, deny


def status_badge(run: Any) -> Markup:
    """The grid's "Last sync status" cell."""
    info = describe(run)
    if info["status"] is None:
        return Markup('<span class="text-muted">Never synced</span>')
    badge = SYNC_RUN_BADGES.get(run.status, "secondary")
    return Markup('<span class="badge badge-{}" title="{}">{}</span>').format(
        badge, escape(run.message or ""), info["text"])


class SyncActionsMixin:
    """Mixed into IntegrationView: POST schedule-sync (CSRF) and GET sync-status (JSON)."""

    db: Any
    model: Any
    resource: str

    def run_info(self, integration_id: int) -> dict[str, Any]:
        """The latest run, for the sync panel on the integration page."""
        return describe(latest_run(integration_id))

    @expose("/schedule-sync/", methods=["POST"])
    def schedule_sync(self) -> Any:
        from ..sync.scheduling import request_sync
        from .integrations import CsrfOnlyForm

        integration = self._existing(request.form.get("id"))  # type: ignore[attr-defined]
        back = self.get_url(".index_view")  # type: ignore[attr-defined]
        if integration is not None and request.form.get("back") == "edit":
            back = self.get_url(".edit_view", id=integration.id)  # type: ignore[attr-defined]
        if not CsrfOnlyForm(formdata=request.form).validate():
            flash("The form has expired; nothing was scheduled. Please try again.", "danger")
            return redirect(back)
        if integration is None:
            flash("That integration no longer exists.", "danger")
            return redirect(self.get_url(".index_view"))  # type: ignore[attr-defined]
        if not integration.enabled:
            flash(f'"{integration.name}" is disabled; enable it to sync.', "warning")
            return redirect(back)
        try:
            sync = request_sync(integration.id, trigger=request.form.get("trigger", "button")[:20])
        except (DotDigitalError, OSError) as err:
            flash(f"The sync could not be queued: {err}", "danger")
            return redirect(back)
        if sync.coalesced:
            flash(f'A sync of "{integration.name}" is already queued; your request joins it.', "info")
        else:
            flash(f'Sync of "{integration.name}" scheduled.', "success")
        return redirect(back)

    @expose("/sync-status/")
    def sync_status(self) -> Any:
        integration = self._existing(request.args.get("id"))  # type: ignore[attr-defined]
        if integration is None:
            return jsonify(error="No such integration."), 404
        if not allowed("view", self.resource):
            return deny()
        return jsonify(describe(latest_run(integration.id)))
