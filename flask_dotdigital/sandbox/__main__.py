"""Command line entry point: ``python -m flask_dotdigital.sandbox`` serves the Dotdigital
sandbox on a fixed port until Ctrl-C and prints the discovery URL and the credentials to give the
client. ``run(argv)`` is reusable from a ``flask`` CLI command.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from .server import SandboxServer
from .state import (
    DEFAULT_ACCOUNT_NAME,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
)

DEFAULT_PORT = 8025


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flask_dotdigital.sandbox",
        description="Serve a local emulator of the Dotdigital REST API for tests and demos.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0 = any free)")
    parser.add_argument(
        "--username",
        default=os.environ.get("DOTDIGITAL_SANDBOX_USERNAME", DEFAULT_USERNAME),
        help="API user name accepted by Basic auth (env DOTDIGITAL_SANDBOX_USERNAME)",
    )
    parser.add_argument(
        "--password",
        default=os.environ.get("DOTDIGITAL_SANDBOX_PASSWORD", DEFAULT_PASSWORD),
        help="API user password (env DOTDIGITAL_SANDBOX_PASSWORD)",
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="OAuth client id")
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET, help="OAuth client secret")
    parser.add_argument("--account-name", default=DEFAULT_ACCOUNT_NAME, help="account Name")
    parser.add_argument(
        "--generate",
        type=int,
        metavar="N",
        default=None,
        help="start with N generated contacts and their data",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for --generate (same seed, same data)")
    parser.add_argument("--quiet", action="store_true", help="do not log every request to stderr")
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, serve until interrupted, return the exit status."""
    args = build_parser().parse_args(argv)
    server = SandboxServer(
        host=args.host,
        port=args.port,
        username=args.username,
        password=args.password,
        client_id=args.client_id,
        client_secret=args.client_secret,
        account_name=args.account_name,
        log_requests=not args.quiet,
        generate=args.generate,
        seed=args.seed,
    )
    server.bind()
    # Printing the password is fine: it is the test double's fixed credential, not a secret.
    print(f"Dotdigital sandbox for account {args.account_name!r}")
    print(f"  discovery URL (r1): {server.discovery_url}")
    print(f"  regional URL (r2):  {server.regional_url}")
    print(f"  API username:       {args.username}")
    print(f"  API password:       {args.password}")
    print(f"  OAuth client:       {args.client_id} / {args.client_secret}")
    if args.generate is not None:
        print(f"  data:               {args.generate} generated contacts (seed {args.seed})")
    print(f"  control:            POST {server.base_url}/__control, GET {server.base_url}/__state")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
