"""Email Studio single sign-on: the ``dotdigital_sso`` blueprint, its token storage and the OAuth calls.

OAuth 2 here only signs a person into Dotdigital's web app (dotdigital-api.md §5). Connect sends the
browser to ``<domain>OAuth2/authorise.aspx``; Dotdigital calls back to ``<prefix>/oauth/callback``
with a code; the code becomes a refresh token kept per (integration, user); and every Email Studio
visit trades that refresh token for a short-lived access token that goes into the iframe URL and
nowhere else. Shaped like Flask-Dance: :func:`make_sso_blueprint` with keyword-only options, tokens
behind a get/set/delete storage. Authlib's requests client speaks the protocol; TLS verification
stays on, and no code or token is ever logged or flashed.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError, NoInspectionAvailable
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from .admin.access import allowed, deny
from .admin.integrations import CsrfOnlyForm
from .api.base import USER_AGENT
from .api.urls import normalise_domain
from .errors import ApiError, ConfigError, DotDigitalError, TransportError

log = logging.getLogger("flask_dotdigital.sso")

BLUEPRINT = "dotdigital_sso"
#: permission resource of Email Studio; actions "view" (the page) and "connect" (Connect/Disconnect)
RESOURCE = "email_studio"
#: session key of the integration the user last opened in Email Studio
SELECTED_INTEGRATION = "dotdigital_email_studio_integration"
#: session key of the sign-ins started here and not yet called back: state → what it is bound to
PENDING_STATES = "dotdigital_sso_states"
#: older pending sign-ins are forgotten (abandoned tabs must not grow the session cookie)
MAX_PENDING = 5
UNREACHABLE = "Unable to connect to dotdigital"
MISSING_CREDENTIALS = "Please enter Client ID and Client Key for your integration"


class Reconnect(ApiError):
    """Dotdigital refused the stored refresh token (``invalid_grant``); it is dropped, connect again."""


# -- token storage ------------------------------------------------------------------------------


class TokenStorage(Protocol):
    """Where refresh tokens live, one per (integration, user)."""

    def get(self, integration_id: int, user_id: Any) -> str | None: ...

    def set(self, integration_id: int, user_id: Any, refresh_token: str) -> None: ...

    def delete(self, integration_id: int, user_id: Any) -> None: ...


class SQLAlchemyStorage:
    """Refresh tokens in ``dotdigital_oauth``; the column encrypts them at rest."""

    def __init__(self, db: Any, model: Any) -> None:
        self.db = db
        self.model = model

    def _row(self, integration_id: int, user_id: Any) -> Any:
        m = self.model
        query = self.db.select(m).where(m.integration_id == integration_id, m.user_id == user_id)
        return self.db.session.execute(query).scalar_one_or_none()

    def get(self, integration_id: int, user_id: Any) -> str | None:
        row = self._row(integration_id, user_id)
        return row.refresh_token if row is not None else None

    def set(self, integration_id: int, user_id: Any, refresh_token: str) -> None:
        for _attempt in range(2):
            row = self._row(integration_id, user_id)
            if row is None:
                row = self.model(integration_id=integration_id, user_id=user_id)
                self.db.session.add(row)
            row.refresh_token = refresh_token
            try:
                self.db.session.commit()
                return
            except IntegrityError:
                # Two callbacks of one user raced to insert the row: update the winner's.
                self.db.session.rollback()
        raise ConfigError("The dotdigital sign-in could not be saved; press Connect again.")

    def delete(self, integration_id: int, user_id: Any) -> None:
        m = self.model
        self.db.session.execute(
            self.db.delete(m).where(m.integration_id == integration_id, m.user_id == user_id))
        self.db.session.commit()


def token_storage() -> TokenStorage:
    """The storage of this app's ``dotdigital_sso`` blueprint."""
    blueprint = current_app.blueprints.get(BLUEPRINT)
    storage = getattr(blueprint, "storage", None)
    if storage is None:
        ext = current_app.extensions["dotdigital"].ext
        storage = SQLAlchemyStorage(ext.db, ext.models.OAuthToken)
    return storage


def user_key() -> Any:
    """The signed-in user's primary key (what ``dotdigital_oauth.user_id`` refers to)."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    try:
        identity = sa_inspect(user).identity
    except NoInspectionAvailable:
        identity = None
    return identity[0] if identity else user.get_id()


# -- Dotdigital's OAuth endpoints -----------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    """The three URLs of §5 on one domain: the integration's custom one or the default one."""

    domain: str

    @property
    def authorise(self) -> str:
        return f"{self.domain}OAuth2/authorise.aspx"

    @property
    def token(self) -> str:
        return f"{self.domain}OAuth2/Tokens.ashx"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.domain)
        return f"{parts.scheme}://{parts.netloc}"

    def app(self, access_token: str) -> str:
        # Magento's older form (§5 step 6); any page of the app accepts the token.
        return f"{self.domain}?{urlencode({'oauthtoken': access_token, 'suppressfooter': 'true'})}"


