"""Key rotation: old secrets stay readable after a new key is added, and rotate-keys rewrites them."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import text

from example_app import dotdigital
from example_app.models import db
from flask_dotdigital.crypto import KeyRing, derive_key

from .syncing import make_integration


def raw_password():
    db.session.remove()
    return db.session.execute(text("SELECT password FROM dotdigital_integration")).scalar()


def test_a_new_key_reads_old_secrets_and_rotate_keys_rewrites_them(app):
    make_integration(password="the-api-password")
    old_token = raw_password()
    old_key = derive_key(app.config["SECRET_KEY"])
    new_key = Fernet.generate_key()
    app.config["DOTDIGITAL_ENCRYPTION_KEYS"] = [new_key, old_key]
    app.extensions["dotdigital"].keyring = KeyRing.from_config(app.config)
    db.session.remove()
    integration = db.session.execute(db.select(dotdigital.models.Integration)).scalar_one()
    assert integration.password == "the-api-password"  # still readable with the old key

    result = app.test_cli_runner().invoke(args=["dotdigital", "rotate-keys"])
    assert result.exit_code == 0 and "Re-encrypted 1 stored secret" in result.output
    rotated = raw_password()
    assert rotated != old_token and "the-api-password" not in rotated
    assert Fernet(new_key).decrypt(rotated.encode()) == b"the-api-password"
    # The old key can now go.
    app.config["DOTDIGITAL_ENCRYPTION_KEYS"] = [new_key]
    app.extensions["dotdigital"].keyring = KeyRing.from_config(app.config)
    db.session.remove()
    assert db.session.execute(db.select(dotdigital.models.Integration)).scalar_one().password == \
        "the-api-password"
