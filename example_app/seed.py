"""Demo data: two users (an admin and a non-admin), contacts and leads."""

from __future__ import annotations

import random

from .models import Contact, Lead, User, db

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password"
USER_EMAIL = "user@example.com"
USER_PASSWORD = "user-password"

_FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Tim"]
_LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
         "Hamilton", "Berners-Lee"]
_CITIES = ["London", "Leeds", "Manchester", "Bristol", "Glasgow", None]


def seed_demo_data(contacts: int = 40, leads: int = 15) -> None:
    """Insert the demo users and records, unless users exist already."""
    if db.session.execute(db.select(User.id).limit(1)).first():
        return
    admin = User(email=ADMIN_EMAIL, name="Alice Admin", is_admin=True)
    admin.set_password(ADMIN_PASSWORD)
    user = User(email=USER_EMAIL, name="Bob User", is_admin=False)
    user.set_password(USER_PASSWORD)
    db.session.add_all([admin, user])
    rng = random.Random(7)  # the same demo data every time
    for i in range(contacts):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        db.session.add(Contact(first_name=first, last_name=last, owner=admin,
                               email=f"{first}.{last}.{i}@example.org".lower(),
                               company=rng.choice(["Acme", "Globex", "Initech", None]),
                               city=rng.choice(_CITIES)))
    for i in range(leads):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        db.session.add(Lead(name=name, email=f"lead{i}@example.net", owner=user,
                            source=rng.choice(["web", "event", "referral"])))
    db.session.commit()
