"""Sign-in for the example CRM (Flask-Login), with CSRF-protected forms and safe redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_admin.form import SecureForm
from flask_login import LoginManager, login_required, login_user, logout_user
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from .models import User, db

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to use the admin."


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


class LoginForm(SecureForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative //evil.example."""
    if not target:
        return url_for("admin.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return url_for("admin.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm(request.form)
    if request.method == "POST" and form.validate():
        user = db.session.execute(
            db.select(User).where(User.email == form.email.data.strip().lower())).scalar()
        if user is not None and user.check_password(form.password.data):
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        flash("Invalid email or password.", "danger")
    return render_template("example/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    form = SecureForm(request.form)
    if form.validate():
        logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/")
def home() -> Any:
    return redirect(url_for("admin.index"))
