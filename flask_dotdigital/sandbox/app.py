"""The sandbox's Flask app factory. One app on one port stands for three Dotdigital hosts by
path prefix: ``/r1`` is the discovery host (https://r1-api.dotdigital.com), ``/r2`` the account's
regional API host and ``/app/`` the web-app host of OAuth single sign-on (``routes/oauth.py``).
API errors come back in Dotdigital's ``{"message": ...}`` shape; the control routes live in
``control.py``.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from . import gate
from .control import control
from .conventions import ApiError, code_message, message_response
from .routes import register_routes
from .state import EXTENSION_KEY, SandboxConfig, SandboxState


def _api_http_error(err: HTTPException) -> Response | HTTPException:
    if not gate.is_api_path(request.path):
        return err
    if isinstance(err, MethodNotAllowed):
        # Not in the reference; ASP.NET Web API's stock 405 text [UNSURE].
        message = f"The requested resource does not support http method '{request.method}'."
        return message_response(405, message)
    if err.code == 404:
        return message_response(404, code_message("ERROR_RESOURCE_NOT_FOUND"))
    return message_response(err.code or 500, gate.SERVER_ERROR)


def _api_error(err: ApiError) -> Response:
    return err.to_response()


def create_app(config: SandboxConfig | None = None, state: SandboxState | None = None) -> Flask:
    """Build the sandbox app around ``state`` (or a fresh state made from ``config``)."""
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = state or SandboxState(config)
    # Keep the emitted key order (account properties read like the reference example).
    app.json.sort_keys = False  # type: ignore[attr-defined]
    gate.install(app)
    register_routes(app)
    app.register_blueprint(control)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _api_http_error)
    return app
