"""The daily force sync of mapped fields (Oro §5, ``oro_dotmailer.force_sync_for_virtual_fields``).

Change tracking sees stored columns change, but not a *virtual* field: a value the host computes in
Python (registered with ``register_entity(..., virtual={...})``). The force sync marks the members
of such sources once a day; the export recomputes their values and sends only those that differ.
"Always" flags every mapped source and forgets what was sent, so every member goes out again and
Dotdigital's copy is overwritten with the host's, even where it was edited there.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update

from ..errors import ConfigError

POLICIES = ("None", "VirtualOnly", "Always")


def force_sync() -> int:
    """Flag members for re-export per ``DOTDIGITAL_FORCE_SYNC``; return how many were flagged."""
    policy = current_app.config["DOTDIGITAL_FORCE_SYNC"]
    if policy not in POLICIES:
        raise ConfigError(f"DOTDIGITAL_FORCE_SYNC must be one of {', '.join(POLICIES)}, not {policy!r}.")
    if policy == "None":
        return 0
    ext = current_app.extensions["dotdigital"].ext
    mapping, config = ext.models.DataFieldMapping, ext.models.DataFieldMappingConfig
    rows = ext.db.session.execute(select(mapping.integration_id, mapping.entity, config.entity_fields)
                                  .join(config, config.mapping_id == mapping.id)).all()
    targets: set[tuple[int, str]] = set()
    for integration_id, entity, fields in rows:
        if entity not in ext.sources:
            continue
        virtual = ext.sources.get(entity).virtual
        if policy == "Always" or any(path in virtual for path in (fields or "").split(",")):
            targets.add((integration_id, entity))
    member = ext.models.AddressBookContact
    flagged = 0
    for integration_id, entity in targets:
        result = ext.db.session.execute(update(member).where(
            member.integration_id == integration_id, member.marketing_list_item_class == entity,
            member.entity_updated.is_(False)).values(
            entity_updated=True, **({"exported_hash": None} if policy == "Always" else {})))
        flagged += result.rowcount or 0
    ext.db.session.commit()
    return flagged
