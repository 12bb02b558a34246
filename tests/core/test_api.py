"""The API edge: one error envelope for every failure, never a 500."""

from __future__ import annotations

import json

import pytest

from marketplace.accounts.models import OrgKind
from tests.factories import bearer, make_org, make_token, make_user


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert error["message"]
    return error


@pytest.fixture
def token(db):
    return make_token(make_user(None))


def test_unknown_route_is_404_envelope(client):
    assert_envelope(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_missing_token_is_401_envelope(client):
    response = client.get("/api/v1/me")
    assert_envelope(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_token_is_401(client):
    assert_envelope(client.get("/api/v1/me", headers=bearer("ipt_forged")), 401, "unauthenticated")


def test_method_not_allowed_is_405_envelope(client, token):
    assert_envelope(client.put("/api/v1/me", headers=bearer(token)), 405, "method_not_allowed")


def test_malformed_json_is_400(client, token):
    response = client.post(
        "/api/v1/tokens",
        data='{"name": "ci",',
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert_envelope(response, 400, "bad_request")


def test_wrong_content_type_is_415(client, token):
    response = client.post("/api/v1/tokens", data={"name": "ci"}, headers=bearer(token))
    assert_envelope(response, 415, "unsupported_media_type")


def test_unknown_and_invalid_fields_are_422_listing_each(client, token):
    response = client.post(
        "/api/v1/tokens",
        json={"name": "", "days": 9999, "colour": "blue"},
        headers=bearer(token),
    )
    error = assert_envelope(response, 422, "validation_failed")
    assert set(error["fields"]) == {"name", "days", "colour"}


def test_missing_required_field_is_422(client, token):
    error = assert_envelope(
        client.post("/api/v1/tokens", json={}, headers=bearer(token)), 422, "validation_failed"
    )
    assert "name" in error["fields"]


def test_body_over_limit_is_413(client, token, app):
    limit = app.config["API_MAX_JSON_BYTES"]
    body = json.dumps({"name": "x" * (limit + 10)})
    response = client.post(
        "/api/v1/tokens",
        data=body,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert_envelope(response, 413, "payload_too_large")


def test_domain_error_uses_the_envelope(client, db):
    user = make_user(None)
    secret = make_token(user)
    response = client.post(
        "/api/v1/organisations",
        json={"kind": "enterprise", "name_zh": "测试", "region": "长春", "identity_number": "123"},
        headers=bearer(secret),
    )
    error = assert_envelope(response, 422, "validation_failed")
    assert "identity_number" in error["fields"]


def test_bad_requests_change_nothing(client, db):
    from marketplace.accounts.models import ApiToken
    from marketplace.extensions import db as _db

    user = make_user(None)
    secret = make_token(user)
    before = _db.session.query(ApiToken).count()
    client.post("/api/v1/tokens", json={"name": "ok", "days": 0}, headers=bearer(secret))
    client.post(
        "/api/v1/tokens", data="{", headers={**bearer(secret), "Content-Type": "application/json"}
    )
    assert _db.session.query(ApiToken).count() == before


def test_openapi_document_lists_the_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/tokens" in spec["paths"]
    assert "/api/v1/organisations/{org_id}" in spec["paths"]


def test_docs_page_renders_without_script(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/api/v1/tokens" in html
    assert "<script>" not in html


def test_token_lifecycle_over_the_api(client, db):
    user = make_user(make_org(OrgKind.ENTERPRISE), email="api-user@example.cn")
    secret = make_token(user)
    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.get_json()["email"] == "api-user@example.cn"

    created = client.post("/api/v1/tokens", json={"name": "ci", "days": 7}, headers=bearer(secret))
    assert created.status_code == 201
    new = created.get_json()
    assert new["token"].startswith("ipt_")
    listed = client.get("/api/v1/tokens", headers=bearer(secret)).get_json()
    assert all("token" not in t for t in listed)  # the secret is shown once only

    assert client.get("/api/v1/me", headers=bearer(new["token"])).status_code == 200
    assert client.delete(f"/api/v1/tokens/{new['id']}", headers=bearer(secret)).status_code == 204
    assert_envelope(client.get("/api/v1/me", headers=bearer(new["token"])), 401, "unauthenticated")


def test_expired_token_is_refused(client, db):
    from datetime import timedelta

    from marketplace.accounts.models import ApiToken
    from marketplace.core.models import utcnow
    from marketplace.extensions import db as _db

    user = make_user(None)
    secret = make_token(user)
    token = _db.session.query(ApiToken).filter_by(user_id=user.id).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    _db.session.flush()
    assert_envelope(client.get("/api/v1/me", headers=bearer(secret)), 401, "unauthenticated")


def test_session_cookie_does_not_authenticate_the_api(client, login_as, db):
    """The API takes tokens only, so a cross-site request riding a browser session gets nothing."""
    user = make_user(make_org())
    login_as(user)
    assert client.get("/account").status_code == 200
    assert_envelope(client.get("/api/v1/me"), 401, "unauthenticated")
