"""The emulated Dotdigital routes, one module per API area. Each module exposes
``register(regional)`` and adds its rules to the regional host's blueprint (``/r2``); the
discovery host (``/r1``) only serves account-info (reference §1.3), so just that module also
registers there. The web-app host (``/app``) serves OAuth single sign-on (``oauth.py``, §5).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from ..gate import DISCOVERY_PREFIX, REGIONAL_PREFIX
from . import account, address_books, campaigns, contacts, data_fields, imports, oauth

AREAS = (account, address_books, contacts, data_fields, campaigns, imports)


def register_routes(app: Flask) -> None:
    discovery = Blueprint("r1", __name__, url_prefix=DISCOVERY_PREFIX)
    regional = Blueprint("r2", __name__, url_prefix=REGIONAL_PREFIX)
    account.register_discovery(discovery)
    for area in AREAS:
        area.register(regional)
    app.register_blueprint(discovery)
    app.register_blueprint(regional)
    web_app = Blueprint("web_app", __name__, url_prefix=oauth.APP_PREFIX)
    oauth.register(web_app)
    app.register_blueprint(web_app)
