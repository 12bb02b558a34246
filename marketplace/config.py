"""Configuration classes. Every setting is read from the environment (``MARKETPLACE_*``,
``DATABASE_URL``); the defaults are safe for development on the embedded SQLite database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-only-not-secret"
#: The local Stripe sandbox (localstripe) and its fixed test keys; never used in production.
SANDBOX_URL = "http://127.0.0.1:8420"
SANDBOX_SECRET_KEY = "sk_test_iptown_sandbox"
SANDBOX_PUBLISHABLE_KEY = "pk_test_iptown_sandbox"
SANDBOX_WEBHOOK_SECRET = "whsec_iptown_sandbox"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MARKETPLACE_{name}", default)


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Base configuration: development defaults, overridable from the environment."""

    ENV_NAME = "base"
    SECRET_KEY = _env("SECRET_KEY", DEFAULT_SECRET_KEY)
    INSTANCE_PATH = _env("INSTANCE_PATH", str(PROJECT_ROOT / "instance"))
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'instance' / 'marketplace.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {"pool_pre_ping": True}
    #: Request bodies above this many bytes are refused with 413 before any view runs.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)
    #: JSON bodies on the API have a tighter limit than file uploads.
    API_MAX_JSON_BYTES = _env_int("API_MAX_JSON_BYTES", 256 * 1024)
    UPLOAD_FOLDER = _env("UPLOAD_FOLDER", str(PROJECT_ROOT / "instance" / "uploads"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = 3600 * 8

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
    LANGUAGES: ClassVar[dict[str, str]] = {"zh": "简体中文", "en": "English"}

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")

    #: scrypt (memory-hard) in every real deployment; tests use a fast method to stay quick.
    PASSWORD_HASH_METHOD = "scrypt"

    MAIL_SERVER = _env("MAIL_SERVER")
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_SENDER = _env("MAIL_SENDER", "IP Town <no-reply@iptown.example.cn>")
    #: Password-reset links are valid for this many seconds.
    PASSWORD_RESET_MAX_AGE = _env_int("PASSWORD_RESET_MAX_AGE", 3600)
    INVITATION_MAX_AGE_DAYS = _env_int("INVITATION_MAX_AGE_DAYS", 14)
    API_TOKEN_DEFAULT_DAYS = _env_int("API_TOKEN_DEFAULT_DAYS", 90)
    #: The development outbox page (/dev/outbox) shows emails that were not sent over SMTP.
    SHOW_DEV_OUTBOX = _env_bool("SHOW_DEV_OUTBOX", True)
    PREFERRED_URL_SCHEME = "http"
    HSTS = False

    API_TITLE = "IP Town API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_REDOC_PATH = None
    OPENAPI_SWAGGER_UI_PATH = None

    #: Stripe. Development and tests talk to the local sandbox (``make run`` starts it on
    #: 127.0.0.1:8420; ``marketplace/payments/sandbox.py``) with its fixed test keys; production
    #: sets the real keys and leaves ``STRIPE_API_BASE`` empty (see ``ProductionConfig``).
    STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY", SANDBOX_SECRET_KEY)
    STRIPE_PUBLISHABLE_KEY = _env("STRIPE_PUBLISHABLE_KEY", SANDBOX_PUBLISHABLE_KEY)
    STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET", SANDBOX_WEBHOOK_SECRET)
    #: Where the stripe library sends its calls; None means the real api.stripe.com.
    STRIPE_API_BASE = _env("STRIPE_API_BASE", SANDBOX_URL) or None
    #: Stripe.js; unset means the sandbox's stand-in when ``STRIPE_API_BASE`` is set, else
    #: ``https://js.stripe.com/v3/``. The CSP of payment pages allows exactly this origin.
    STRIPE_JS_URL = _env("STRIPE_JS_URL") or None
    STRIPE_MAX_NETWORK_RETRIES = _env_int("STRIPE_MAX_NETWORK_RETRIES", 1)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    LOGIN_RATE_LIMIT = "1000 per minute"
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    SERVER_NAME = None
    #: A port nothing listens on: a test that talks to Stripe must start the sandbox
    #: (``tests/stripe_sandbox.py``) rather than reach a developer's running one.
    STRIPE_API_BASE = "http://127.0.0.1:9"
    STRIPE_MAX_NETWORK_RETRIES = 0


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    SHOW_DEV_OUTBOX = False
    #: No sandbox defaults: the real keys come from the environment (checked at start).
    STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = _env("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = _env("STRIPE_API_BASE") or None


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The configuration class named by ``MARKETPLACE_ENV`` (default: development)."""
    name = _env("ENV", "development") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"MARKETPLACE_ENV must be one of {sorted(CONFIGS)}, not {name!r}"
        ) from None
