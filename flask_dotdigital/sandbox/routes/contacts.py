"""Contact routes (reference §3.4). So far the account-level suppression feed,
``GET /v2/contacts/suppressed-since/{date}``: ``[ApiContactSuppression]`` for contacts suppressed
(unsubscribed, bounced, complained ...) after the date, in contact id order.
"""

from __future__ import annotations

from flask import Blueprint, Response

from .. import wire
from ..conventions import json_response, read_paging
from ..state import current_state


def list_suppressed_since(since: str) -> Response:
    paging, moment = read_paging(), wire.parse_since(since)
    state = current_state()
    with state.lock:
        data = state.data
        recent = [s for _, s in sorted(data.suppressions.items()) if s.date_removed > moment]
        rows = [
            wire.contact_suppression(data.contacts[s.contact_id], s.date_removed, s.reason)
            for s in paging.page(recent)
        ]
    return json_response(rows)


def register(regional: Blueprint) -> None:
    regional.add_url_rule(
        "/v2/contacts/suppressed-since/<since>",
        "contacts_suppressed_since",
        list_suppressed_since,
        methods=["GET"],
    )
