"""Pytest fixtures for the Dotdigital sandbox. Opt in from a root ``conftest.py`` with
``pytest_plugins = ["flask_dotdigital.sandbox.pytest_plugin"]`` (deliberately not a ``pytest11``
entry point). One server runs per session; ``dotdigital_sandbox`` resets it before each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import SandboxServer


@pytest.fixture(scope="session")
def dotdigital_sandbox_server() -> Iterator[SandboxServer]:
    """One sandbox server for the whole test session."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def dotdigital_sandbox(dotdigital_sandbox_server: SandboxServer) -> SandboxServer:
    """The session's sandbox, with faults, limits, data and the call log cleared."""
    dotdigital_sandbox_server.control(reset=True)
    return dotdigital_sandbox_server
