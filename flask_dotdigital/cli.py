"""``flask dotdigital ...``: scripted setup, connection checks and the sandbox.

Secrets never come from argv (it shows up in ``ps`` and shell history): the password is read from
standard input or ``DOTDIGITAL_PASSWORD``, the client secret from standard input on request.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import with_appcontext

from .api import get_account_info
from .api.urls import normalise_domain
from .cli_sync import sync_command
from .connection import check_credentials, client_for
from .errors import ApiError, AuthError, ConfigError, InsecureEndpoint


@click.group("dotdigital")
def dotdigital_cli() -> None:
    """Dotdigital integration: integrations, connection checks, sandbox."""


def _state() -> Any:
    return current_app.extensions["dotdigital"]


def _find_integration(name: str) -> Any:
    ext = _state().ext
    model = ext.models.Integration
    found = ext.db.session.execute(ext.db.select(model).where(model.name == name)).scalar()
    if found is None:
        raise click.ClickException(f'No integration is named "{name}".')
    return found


@dotdigital_cli.command("check")
@click.argument("name")
@with_appcontext
def check(name: str) -> None:
    """Call account-info for integration NAME and print the account name."""
    integration = _find_integration(name)
    try:
        info = get_account_info(client_for(integration))
    except (ApiError, ConfigError) as err:
        click.echo(f"Connection failed: {err}", err=True)
        sys.exit(1)
    click.echo(f"Connection Successful: {info.name} ({info.api_endpoint})")


@dotdigital_cli.group("integration")
def integration_cli() -> None:
    """Create and list integrations."""


def _read_secret_lines(count: int) -> list[str]:
    if sys.stdin is None or sys.stdin.isatty():
        return [click.prompt("Password" if i == 0 else "Client secret key", hide_input=True)
                for i in range(count)]
    lines = [sys.stdin.readline().rstrip("\r\n") for _ in range(count)]
    return lines


def _checked_settings(username: str, password: str, domain: str | None) -> str | None:
    try:
        validate_email(username, check_deliverability=False)
    except EmailNotValidError as err:
        raise click.BadParameter(f"the API user name must be an email address ({err}).",
                                 param_hint="--username") from err
    if len(username) > 255:
        raise click.BadParameter("at most 255 characters.", param_hint="--username")
    if not 8 <= len(password) <= 255:
        raise click.ClickException("The password must have 8 to 255 characters.")
    if not domain:
        return None
    try:
        return normalise_domain(domain, allow_insecure_hosts=current_app.config[
            "DOTDIGITAL_ALLOW_INSECURE_HOSTS"])
    except InsecureEndpoint as err:
        raise click.BadParameter(str(err), param_hint="--custom-oauth-domain") from err


@integration_cli.command("create")
@click.option("--name", required=True, help="The integration name used within the system.")
@click.option("--username", required=True, help="The Dotdigital API user (an email address).")
@click.option("--owner", "owner_email", required=True, help="Email of the default owner user.")
@click.option("--client-id", default=None, help="OAuth client ID for Email Studio single sign-on.")
@click.option("--client-secret-stdin", is_flag=True,
              help="Read the OAuth client secret key from standard input (after the password).")
@click.option("--custom-oauth-domain", default=None,
              help="Custom OAuth domain; https://r1-app.dotdigital.com/ by default.")
@with_appcontext
def create_integration(name: str, username: str, owner_email: str, client_id: str | None,
                       client_secret_stdin: bool, custom_oauth_domain: str | None) -> None:
    """Create a Dotdigital integration.

    The password is read from DOTDIGITAL_PASSWORD or, when that is unset, from the first line of
    standard input; the client secret (with --client-secret-stdin) from the next line.
    """
    ext = _state().ext
    db, model = ext.db, ext.models.Integration
    password = os.environ.get("DOTDIGITAL_PASSWORD")
    wanted = (0 if password else 1) + (1 if client_secret_stdin else 0)
    lines = _read_secret_lines(wanted) if wanted else []
    if not password:
        password = lines.pop(0)
    client_secret = lines.pop(0) if client_secret_stdin else None
    domain = _checked_settings(username, password, custom_oauth_domain)
    if db.session.execute(db.select(model.id).where(model.name == name)).first():
        raise click.ClickException(f'An integration named "{name}" already exists.')
    owner = db.session.execute(
        db.select(ext.user_model).where(ext.user_model.email == owner_email)).scalar()
    if owner is None:
        raise click.ClickException(f"No user has the email {owner_email}.")
    integration = model(type="dotdigital", name=name, username=username, password=password,
                        client_id=client_id or None, client_secret=client_secret or None,
                        custom_oauth_domain=domain, default_owner=owner, enabled=True)
    try:
        info = check_credentials(username, password)
    except AuthError as err:
        raise click.ClickException(f"Dotdigital refused the credentials: {err}") from err
    except (ApiError, ConfigError) as err:
        click.echo(f"Warning: saved without checking the connection: {err}", err=True)
    else:
        integration.api_endpoint, integration.account_name = info.api_endpoint, info.name
    db.session.add(integration)
    db.session.commit()
    click.echo(f'Created integration "{name}" (id {integration.id})'
               + (f" for account {integration.account_name}." if integration.account_name else "."))


@integration_cli.command("list")
@with_appcontext
def list_integrations() -> None:
    """List the integrations (no secrets are shown)."""
    ext = _state().ext
    model = ext.models.Integration
    rows = ext.db.session.execute(ext.db.select(model).order_by(model.name)).scalars().all()
    if not rows:
        click.echo("No integrations yet. Create one with `flask dotdigital integration create`.")
        return
    header = ("ID", "Name", "Type", "Enabled", "Username", "Default owner", "Account")
    table = [header] + [
        (str(i.id), i.name, ext.integration_types.label(i.type), "yes" if i.enabled else "no",
         i.username, getattr(i.default_owner, "email", "") or "", i.account_name or "-")
        for i in rows]
    widths = [max(len(row[c]) for row in table) for c in range(len(header))]
    for row in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


dotdigital_cli.add_command(sync_command)


@dotdigital_cli.command("rotate-keys")
@with_appcontext
def rotate_keys_command() -> None:
    """Re-encrypt every stored secret with the first key of DOTDIGITAL_ENCRYPTION_KEYS."""
    from .rotation import rotate_keys

    state = _state()
    count = rotate_keys(state.ext.db, state.ext.models, state.keyring)
    click.echo(f"Re-encrypted {count} stored secret(s) with the newest key.")


@dotdigital_cli.command("sandbox", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def sandbox(args: tuple[str, ...]) -> None:
    """Run the local Dotdigital sandbox (same options as python -m flask_dotdigital.sandbox)."""
    from .sandbox.__main__ import run

    run(list(args))
