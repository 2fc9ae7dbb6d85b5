"""``flask dotdigital ...``: the commands, their exit codes, and secrets kept out of argv and output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from example_app import dotdigital
from example_app.models import db

from .conftest import SANDBOX_PASSWORD, SANDBOX_USER

ROOT = Path(__file__).resolve().parent.parent


def run(app, *args, input=None, env=None):
    return app.test_cli_runner().invoke(args=["dotdigital", *args], input=input, env=env)


def create(app, *extra, name="Main", password=SANDBOX_PASSWORD, input_extra=""):
    return run(app, "integration", "create", "--name", name, "--username", SANDBOX_USER,
               "--owner", "admin@example.com", *extra, input=f"{password}\n{input_extra}")


def test_flask_app_example_app_dotdigital_help_lists_the_commands(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "example_app", "dotdigital",
                             "--help"], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    for command in ("check", "integration", "sandbox"):
        assert command in result.stdout


def test_create_reads_the_password_from_stdin_and_discovers_the_account(app):
    result = create(app)
    assert result.exit_code == 0, result.output
    assert 'Created integration "Main"' in result.output and "Sandbox Account" in result.output
    saved = db.session.execute(db.select(dotdigital.models.Integration)).scalar_one()
    assert saved.password == SANDBOX_PASSWORD
    assert saved.default_owner.email == "admin@example.com"
    assert SANDBOX_PASSWORD not in result.output


def test_create_reads_the_password_from_the_environment_and_the_secret_from_stdin(app):
    result = run(app, "integration", "create", "--name", "Env", "--username", SANDBOX_USER,
                 "--owner", "admin@example.com", "--client-id", "cid", "--client-secret-stdin",
                 "--custom-oauth-domain", "https://app.example.com",
                 input="the-client-secret\n", env={"DOTDIGITAL_PASSWORD": SANDBOX_PASSWORD})
    assert result.exit_code == 0, result.output
    saved = db.session.execute(db.select(dotdigital.models.Integration)).scalar_one()
    assert (saved.client_id, saved.client_secret) == ("cid", "the-client-secret")
    assert saved.custom_oauth_domain == "https://app.example.com/"
    raw = db.session.execute(text("SELECT client_secret FROM dotdigital_integration")).scalar()
    assert "the-client-secret" not in raw


def test_there_is_no_password_option(app):
    result = run(app, "integration", "create", "--help")
    assert "--password" not in result.output
    assert "DOTDIGITAL_PASSWORD" in result.output


def test_create_refuses_bad_input_and_wrong_credentials(app):
    assert "email address" in run(app, "integration", "create", "--name", "x", "--username",
                                  "nope", "--owner", "admin@example.com",
                                  input="longpassword\n").output
    assert "at least 8" in create(app, password="short").output or \
        "8 to 255" in create(app, password="short").output
    refused = create(app, password="wrong-password")
    assert refused.exit_code == 1
    assert "Authorization has been denied for this request." in refused.output
    assert "No user has the email" in run(app, "integration", "create", "--name", "x",
                                          "--username", SANDBOX_USER, "--owner", "no@x.org",
                                          input=f"{SANDBOX_PASSWORD}\n").output
    assert db.session.execute(db.select(dotdigital.models.Integration)).first() is None


def test_list_shows_integrations_without_secrets(app):
    create(app, "--client-id", "cid", "--client-secret-stdin", input_extra="client-secret-1\n")
    result = run(app, "integration", "list")
    assert result.exit_code == 0
    assert "Main" in result.output and "Sandbox Account" in result.output
    assert SANDBOX_PASSWORD not in result.output and "client-secret-1" not in result.output


def test_check_prints_the_account_name_or_the_api_error(app):
    create(app)
    ok = run(app, "check", "Main")
    assert ok.exit_code == 0 and "Sandbox Account" in ok.output
    saved = db.session.execute(db.select(dotdigital.models.Integration)).scalar_one()
    saved.password = "changed-on-dotdigitals-side"
    db.session.commit()
    failed = run(app, "check", "Main")
    assert failed.exit_code == 1
    assert "Authorization has been denied for this request." in failed.output
    missing = run(app, "check", "Nope")
    assert missing.exit_code != 0 and 'No integration is named "Nope"' in missing.output
