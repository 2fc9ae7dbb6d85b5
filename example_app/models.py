"""The example CRM's own data: users who sign in, and two kinds of records with an email."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def _now() -> datetime:
    return datetime.now(UTC)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "crm_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Contact(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "crm_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(255), index=True)
    company: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(100))
    birthday: Mapped[datetime | None] = mapped_column()
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("crm_user.id", ondelete="SET NULL"))
    owner: Mapped[User | None] = relationship()
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Lead(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "crm_lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30), default="new")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("crm_user.id", ondelete="SET NULL"))
    owner: Mapped[User | None] = relationship()
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)

    def __str__(self) -> str:
        return self.name
