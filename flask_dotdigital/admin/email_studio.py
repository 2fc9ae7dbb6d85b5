"""Marketing → dotdigital → Email Studio: Dotdigital's own app in an iframe, signed in through OAuth.

As Oro's Email Studio page (§4): an integration selector remembered per user; a note with an edit
link while the integration has no Client ID or Client Secret key; Connect for a user who has not
signed in; otherwise a fresh access token from the stored refresh token, the app in an iframe and
Disconnect. The OAuth work itself lives in :mod:`flask_dotdigital.sso`; this view only renders it.
"""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, request, session, url_for
from flask_admin import BaseView, expose

from .. import sso
from ..errors import DotDigitalError, TransportError
from .access import allowed
from .integrations import CsrfOnlyForm
from .marketing import DotdigitalGroupMixin

#: iframe height in pixels, as Oro's page (§4)
FRAME_HEIGHT = 1650
NO_FRAMES = "'none'"


class EmailStudioView(DotdigitalGroupMixin, BaseView):
    resource = sso.RESOURCE

    def __init__(self, *, db: Any, integration_model: Any, **kwargs: Any) -> None:
        self.db = db
        self.integration_model = integration_model
        super().__init__(**kwargs)

    def _integrations(self) -> list[Any]:
        model = self.integration_model
        query = self.db.select(model).where(model.type == "dotdigital").order_by(model.name)
        return list(self.db.session.execute(query).scalars())

    @staticmethod
    def _selected(integrations: list[Any]) -> Any:
        """The integration asked for, else the one this user last opened, else the first."""
        by_id = {integration.id: integration for integration in integrations}
        wanted = request.args.get("integration", type=int)
        if wanted not in by_id:
            wanted = session.get(sso.SELECTED_INTEGRATION)
        selected = by_id.get(wanted) if wanted in by_id else (integrations[0] if integrations else None)
        if selected is not None and session.get(sso.SELECTED_INTEGRATION) != selected.id:
            session[sso.SELECTED_INTEGRATION] = selected.id
        return selected

    @staticmethod
    def _open(integration: Any) -> tuple[str | None, bool, str | None]:
        """(iframe URL, whether the user has a stored token, frame origin) for ``integration``."""
        if integration is None or not integration.has_sso_credentials:
            return None, False, None
        try:
            origin = sso.endpoints(integration).origin
            url = sso.studio_url(integration, sso.user_key(), sso.token_storage())
        except sso.Reconnect:
            flash("Your dotdigital sign-in has expired or was revoked. Connect again.", "warning")
            return None, False, None
        except TransportError:
            flash(sso.UNREACHABLE, "error")
            return None, True, None
        except DotDigitalError as err:
            flash(f"dotdigital refused the sign-in: {err}", "error")
            return None, True, None
        return url, url is not None, origin if url else None

    @expose("/")
    def index(self) -> Any:
        integrations = self._integrations()
        selected = self._selected(integrations)
        frame_url, connected, origin = self._open(selected)
        edit_url = None
        if selected is not None and allowed("edit", "integration"):
            edit_url = url_for("dotdigital_integration.edit_view", id=selected.id,
                               url=url_for(".index", integration=selected.id))
        html = self.render(
            "dotdigital/email_studio/index.html", integrations=integrations, selected=selected,
            frame_url=frame_url, connected=connected, edit_url=edit_url, frame_height=FRAME_HEIGHT,
            missing_credentials=sso.MISSING_CREDENTIALS, can_connect=allowed("connect", sso.RESOURCE),
            csrf_token=CsrfOnlyForm().csrf_token.current_token)
        response = make_response(html)
        # Frames only from the Dotdigital domain in use; the page holds an access token: no caching.
        response.headers["Content-Security-Policy"] = f"frame-src {origin or NO_FRAMES}"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "same-origin"
        return response
