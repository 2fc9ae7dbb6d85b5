"""Made-up open and click records (ApiCampaignContactOpen/Click, reference §3.6), shared by the
generator and the ``add_activity`` control. IP addresses come from the documentation ranges
(RFC 5737) so they can never be mistaken for real ones.
"""

from __future__ import annotations

import random
from datetime import datetime

from .model import Click, Open

MAIL_CLIENTS = (("Apple Mail", "16"), ("Gmail", "Web"), ("Outlook", "2019"), ("Thunderbird", "115"))
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko)",
)
LINKS = (
    ("https://shop.example.com/", "Shop now"),
    ("https://shop.example.com/sale", "Sale"),
    ("https://blog.example.com/news", "Read more"),
)


def _ip(rng: random.Random) -> str:
    return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}"


def random_open(rng: random.Random, event_id: int, contact_id: int, when: datetime) -> Open:
    client, version = rng.choice(MAIL_CLIENTS)
    return Open(
        id=event_id,
        contact_id=contact_id,
        mail_client=client,
        mail_client_version=version,
        ip_address=_ip(rng),
        user_agent=rng.choice(USER_AGENTS),
        is_html=True,
        is_forward=rng.random() < 0.05,
        date_opened=when,
    )


def random_click(rng: random.Random, event_id: int, contact_id: int, when: datetime) -> Click:
    url, keyword = rng.choice(LINKS)
    return Click(
        id=event_id,
        contact_id=contact_id,
        url=url,
        ip_address=_ip(rng),
        user_agent=rng.choice(USER_AGENTS),
        date_clicked=when,
        keyword=keyword,
    )
