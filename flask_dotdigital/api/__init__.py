"""The Dotdigital v2 REST client: a shared core (:mod:`.base`) and one module per API area.

Nothing here imports Flask or the database, so the client can be used (and tested) on its own.
"""

from .account import AccountInfo, discover_account, get_account_info
from .base import Client, ClientSettings

__all__ = ["AccountInfo", "Client", "ClientSettings", "discover_account", "get_account_info"]
