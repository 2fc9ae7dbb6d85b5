"""flask-dotdigital: the Dotdigital email-marketing integration for Flask-Admin applications."""

from .errors import (
    ApiError,
    ApiUsageExceeded,
    AuthError,
    ConfigError,
    DotDigitalError,
    NotFound,
    RateLimited,
    TransportError,
)
from .extension import DotDigital, default_permission

__all__ = [
    "ApiError",
    "ApiUsageExceeded",
    "AuthError",
    "ConfigError",
    "DotDigital",
    "DotDigitalError",
    "NotFound",
    "RateLimited",
    "TransportError",
    "default_permission",
]
