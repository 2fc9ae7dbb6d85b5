"""A local emulator of the Dotdigital REST API: a real HTTP server on loopback that tests, the
demo and benchmarks talk to instead of https://r1-api.dotdigital.com. Start it with
``SandboxServer().start()`` or ``python -m flask_dotdigital.sandbox``.
"""

from .app import create_app
from .conventions import (
    ApiError,
    Paging,
    code_error,
    code_message,
    fold_keys,
    read_paging,
    sentence_error,
    sentence_message,
)
from .server import SandboxServer
from .state import SandboxConfig, SandboxState

__all__ = [
    "ApiError",
    "Paging",
    "SandboxConfig",
    "SandboxServer",
    "SandboxState",
    "code_error",
    "code_message",
    "create_app",
    "fold_keys",
    "read_paging",
    "sentence_error",
    "sentence_message",
]