def endpoints(integration: Any) -> Endpoints:
    """Raises :class:`~flask_dotdigital.errors.InsecureEndpoint` for a non-https domain."""
    config = current_app.config
    domain = integration.custom_oauth_domain or config["DOTDIGITAL_OAUTH_DEFAULT_DOMAIN"]
    return Endpoints(normalise_domain(
        domain, allow_insecure_hosts=bool(config["DOTDIGITAL_ALLOW_INSECURE_HOSTS"])))


def _client(integration: Any, **options: Any) -> OAuth2Session:
    # client_secret_post: Dotdigital reads client_id and client_secret from the form body (§5 step 4).
    client = OAuth2Session(integration.client_id, integration.client_secret,
                           token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
                           **options)
    client.verify = True  # never switched off (Oro's defect, §6)
    # The token endpoint answers directly; a redirect could send the code or the secret, or just
    # our request, to a host that checked_url never saw. requests raises TooManyRedirects instead.
    client.max_redirects = 0
    client.headers["User-Agent"] = USER_AGENT
    return client


def authorise_url(integration: Any, *, state: str, redirect_uri: str) -> str:
    client = _client(integration, redirect_uri=redirect_uri, scope="Account")
    with client:
        url, _state = client.create_authorization_url(endpoints(integration).authorise, state=state)
    return str(url)


def _token_request(integration: Any, call: Callable[[OAuth2Session, str, Any], Any]) -> dict[str, Any]:
    """POST to Tokens.ashx through ``call``; Dotdigital's refusals become :class:`ApiError`."""
    token_url = endpoints(integration).token
    config = current_app.config
    timeout = (float(config["DOTDIGITAL_API_CONNECT_TIMEOUT"]), float(config["DOTDIGITAL_API_READ_TIMEOUT"]))
    try:
        with _client(integration) as client:
            return dict(call(client, token_url, timeout))
    except OAuthError as err:
        raise ApiError(err.description or err.error or "dotdigital refused the request",
                       code=err.error) from None
    except (requests.RequestException, ValueError) as err:
        # The class only: a requests message can carry the URL, and nothing here may carry more.
        log.warning("dotdigital token endpoint of integration %s failed: %s", integration.id,
                    type(err).__name__)
        raise TransportError(UNREACHABLE) from None


def exchange_code(integration: Any, *, code: str, redirect_uri: str) -> str:
    """The refresh token for an authorisation ``code`` (§5 step 4)."""
    token = _token_request(integration, lambda client, url, timeout: client.fetch_token(
        url, grant_type="authorization_code", code=code, redirect_uri=redirect_uri, timeout=timeout))
    refresh_token = token.get("refresh_token")
    if not refresh_token:
        raise ApiError("dotdigital did not return a refresh token; press Connect again.")
    return str(refresh_token)


def studio_url(integration: Any, user_id: Any, storage: TokenStorage) -> str | None:
    """The signed-in app URL for this user, from a fresh access token; None when not connected."""
    refresh_token = storage.get(integration.id, user_id)
    if refresh_token is None:
        return None
    try:
        token = _token_request(integration, lambda client, url, timeout: client.refresh_token(
            url, refresh_token=refresh_token, timeout=timeout))
    except ApiError as err:
        if err.code == "invalid_grant":
            storage.delete(integration.id, user_id)
            raise Reconnect(err.message, code=err.code) from None
        raise
    access_token = token.get("access_token")
    if not access_token:
        raise ApiError("dotdigital did not return an access token.")
    rotated = token.get("refresh_token")
    if rotated and rotated != refresh_token:
        # Neither Magento nor Oro sees rotation (§5 step 5 [UNSURE]); keep the newest if it happens.
        storage.set(integration.id, user_id, str(rotated))
    return endpoints(integration).app(str(access_token))


# -- the blueprint --------------------------------------------------------------------------------


class SSOBlueprint(Blueprint):
    storage: TokenStorage | None = None


