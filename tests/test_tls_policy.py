"""Which hosts the server may call, and that TLS verification stays on whatever is configured.

The TLS tests talk to real servers on loopback: one with a self-signed certificate (made here with
the cryptography package), and plain-http ones that count what reaches them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from example_app import create_app
from flask_dotdigital.api.urls import checked_url
from flask_dotdigital.config import production_mode
from flask_dotdigital.connection import check_credentials
from flask_dotdigital.errors import ConfigError, InsecureEndpoint, TransportError
from flask_dotdigital.sso import exchange_code

# -- loopback servers ------------------------------------------------------------------------------


class Counting(BaseHTTPRequestHandler):
    """Counts requests; answers a small JSON body, or a redirect when the server has one."""

    def _answer(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        redirect = getattr(self.server, "redirect", None)
        self.send_response(302 if redirect else 200)
        if redirect:
            self.send_header("Location", redirect)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving(context: ssl.SSLContext | None = None, redirect: str | None = None) -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    server.hits = 0  # type: ignore[attr-defined]
    server.redirect = redirect  # type: ignore[attr-defined]
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if context is not None else "http"
    server.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: Any) -> tuple[str, ssl.SSLContext]:
    """(path of the certificate, server context): a certificate for 127.0.0.1 that signs itself."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return str(cert_path), context


# -- production mode -------------------------------------------------------------------------------


def production_config(tmp_path: Any, **extra: Any) -> dict[str, Any]:
    """An app as deployed: neither debug nor testing, discovery on Dotdigital's own host."""
    return {"SECRET_KEY": "production-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite",
            "EXAMPLE_SEED": False, **extra}


def test_production_mode_refuses_insecure_hosts_at_init(tmp_path):
    with pytest.raises(ConfigError, match="DOTDIGITAL_ALLOW_INSECURE_HOSTS"):
        create_app(production_config(tmp_path, DOTDIGITAL_ALLOW_INSECURE_HOSTS=True))


def test_production_mode_refuses_insecure_hosts_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DOTDIGITAL_ALLOW_INSECURE_HOSTS", "1")  # how RQ workers get their settings
    with pytest.raises(ConfigError, match="DOTDIGITAL_ALLOW_INSECURE_HOSTS"):
        create_app(production_config(tmp_path))


@pytest.mark.parametrize(("key", "value"), [
    ("DOTDIGITAL_API_BASE_URL", "http://r1-api.dotdigital.com"),
    ("DOTDIGITAL_API_BASE_URL", "ftp://r1-api.dotdigital.com"),
    ("DOTDIGITAL_OAUTH_DEFAULT_DOMAIN", "javascript:alert(1)"),
    ("DOTDIGITAL_OAUTH_DEFAULT_DOMAIN", "http://10.0.0.8/"),
])
def test_production_mode_refuses_a_non_https_dotdigital_url_at_init(tmp_path, key, value):
    with pytest.raises(ConfigError, match=key):
        create_app(production_config(tmp_path, **{key: value}))


def test_a_production_app_with_the_defaults_starts(tmp_path):
    app = create_app(production_config(tmp_path))
    assert production_mode(app) and app.config["DOTDIGITAL_ALLOW_INSECURE_HOSTS"] is False


@pytest.mark.parametrize("extra", [
    {"TESTING": True},
    {"DEBUG": True},
    # The demo, the tests' RQ workers and the benchmarks: the sandbox on loopback, no debug or testing.
    {"DOTDIGITAL_API_BASE_URL": "http://127.0.0.1:8025/r1"},
])
def test_outside_production_mode_insecure_hosts_are_allowed(tmp_path, extra):
    app = create_app(production_config(tmp_path, DOTDIGITAL_ALLOW_INSECURE_HOSTS=True, **extra))
    assert not production_mode(app)


# -- which URLs the server may call ----------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://r1-api.dotdigital.com",  # http, not loopback
    "http://10.0.0.8:8025",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1.nip.io/",  # looks like loopback, resolves anywhere
    "javascript:alert(1)",
    "ftp://r1-api.dotdigital.com",
    "https://user:secret@r1-api.dotdigital.com",
    "https://r1-api.dotdigital.com\t.evil.example",
    "http://127.0.0.1\x00.evil.example",
    "//r1-api.dotdigital.com",
    "",
])
def test_endpoints_that_are_not_https_or_loopback_are_refused(url):
    for allowed in (False, True):
        with pytest.raises(InsecureEndpoint):
            checked_url(url, allow_insecure_hosts=allowed)


