from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.config import ProductionConfig
from tests.conftest import make_config


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_production_refuses_default_secret_key():
    with pytest.raises(RuntimeError, match="default secret key"):
        create_app(ProductionConfig)


def test_production_starts_with_a_real_secret_key():
    config = type("Prod", (ProductionConfig,), {"SECRET_KEY": "x" * 64})
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_in_production(db):
    config = type(
        "Prod",
        (ProductionConfig,),
        {"SECRET_KEY": "x" * 64, "SQLALCHEMY_DATABASE_URI": "sqlite://"},
    )
    with create_app(config).test_client().get("/static/css/app.css") as response:
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_default_password_hash_is_scrypt():
    from marketplace.config import Config

    assert Config.PASSWORD_HASH_METHOD == "scrypt"


def test_csrf_token_required_on_forms(db):
    app = create_app(make_config(WTF_CSRF_ENABLED=True))
    client = app.test_client()
    response = client.post("/login", data={"email": "a@b.cn", "password": "whatever-123"})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True) or "刷新" in response.get_data(
        as_text=True
    )