def make_sso_blueprint(*, url_prefix: str = "/dotdigital", storage: TokenStorage | None = None
                       ) -> SSOBlueprint:
    """The ``dotdigital_sso`` blueprint: Connect, the OAuth callback and Disconnect.

    :param url_prefix: the callback is ``<url_prefix>/oauth/callback``; register that URL on the
        Dotdigital side.
    :param storage: where refresh tokens live; defaults to the extension's ``dotdigital_oauth`` table.
    """
    blueprint = SSOBlueprint(BLUEPRINT, __name__, url_prefix=url_prefix)
    blueprint.storage = storage
    blueprint.add_url_rule("/oauth/connect/<int:integration_id>", "connect", connect, methods=["POST"])
    blueprint.add_url_rule("/oauth/callback", "callback", callback, methods=["GET"])
    blueprint.add_url_rule("/oauth/disconnect/<int:integration_id>", "disconnect", disconnect,
                           methods=["POST"])
    return blueprint


def email_studio_url(integration_id: int | None = None) -> str:
    try:
        return url_for("dotdigital_email_studio.index", integration=integration_id)
    except BuildError:  # the host app has no admin, so no Email Studio page
        return request.url_root


def _integration(integration_id: int) -> Any:
    model = current_app.extensions["dotdigital"].ext.models.Integration
    integration = current_app.extensions["dotdigital"].ext.db.session.get(model, integration_id)
    if integration is None or integration.type != "dotdigital":
        return None
    return integration


def _checked_post(integration_id: int) -> Any:
    """The integration of a Connect/Disconnect POST, after the permission and CSRF checks."""
    if not allowed("connect", RESOURCE):
        abort(deny())
    if not CsrfOnlyForm(formdata=request.form).validate():
        abort(400, "The form has expired; reload Email Studio and try again.")
    integration = _integration(integration_id)
    if integration is None:
        abort(404)
    return integration


def connect(integration_id: int) -> Response:
    integration = _checked_post(integration_id)
    if not integration.has_sso_credentials:
        flash(MISSING_CREDENTIALS, "error")
        return redirect(email_studio_url(integration.id))
    state = secrets.token_urlsafe(32)
    redirect_uri = url_for(f"{BLUEPRINT}.callback", _external=True)
    try:
        target = authorise_url(integration, state=state, redirect_uri=redirect_uri)
    except ConfigError as err:
        flash(str(err), "error")
        return redirect(email_studio_url(integration.id))
    pending = dict(session.get(PENDING_STATES) or {})
    pending[state] = {"integration": integration.id, "user": str(user_key()), "redirect_uri": redirect_uri}
    session[PENDING_STATES] = dict(list(pending.items())[-MAX_PENDING:])
    return redirect(target)


def _take_state(state: str) -> dict[str, Any] | None:
    """The pending sign-in ``state`` names, removed from the session (a state is single-use)."""
    pending = dict(session.get(PENDING_STATES) or {})
    found = next((key for key in pending if hmac.compare_digest(key.encode(), state.encode())), None)
    if found is None:
        return None
    entry = pending.pop(found)
    session[PENDING_STATES] = pending
    return entry if entry.get("user") == str(user_key()) else None


def callback() -> Response:
    if not allowed("connect", RESOURCE):
        abort(deny())
    state = request.args.get("state")
    if not state:
        abort(400, "The request does not contain a state parameter.")
    pending = _take_state(state)
    if pending is None:
        flash("This dotdigital sign-in did not start here or was already used; press Connect again.",
              "error")
        return redirect(email_studio_url())
    integration = _integration(int(pending["integration"]))
    if integration is None:
        flash("Incorrect callback URL", "error")
        return redirect(email_studio_url())
    session[SELECTED_INTEGRATION] = integration.id
    back = redirect(email_studio_url(integration.id))
    if "error" in request.args:
        message = request.args.get("error_description") or request.args["error"]
        flash(f"dotdigital refused the sign-in: {message}", "error")
        return back
    code = request.args.get("code")
    if not code:
        flash("dotdigital sent no authorisation code; press Connect again.", "error")
        return back
    try:
        refresh_token = exchange_code(integration, code=code, redirect_uri=pending["redirect_uri"])
        token_storage().set(integration.id, user_key(), refresh_token)
    except TransportError:
        flash(UNREACHABLE, "error")
    except DotDigitalError as err:
        flash(f"dotdigital refused the sign-in: {err}", "error")
    else:
        log.info("Email Studio connected: integration %s, user %s", integration.id, user_key())
        flash("Connected to dotdigital.", "success")
    return back


def disconnect(integration_id: int) -> Response:
    integration = _checked_post(integration_id)
    token_storage().delete(integration.id, user_key())
    flash("Disconnected from dotdigital.", "success")
    return redirect(email_studio_url(integration.id))
