"""OAuth 2 single sign-on on the web-app host ``/app/`` (reference §5), strictly as the contract says:

- ``GET /app/OAuth2/authorise.aspx`` shows no login screen: a known client with a redirect_uri and a
  state is sent straight back to ``redirect_uri?code=<code>&state=<state>``. An unknown client or a
  missing redirect_uri/state gets a 400 page (there is nowhere safe to redirect to); a wrong
  response_type or scope goes back as ``?error=...&error_description=...&state=...`` (RFC 6749 §4.1.2.1).
- ``POST /app/OAuth2/Tokens.ashx`` takes form-encoded bodies only, with client_id and client_secret in
  the body, for the ``authorization_code`` grant (code single-use, redirect_uri equal to the authorise
  one) and the ``refresh_token`` grant. The answer is ``{"access_token", "refresh_token", "token_type",
  "expires_in"}``; errors are ``{"error": "invalid_grant", "error_description": ...}`` with 400, or
  ``invalid_client`` with 401 (the error strings are [UNSURE] in the reference).
- ``GET /app/?oauthtoken=<access token>`` stands for Dotdigital's app: a small "signed in" page naming
  the account, or a 401 page for an unknown or expired token.

Refresh tokens are not rotated: neither Magento nor Oro expects a new one (§5 step 5 [UNSURE]).
Control keys: ``revoke_refresh_tokens`` (force ``invalid_grant``) and ``oauth_error_next``.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, request
from markupsafe import escape
from werkzeug.wrappers import Response as BaseResponse

from ..oauth_ledger import OAuthCode, OAuthLedger
from ..state import SandboxState, current_state

APP_PREFIX = "/app"
CODE_TTL = 600.0
ACCESS_TOKEN_TTL = 3600
FORM_ENCODED = "application/x-www-form-urlencoded"
#: ``/__control`` keys handled here
OAUTH_SETTINGS = {"revoke_refresh_tokens", "oauth_error_next"}


def _page(status: int, title: str, text: str) -> Response:
    body = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)} · dotdigital '
        f'sandbox</title></head><body style="font-family: sans-serif; margin: 2rem">'
        f'<h1>{escape(title)}</h1><p id="message">{escape(text)}</p></body></html>'
    )
    return Response(body, status=status, mimetype="text/html")


def _oauth_error(status: int, error: str, description: str) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _with_query(url: str, params: Mapping[str, str]) -> str:
    return f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(params)}"


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _ledger() -> tuple[SandboxState, OAuthLedger]:
    state = current_state()
    return state, state.oauth


def _is_absolute_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def authorise() -> BaseResponse:
    state, ledger = _ledger()
    args = request.args
    with state.lock:
        ledger.authorise_calls += 1
        ledger.hosts.append(("authorise", request.host))
        injected, ledger.error_next = ledger.error_next, None
    if not _same(args.get("client_id"), state.config.client_id):
        return _page(400, "Invalid client", "The client_id is missing or not registered.")
    redirect_uri, client_state = args.get("redirect_uri") or "", args.get("state")
    if not _is_absolute_http(redirect_uri):
        return _page(400, "Invalid request", "redirect_uri must be an absolute http(s) URL.")
    if not client_state:
        return _page(400, "Invalid request", "The request does not contain a state parameter.")
    problem = injected
    if args.get("response_type") != "code":
        problem = ("unsupported_response_type", "response_type must be code.")
    elif args.get("scope") != "Account":
        problem = ("invalid_scope", "scope must be Account.")
    if problem is not None:
        error, description = problem
        return redirect(
            _with_query(
                redirect_uri, {"error": error, "error_description": description, "state": client_state}
            )
        )
    code = secrets.token_urlsafe(24)
    with state.lock:
        ledger.codes[code] = OAuthCode(state.config.client_id, redirect_uri, time.time() + CODE_TTL)
    return redirect(_with_query(redirect_uri, {"code": code, "state": client_state}))


def _issue(ledger: OAuthLedger, grant: str, refresh_token: str) -> Response:
    access_token = secrets.token_urlsafe(24)
    ledger.access_tokens[access_token] = time.time() + ACCESS_TOKEN_TTL
    ledger.refresh_tokens.add(refresh_token)
    ledger.grants[grant] += 1
    response = jsonify(
        {
            "access_token": access_token,
            "refresh_token": refresh_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _code_grant(state: SandboxState, ledger: OAuthLedger, form: Mapping[str, str]) -> Response:
    with state.lock:
        # Popped before any check: a code is spent by its first use, right or wrong.
        issued = ledger.codes.pop(form.get("code") or "", None)
        if issued is None or issued.expires < time.time():
            return _oauth_error(400, "invalid_grant", "The authorisation code is invalid or expired.")
        if not _same(form.get("redirect_uri"), issued.redirect_uri):
            return _oauth_error(400, "invalid_grant", "redirect_uri does not match the authorise request.")
        return _issue(ledger, "authorization_code", secrets.token_urlsafe(32))


def _refresh_grant(state: SandboxState, ledger: OAuthLedger, form: Mapping[str, str]) -> Response:
    refresh_token = form.get("refresh_token") or ""
    with state.lock:
        if refresh_token not in ledger.refresh_tokens:
            return _oauth_error(400, "invalid_grant", "The refresh token is invalid or has been revoked.")
        return _issue(ledger, "refresh_token", refresh_token)


def tokens() -> Response:
    state, ledger = _ledger()
    with state.lock:
        ledger.token_requests += 1
        ledger.hosts.append(("token", request.host))
    if request.mimetype != FORM_ENCODED:
        return _oauth_error(400, "invalid_request", f"Send the parameters as {FORM_ENCODED}.")
    form = request.form
    client_ok = _same(form.get("client_id"), state.config.client_id)
    if not (client_ok and _same(form.get("client_secret"), state.config.client_secret)):
        return _oauth_error(401, "invalid_client", "Client authentication failed.")
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return _code_grant(state, ledger, form)
    if grant_type == "refresh_token":
        return _refresh_grant(state, ledger, form)
    return _oauth_error(
        400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token."
    )


def app_page() -> Response:
    state, ledger = _ledger()
    token = request.args.get("oauthtoken") or ""
    with state.lock:
        ledger.hosts.append(("app", request.host))
        expires = ledger.access_tokens.get(token)
        valid = expires is not None and expires > time.time()
        if valid:
            ledger.signed_in_pages += 1
    if not valid:
        return _page(401, "Not signed in", "The oauthtoken is missing, unknown or expired.")
    config = state.config
    return _page(200, "dotdigital sandbox", f"Signed in to {config.account_name} as {config.main_email}.")


def parse_control(body: Mapping[str, Any]) -> dict[str, Any]:
    """Check the OAuth control keys before anything is applied; raises ValueError."""
    settings: dict[str, Any] = {}
    if "revoke_refresh_tokens" in body:
        if not isinstance(body["revoke_refresh_tokens"], bool):
            raise ValueError("revoke_refresh_tokens must be true or false")
        settings["revoke"] = body["revoke_refresh_tokens"]
    if "oauth_error_next" in body:
        spec = body["oauth_error_next"]
        if not isinstance(spec, Mapping) or not isinstance(spec.get("error"), str):
            raise ValueError('oauth_error_next must be {"error": "access_denied", "error_description": ...}')
        settings["error_next"] = (spec["error"], str(spec.get("error_description", "")))
    return settings


def apply_control(state: SandboxState, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Apply parsed OAuth control settings (the caller holds the state's lock)."""
    results: dict[str, Any] = {}
    if settings.get("revoke"):
        results["revoked"] = len(state.oauth.refresh_tokens)
        state.oauth.refresh_tokens.clear()
    if "error_next" in settings:
        state.oauth.error_next = settings["error_next"]
    return results


def register(web_app: Blueprint) -> None:
    """Add the rules to the web-app host's blueprint (``/app``)."""
    web_app.add_url_rule("/OAuth2/authorise.aspx", "authorise", authorise, methods=["GET"])
    web_app.add_url_rule("/OAuth2/Tokens.ashx", "tokens", tokens, methods=["POST"])
    web_app.add_url_rule("/", "app_page", app_page, methods=["GET"])
