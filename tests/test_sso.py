"""Email Studio single sign-on against the sandbox's OAuth endpoints over loopback (reference §5).

The test client plays the browser for our app; ``requests`` plays it for the sandbox's authorise
page, which answers with a redirect straight back to our callback.
"""

from __future__ import annotations

import html
import logging
import re
import socket
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import text

from example_app import dotdigital
from example_app.models import User, db
from flask_dotdigital import sso

from .conftest import csrf_token, login
from .syncing import make_integration

STUDIO = "/admin/dotdigital/email-studio/"
CALLBACK = "http://localhost/dotdigital/oauth/callback"
OAuthToken = dotdigital.models.OAuthToken


@pytest.fixture(autouse=True)
def _sandbox_is_the_default_domain(app, sandbox):
    """The default OAuth domain (https://r1-app.dotdigital.com/) stands for the sandbox's /app/."""
    app.config["DOTDIGITAL_OAUTH_DEFAULT_DOMAIN"] = sandbox.app_url


def sso_integration(name="Main account", *, client_id="sandbox-client", domain=None):
    integration = make_integration(name)
    integration.client_id = client_id
    integration.client_secret = "sandbox-secret"
    integration.custom_oauth_domain = domain
    db.session.commit()
    return integration


def start_connect(client, integration):
    """Press Connect; return the authorise URL our app redirects to."""
    page = client.get(f"{STUDIO}?integration={integration.id}")
    response = client.post(f"/dotdigital/oauth/connect/{integration.id}",
                           data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def authorise(location):
    """The browser at Dotdigital's authorise page: return the callback URL it is sent back to."""
    response = requests.get(location, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def callback(client, url):
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def connect(client, integration):
    response = callback(client, authorise(start_connect(client, integration)))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{STUDIO}?integration={integration.id}")
    return response


def frame_src(page):
    match = re.search(r'<iframe id="dd-email-studio" src="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


def oauth_counts(sandbox):
    return sandbox.state()["oauth"]


def stored_tokens():
    db.session.expire_all()
    return db.session.execute(db.select(OAuthToken)).scalars().all()


def second_admin(app):
    user = User(email="carol@example.com", name="Carol Admin", is_admin=True)
    user.set_password("carol-password")
    db.session.add(user)
    db.session.commit()
    client = app.test_client()
    login(client, "carol@example.com", "carol-password")
    return client


# -- the happy path ---------------------------------------------------------------------------


def test_connect_then_email_studio_shows_the_signed_in_app(admin_client, sandbox):
    integration = sso_integration()
    page = admin_client.get(STUDIO).text
    assert "Connect" in page and frame_src(page) is None

    location = start_connect(admin_client, integration)
    assert location.startswith(f"{sandbox.app_url}OAuth2/authorise.aspx?")
    query = parse_qs(urlsplit(location).query, strict_parsing=True)
    assert query["redirect_uri"] == [CALLBACK]
    assert query["response_type"] == ["code"] and query["scope"] == ["Account"]
    assert query["client_id"] == ["sandbox-client"] and len(query["state"][0]) >= 32

    back = callback(admin_client, authorise(location))
    assert back.status_code == 302 and back.headers["Location"].endswith(f"?integration={integration.id}")
    studio = admin_client.get(back.headers["Location"])
    assert studio.status_code == 200
    assert "Connected to dotdigital." in studio.text and "Disconnect" in studio.text
    src = frame_src(studio.text)
    assert src.startswith(f"{sandbox.app_url}?oauthtoken=") and "suppressfooter=true" in src
    assert 'width="100%" height="1650"' in studio.text
    assert studio.headers["Content-Security-Policy"] == f"frame-src {sandbox.base_url}"
    assert studio.headers["Cache-Control"] == "no-store"
    signed_in = requests.get(src, timeout=10)
    assert signed_in.status_code == 200 and "Signed in to Sandbox Account" in signed_in.text

    # Each visit trades the stored refresh token for a new access token; no second authorise.
    again = frame_src(admin_client.get(STUDIO).text)
    assert again != src and again.startswith(f"{sandbox.app_url}?oauthtoken=")
    counts = oauth_counts(sandbox)
    assert counts["authorise_calls"] == 1
    assert counts["grants"] == {"authorization_code": 1, "refresh_token": 2}


def test_client_ids_with_equals_and_percent_are_url_encoded(admin_client, sandbox):
    client_id = "QVNY867m2DQozogTJfUmqA%3D%3D"
    location = start_connect(admin_client, sso_integration(client_id=client_id))
    assert "client_id=QVNY867m2DQozogTJfUmqA%253D%253D" in location
    assert parse_qs(urlsplit(location).query)["client_id"] == [client_id]


def test_the_refresh_token_is_encrypted_at_rest(admin_client, sandbox):
    integration = sso_integration()
    connect(admin_client, integration)
    (row,) = stored_tokens()
    plain = row.refresh_token
    raw = db.session.execute(text("SELECT refresh_token FROM dotdigital_oauth")).scalar_one()
    assert plain and raw != plain and plain not in raw
    assert raw.startswith("gAAAA")  # a Fernet token
    assert row.integration_id == integration.id and row.user_id == 1


def test_tokens_never_reach_the_logs(admin_client, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    integration = sso_integration()
    connect(admin_client, integration)
    src = frame_src(admin_client.get(STUDIO).text)
    access_token = parse_qs(urlsplit(src).query)["oauthtoken"][0]
    (row,) = stored_tokens()
    assert "Email Studio connected" in caplog.text
    assert access_token not in caplog.text and row.refresh_token not in caplog.text


# -- state -------------------------------------------------------------------------------------


def test_a_missing_state_is_refused_without_a_token_request(admin_client, sandbox):
    sso_integration()
    response = admin_client.get("/dotdigital/oauth/callback?code=anything")
    assert response.status_code == 400
    assert "does not contain a state parameter" in response.text
    assert oauth_counts(sandbox)["token_requests"] == 0 and stored_tokens() == []


def test_a_forged_state_is_refused_without_a_token_request(admin_client, sandbox):
    integration = sso_integration()
    real = parse_qs(urlsplit(authorise(start_connect(admin_client, integration))).query)
    response = admin_client.get(f"/dotdigital/oauth/callback?code={real['code'][0]}&state=forged")
    assert response.status_code == 302 and response.headers["Location"].endswith(STUDIO)
    page = admin_client.get(STUDIO).text
    assert "did not start here" in page and frame_src(page) is None
    assert oauth_counts(sandbox)["token_requests"] == 0 and stored_tokens() == []


def test_a_state_is_single_use_and_bound_to_the_session(admin_client, app, sandbox):
    integration = sso_integration()
    callback_url = authorise(start_connect(admin_client, integration))
    # Another signed-in admin cannot complete the sign-in this admin started.
    other = second_admin(app)
    refused = callback(other, callback_url)
    assert refused.status_code == 302 and "did not start here" in other.get(STUDIO).text
    assert oauth_counts(sandbox)["token_requests"] == 0

    callback(admin_client, callback_url)
    replay = callback(admin_client, callback_url)
    assert replay.status_code == 302
    assert oauth_counts(sandbox)["token_requests"] == 1  # the replay made no second exchange
    assert "did not start here" in admin_client.get(STUDIO).text
    assert [row.user_id for row in stored_tokens()] == [1]


def test_a_provider_error_is_flashed_with_its_description(admin_client, sandbox):
    integration = sso_integration()
    sandbox.control(oauth_error_next={"error": "access_denied",
                                      "error_description": "The user <b>declined</b> access."})
    back = callback(admin_client, authorise(start_connect(admin_client, integration)))
    assert back.status_code == 302
    page = admin_client.get(back.headers["Location"]).text
    assert "dotdigital refused the sign-in: The user &lt;b&gt;declined&lt;/b&gt; access." in page
    assert oauth_counts(sandbox)["token_requests"] == 0 and stored_tokens() == []


# -- per user, per domain ------------------------------------------------------------------------


def test_one_users_token_is_never_used_for_another(admin_client, app, sandbox):
    integration = sso_integration()
    connect(admin_client, integration)
    grants = oauth_counts(sandbox)["grants"]["refresh_token"]

    carol = second_admin(app)
    page = carol.get(STUDIO).text
    assert frame_src(page) is None and "Connect" in page and "Disconnect" not in page
    assert oauth_counts(sandbox)["grants"]["refresh_token"] == grants  # no refresh for Carol

    connect(carol, integration)
    assert len(stored_tokens()) == 2
    # Carol's Disconnect deletes her token only.
    page = carol.get(STUDIO).text
    carol.post(f"/dotdigital/oauth/disconnect/{integration.id}", data={"csrf_token": csrf_token(page)})
    assert [row.user_id for row in stored_tokens()] == [1]
    assert frame_src(admin_client.get(STUDIO).text) is not None
    assert frame_src(carol.get(STUDIO).text) is None


def test_the_custom_domain_is_used_for_all_three_urls(admin_client, sandbox):
    custom = f"http://localhost:{sandbox.port}/app/"
    assert custom != sandbox.app_url  # the default domain is http://127.0.0.1:PORT/app/
    integration = sso_integration(domain=custom)
    location = start_connect(admin_client, integration)
    assert location.startswith(f"{custom}OAuth2/authorise.aspx?")
    callback(admin_client, authorise(location))
    studio = admin_client.get(STUDIO)
    assert frame_src(studio.text).startswith(f"{custom}?oauthtoken=")
    assert studio.headers["Content-Security-Policy"] == f"frame-src http://localhost:{sandbox.port}"
    hosts = oauth_counts(sandbox)["hosts"]
    assert [h["endpoint"] for h in hosts] == ["authorise", "token", "token"]
    assert {h["host"] for h in hosts} == {f"localhost:{sandbox.port}"}


# -- failures ------------------------------------------------------------------------------------


def test_invalid_grant_drops_the_token_and_offers_connect_again(admin_client, sandbox):
    integration = sso_integration()
    connect(admin_client, integration)
    sandbox.control(revoke_refresh_tokens=True)
    page = admin_client.get(STUDIO)
    assert page.status_code == 200
    assert "expired or was revoked" in page.text and frame_src(page.text) is None
    assert f"/dotdigital/oauth/connect/{integration.id}" in page.text
    assert stored_tokens() == []
    connect(admin_client, integration)
    assert frame_src(admin_client.get(STUDIO).text) is not None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_network_failure_shows_unable_to_connect(admin_client, sandbox):
    integration = sso_integration()
    connect(admin_client, integration)
    integration.custom_oauth_domain = f"http://127.0.0.1:{free_port()}/app/"  # nobody listens
    db.session.commit()
    page = admin_client.get(STUDIO)
    assert page.status_code == 200
    assert "Unable to connect to dotdigital" in page.text and frame_src(page.text) is None
    assert "Disconnect" in page.text and len(stored_tokens()) == 1  # kept: try again later


def test_an_insecure_custom_domain_is_refused_not_a_500(admin_client, sandbox):
    integration = sso_integration(domain="http://example.com/")
    page = admin_client.get(STUDIO)
    assert page.status_code == 200
    response = admin_client.post(f"/dotdigital/oauth/connect/{integration.id}",
                                 data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"{STUDIO}?integration={integration.id}")
    assert "must start with https://" in admin_client.get(STUDIO).text
    assert oauth_counts(sandbox)["authorise_calls"] == 0


# -- the page --------------------------------------------------------------------------------------


def test_no_client_id_shows_the_message_and_the_edit_link(admin_client, sandbox):
    integration = make_integration()
    page = admin_client.get(STUDIO).text
    assert "Please enter Client ID and Client Key for your integration" in page
    assert f"/admin/integrations/edit/?id={integration.id}" in page
    assert "Connect</button>" not in page
    response = admin_client.post(f"/dotdigital/oauth/connect/{integration.id}",
                                 data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and oauth_counts(sandbox)["authorise_calls"] == 0


def test_the_selected_integration_is_remembered_per_user(admin_client, app, sandbox):
    first = sso_integration("A account")
    second = sso_integration("B account")
    assert f'value="{first.id}" selected' in admin_client.get(STUDIO).text
    admin_client.get(f"{STUDIO}?integration={second.id}")
    assert f'value="{second.id}" selected' in admin_client.get(STUDIO).text
    with admin_client.session_transaction() as session:
        assert session[sso.SELECTED_INTEGRATION] == second.id
    assert f'value="{first.id}" selected' in second_admin(app).get(STUDIO).text
    assert 'onchange="this.form.submit()"' in admin_client.get(STUDIO).text


def test_email_studio_opens_the_dotdigital_menu_group_once_an_integration_exists(admin_client):
    assert STUDIO not in admin_client.get("/admin/").text
    make_integration()
    page = admin_client.get("/admin/").text
    assert page.index(STUDIO) < page.index("/admin/dotdigital/accounts/")


# -- access ----------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(app, sandbox):
    integration = sso_integration()
    client = app.test_client()
    for response in (client.get(STUDIO),
                     client.get("/dotdigital/oauth/callback?code=x&state=y"),
                     client.post(f"/dotdigital/oauth/connect/{integration.id}"),
                     client.post(f"/dotdigital/oauth/disconnect/{integration.id}")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert oauth_counts(sandbox)["authorise_calls"] == 0


def test_users_without_permission_get_403(user_client, sandbox):
    integration = sso_integration()
    token = csrf_token(user_client.get("/admin/").text)
    assert user_client.get(STUDIO).status_code == 403
    assert user_client.get("/dotdigital/oauth/callback?code=x&state=y").status_code == 403
    for action in ("connect", "disconnect"):
        response = user_client.post(f"/dotdigital/oauth/{action}/{integration.id}",
                                    data={"csrf_token": token})
        assert response.status_code == 403
    assert STUDIO not in user_client.get("/admin/").text


def test_connect_and_disconnect_need_the_csrf_token(admin_client, sandbox):
    integration = sso_integration()
    assert admin_client.post(f"/dotdigital/oauth/connect/{integration.id}").status_code == 400
    assert admin_client.post(f"/dotdigital/oauth/connect/{integration.id}",
                             data={"csrf_token": "forged"}).status_code == 400
    assert admin_client.get(f"/dotdigital/oauth/connect/{integration.id}").status_code == 405
    connect(admin_client, integration)
    assert admin_client.post(f"/dotdigital/oauth/disconnect/{integration.id}").status_code == 400
    assert len(stored_tokens()) == 1
    page = admin_client.get(STUDIO).text
    response = admin_client.post(f"/dotdigital/oauth/disconnect/{integration.id}",
                                 data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and stored_tokens() == []
    page = admin_client.get(STUDIO).text
    assert "Disconnected from dotdigital." in page and "Connect</button>" in page


# -- the sandbox keeps to the contract ----------------------------------------------------------------


def token_post(sandbox, **data):
    body = {"client_id": "sandbox-client", "client_secret": "sandbox-secret", **data}
    return requests.post(f"{sandbox.app_url}OAuth2/Tokens.ashx", data=body, timeout=10)


def sandbox_code(sandbox, redirect_uri="http://localhost/cb"):
    response = requests.get(f"{sandbox.app_url}OAuth2/authorise.aspx", allow_redirects=False, timeout=10,
                            params={"client_id": "sandbox-client", "redirect_uri": redirect_uri,
                                    "response_type": "code", "scope": "Account", "state": "s1"})
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def test_sandbox_token_endpoint_is_strict(sandbox):
    code = sandbox_code(sandbox)
    json_body = requests.post(f"{sandbox.app_url}OAuth2/Tokens.ashx", timeout=10, json={
        "client_id": "sandbox-client", "client_secret": "sandbox-secret",
        "grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/cb"})
    assert json_body.status_code == 400 and json_body.json()["error"] == "invalid_request"
    wrong_secret = token_post(sandbox, client_secret="nope", grant_type="authorization_code", code=code,
                              redirect_uri="http://localhost/cb")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    wrong_uri = token_post(sandbox, grant_type="authorization_code", code=code,
                           redirect_uri="http://localhost/other")
    assert wrong_uri.status_code == 400 and wrong_uri.json()["error"] == "invalid_grant"
    # A code is spent by its first use, even a refused one.
    spent = token_post(sandbox, grant_type="authorization_code", code=code,
                       redirect_uri="http://localhost/cb")
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"

    good = token_post(sandbox, grant_type="authorization_code", code=sandbox_code(sandbox),
                      redirect_uri="http://localhost/cb").json()
    assert set(good) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert good["token_type"] == "Bearer" and good["expires_in"] == 3600
    refreshed = token_post(sandbox, grant_type="refresh_token", refresh_token=good["refresh_token"]).json()
    assert refreshed["access_token"] != good["access_token"]
    assert sandbox.control(revoke_refresh_tokens=True)["revoked"] == 1
    revoked = token_post(sandbox, grant_type="refresh_token", refresh_token=good["refresh_token"])
    assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_grant"
    state = sandbox.state()
    assert state["oauth"]["grants"] == {"authorization_code": 1, "refresh_token": 1}
    assert good["refresh_token"] not in str(state) and good["access_token"] not in str(state)


def test_sandbox_authorise_and_app_page_refuse_bad_requests(sandbox):
    url = f"{sandbox.app_url}OAuth2/authorise.aspx"
    params = {"client_id": "stranger", "redirect_uri": "http://localhost/cb", "response_type": "code",
              "scope": "Account", "state": "s"}
    assert requests.get(url, params=params, allow_redirects=False, timeout=10).status_code == 400
    params["client_id"] = "sandbox-client"
    wrong_scope = requests.get(url, params={**params, "scope": "Everything"}, allow_redirects=False,
                               timeout=10)
    assert wrong_scope.status_code == 302
    assert parse_qs(urlsplit(wrong_scope.headers["Location"]).query)["error"] == ["invalid_scope"]
    no_state = requests.get(url, params={**params, "state": ""}, allow_redirects=False, timeout=10)
    assert no_state.status_code == 400
    page = requests.get(sandbox.app_url, params={"oauthtoken": "made-up"}, timeout=10)
    assert page.status_code == 401 and "Not signed in" in page.text
