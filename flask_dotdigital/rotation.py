"""Key rotation: re-encrypt every stored secret with the newest key of DOTDIGITAL_ENCRYPTION_KEYS.

Put the new key first in the list (old keys stay after it, so everything still reads), run
``flask dotdigital rotate-keys``, then drop the old keys. Works on the raw column values, so a
secret is never decrypted into a Python object longer than one UPDATE needs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, literal, select, type_coerce, update

from .models.types import EncryptedText


def encrypted_columns(models: Any) -> list[tuple[Any, Any]]:
    """(table, column) for every EncryptedText column of the extension's models."""
    found = []
    for model in vars(models).values():
        table = getattr(model, "__table__", None)
        if table is None:
            continue
        found += [(table, column) for column in table.columns if isinstance(column.type, EncryptedText)]
    return found


def rotate_keys(db: Any, models: Any, keyring: Any) -> int:
    """Re-encrypt each stored secret with the newest key; return how many values were rewritten."""
    rewritten = 0
    for table, column in encrypted_columns(models):
        # Read and write the ciphertext as stored: the column seen as plain TEXT, not decrypted.
        token = type_coerce(column, Text())
        pk = next(iter(table.primary_key.columns))
        rows = db.session.execute(select(pk, token.label("token")).where(column.is_not(None))).all()
        for row in rows:
            fresh = keyring.rotate(row.token)
            db.session.execute(update(table).where(pk == row[0]).values(
                {column.name: literal(fresh, Text())}))
            rewritten += 1
    db.session.commit()
    return rewritten
