"""The Redis connection and RQ queue of the current app (RQ always gets ``connection=``)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue


def redis_connection() -> Redis:
    state = current_app.extensions["dotdigital"]
    if state.redis is None:
        url = current_app.config["DOTDIGITAL_REDIS_URL"] or "redis://127.0.0.1:6379/0"
        state.redis = Redis.from_url(url)
    return state.redis


def configured_redis() -> Redis | None:
    """The app's Redis if it has one (``DOTDIGITAL_REDIS_URL`` set, or a connection already made or
    passed in); None instead of falling back to localhost, for code that can do without Redis."""
    state = current_app.extensions["dotdigital"]
    if state.redis is None and not current_app.config["DOTDIGITAL_REDIS_URL"]:
        return None
    return redis_connection()


def sync_queue() -> Queue:
    return Queue(current_app.config["DOTDIGITAL_QUEUE"], connection=redis_connection())


def app_factory_spec() -> str:
    """How a worker rebuilds this app: ``module:function`` (``DOTDIGITAL_APP_FACTORY``)."""
    spec = current_app.config["DOTDIGITAL_APP_FACTORY"]
    return spec or f"{current_app.import_name}:create_app"


__all__: list[Any] = ["app_factory_spec", "configured_redis", "redis_connection", "sync_queue"]