def test_plain_http_reaches_loopback_only_when_insecure_hosts_are_allowed():
    for url in ("http://127.0.0.1:8025/r1", "http://localhost:8025", "http://[::1]:8025"):
        assert checked_url(url, allow_insecure_hosts=True) == url
        with pytest.raises(InsecureEndpoint):
            checked_url(url)
    assert checked_url("https://r1-api.dotdigital.com") == "https://r1-api.dotdigital.com"
    # Whitespace around a pasted value is trimmed; only inside a URL is it refused.
    assert checked_url(" https://r1-api.dotdigital.com\n") == "https://r1-api.dotdigital.com"


# -- TLS verification ------------------------------------------------------------------------------

#: Every way someone might try to switch verification off: none of them may work.
VERIFY_OFF_ENV = [
    {},
    {"CURL_CA_BUNDLE": ""},
    {"REQUESTS_CA_BUNDLE": ""},
    {"CURL_CA_BUNDLE": "", "REQUESTS_CA_BUNDLE": ""},
    {"PYTHONHTTPSVERIFY": "0"},
]
VERIFY_OFF_CONFIG = {"DOTDIGITAL_VERIFY_TLS": False, "DOTDIGITAL_API_VERIFY": False,
                     "DOTDIGITAL_SSL_VERIFY": False, "DOTDIGITAL_TLS_VERIFY": False}


@pytest.fixture
def unverified_attempts(app, monkeypatch):
    for key in ("CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(key, raising=False)
    app.config.update(VERIFY_OFF_CONFIG, DOTDIGITAL_API_MAX_RETRIES=0)
    return monkeypatch


def caused_by_ssl(err: BaseException) -> bool:
    while err is not None:
        if isinstance(err, requests.exceptions.SSLError):
            return True
        err = err.__cause__ or err.__context__
    return False


@pytest.mark.parametrize("env", VERIFY_OFF_ENV)
def test_the_api_client_refuses_a_self_signed_certificate(app, self_signed, unverified_attempts, env):
    for key, value in env.items():
        unverified_attempts.setenv(key, value)
    with serving(self_signed[1]) as server:
        app.config["DOTDIGITAL_API_BASE_URL"] = server.url
        with pytest.raises(TransportError) as failure:
            check_credentials("api@apiconnector.com", "sandbox-password")
        assert caused_by_ssl(failure.value)
        assert server.hits == 0, "no request got past the handshake"


def test_a_ca_bundle_from_the_environment_is_trusted_not_a_way_off(app, self_signed, unverified_attempts):
    """The control: the same server answers once its certificate is what we trust."""
    unverified_attempts.setenv("REQUESTS_CA_BUNDLE", self_signed[0])
    with serving(self_signed[1]) as server:
        app.config["DOTDIGITAL_API_BASE_URL"] = server.url
        with pytest.raises(Exception) as failure:  # noqa: PT011 - the empty {} is not an account
            check_credentials("api@apiconnector.com", "sandbox-password")
        assert not caused_by_ssl(failure.value)
        assert server.hits == 1


def integration_at(domain: str) -> Any:
    return SimpleNamespace(id=1, client_id="client", client_secret="secret",  # noqa: S106
                           custom_oauth_domain=domain)


@pytest.mark.parametrize("env", VERIFY_OFF_ENV)
def test_single_sign_on_refuses_a_self_signed_certificate(app, self_signed, unverified_attempts, caplog,
                                                          env):
    for key, value in env.items():
        unverified_attempts.setenv(key, value)
    caplog.set_level(logging.WARNING, "flask_dotdigital.sso")
    with serving(self_signed[1]) as server, app.test_request_context():
        with pytest.raises(TransportError):
            exchange_code(integration_at(server.url + "/"), code="c", redirect_uri="https://crm/cb")
        assert server.hits == 0
    assert "SSLError" in caplog.text


def test_single_sign_on_does_not_follow_a_redirect_elsewhere(app):
    with serving() as elsewhere, serving(redirect=elsewhere.url + "/steal") as oauth_domain, \
            app.test_request_context():
        with pytest.raises(TransportError):
            exchange_code(integration_at(oauth_domain.url + "/"), code="c", redirect_uri="https://crm/cb")
        assert (oauth_domain.hits, elsewhere.hits) == (1, 0)
