"""Encryption of secrets at rest: API passwords, client secrets and OAuth refresh tokens.

Secrets are Fernet tokens (AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package) in TEXT
columns. The key ring is a ``MultiFernet``: the first key encrypts, every key decrypts, so a new key
put in front of ``DOTDIGITAL_ENCRYPTION_KEYS`` rotates without downtime, and ``rotate`` re-encrypts
old tokens with it. With no keys configured, one key is derived from the app's ``SECRET_KEY`` with
HKDF, so that a host app works out of the box and still never stores a secret in clear text.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import ConfigError

_HKDF_INFO = b"flask-dotdigital secrets at rest"


def derive_key(secret_key: str | bytes) -> bytes:
    """A Fernet key derived from the app's SECRET_KEY (used when no keys are configured)."""
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(material)
    return base64.urlsafe_b64encode(raw)


class KeyRing:
    """Encrypts with the newest key and decrypts with any configured key."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ConfigError("DOTDIGITAL_ENCRYPTION_KEYS is empty: give at least one Fernet key.")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError) as err:
            raise ConfigError(
                "DOTDIGITAL_ENCRYPTION_KEYS holds a value that is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`)."
            ) from err

    @classmethod
    def from_config(cls, config: dict) -> KeyRing:
        keys = config.get("DOTDIGITAL_ENCRYPTION_KEYS")
        if isinstance(keys, (str, bytes)):
            keys = [k for k in (keys.split(",") if isinstance(keys, str) else [keys]) if k]
        if keys:
            return cls(keys)
        secret_key = config.get("SECRET_KEY")
        if not secret_key:
            raise ConfigError(
                "flask-dotdigital encrypts secrets at rest and needs a key: set SECRET_KEY or "
                "DOTDIGITAL_ENCRYPTION_KEYS."
            )
        return cls([derive_key(secret_key)])

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as err:
            # Never include the token: it is ciphertext of a secret, and useless to a reader anyway.
            raise ConfigError(
                "A stored secret cannot be decrypted with DOTDIGITAL_ENCRYPTION_KEYS: "
                "was a key removed before `flask dotdigital rotate-keys` ran?"
            ) from err

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` with the newest key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")
