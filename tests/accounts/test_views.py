"""HTML journeys through the test client: readable errors, nothing half-written."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, OrgStatus, Role, User
from marketplace.extensions import db as _db
from marketplace.notifications.models import OutboxEmail
from tests.factories import PASSWORD, make_operator, make_org, make_user, valid_uscc


def signup(client, email="fresh@example.cn", password="a-good-pass-1", **extra):
    data = {
        "name": "赵六",
        "email": email,
        "password": password,
        "accept_terms": "y",
        "accept_privacy": "y",
        **extra,
    }
    return client.post("/signup", data=data)


def test_signup_logs_in_and_asks_for_an_organisation(client, db):
    response = signup(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/org/new")
    assert client.get("/account").status_code == 200


def test_signup_errors_are_shown_on_the_form_and_nothing_is_saved(client, db):
    response = signup(client, email="bad", password="short", accept_terms="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count('class="field-error"') >= 3
    assert 'aria-invalid="true"' in html
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_register_organisation_then_operator_verifies_it(client, login_as, db):
    operator = make_operator()
    signup(client)
    response = client.post(
        "/org/new",
        data={
            "kind": "enterprise",
            "name_zh": "长春光华科技有限公司",
            "region": "长春新区",
            "identity_number": valid_uscc(424242),
        },
    )
    assert response.status_code == 302
    org = _db.session.scalars(
        sa.select(Organisation).where(Organisation.name_zh == "长春光华科技有限公司")
    ).one()
    assert org.status is OrgStatus.PENDING
    assert "org-pending" in client.get("/").get_data(as_text=True)
    client.post("/logout")

    login_as(operator)
    listing = client.get("/operator/organisations").get_data(as_text=True)
    assert "长春光华科技有限公司" in listing
    response = client.post(f"/operator/organisations/{org.id}", data={"decision": "verified"})
    assert response.status_code == 302
    _db.session.refresh(org)
    assert org.status is OrgStatus.VERIFIED


def test_bad_identity_number_is_a_readable_error(client, db):
    signup(client)
    response = client.post(
        "/org/new",
        data={
            "kind": "enterprise",
            "name_zh": "某公司",
            "region": "长春",
            "identity_number": "91220100MA00000011",
        },
    )
    assert response.status_code == 422
    assert 'id="identity_number-error"' in response.get_data(as_text=True)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_reject_without_reason_is_refused_on_the_page(client, login_as, db):
    org = make_org(status=OrgStatus.PENDING)
    login_as(make_operator())
    response = client.post(f"/operator/organisations/{org.id}", data={"decision": "rejected"})
    assert response.status_code == 200
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert org.status is OrgStatus.PENDING


def test_login_failure_says_so(client, db):
    make_user(None, email="known@example.cn")
    response = client.post("/login", data={"email": "known@example.cn", "password": "nope-nope-1"})
    assert response.status_code == 401
    assert client.get("/account").status_code == 302


def test_login_is_throttled(client, app, db):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [
            client.post(
                "/login", data={"email": "x@example.cn", "password": "y-y-y-y-1"}
            ).status_code
            for _ in range(5)
        ]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]


def test_login_redirects_only_to_local_next(client, db):
    user = make_user(None)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_invitation_link_lets_a_newcomer_join(client, login_as, db):
    org = make_org()
    admin = make_user(org, role=Role.ADMIN)
    login_as(admin)
    assert (
        client.post(
            "/org/invitations", data={"email": "newbie@example.cn", "role": "member"}
        ).status_code
        == 302
    )
    client.post("/logout")
    body = _db.session.scalars(
        sa.select(OutboxEmail.body).where(OutboxEmail.recipient == "newbie@example.cn")
    ).one()
    secret = re.search(r"/invitations/(\S+)", body).group(1)
    landing = client.get(f"/invitations/{secret}")
    assert landing.status_code == 302 and "invitation=" in landing.headers["Location"]
    form = client.get(landing.headers["Location"]).get_data(as_text=True)
    assert 'value="newbie@example.cn"' in form
    response = signup(client, email="newbie@example.cn", invitation=secret)
    assert response.status_code == 302
    newbie = _db.session.scalars(sa.select(User).where(User.email == "newbie@example.cn")).one()
    assert newbie.organisation_id == org.id and newbie.role is Role.MEMBER


def test_unknown_invitation_is_404(client, db):
    assert client.get("/invitations/not-a-real-secret").status_code == 404


def test_password_reset_journey(client, db):
    make_user(None, email="forgetful@example.cn")
    assert (
        client.post("/forgot-password", data={"email": "forgetful@example.cn"}).status_code == 302
    )
    body = _db.session.scalars(
        sa.select(OutboxEmail.body).where(OutboxEmail.recipient == "forgetful@example.cn")
    ).one()
    path = re.search(r"(/reset-password/\S+)", body).group(1)
    assert client.post(path, data={"password": "weak"}).status_code == 200  # form re-shown
    assert client.post(path, data={"password": "fresh-pass-99"}).status_code == 302
    response = client.post(
        "/login", data={"email": "forgetful@example.cn", "password": "fresh-pass-99"}
    )
    assert response.status_code == 302


def test_token_secret_is_shown_once(client, login_as, db):
    login_as(make_user(None))
    html = client.post("/account/tokens", data={"name": "ci", "days": "30"}).get_data(as_text=True)
    secret = re.search(r'data-testid="new-token">([^<]+)<', html).group(1)
    assert secret.startswith("ipt_")
    assert secret not in client.get("/account/tokens").get_data(as_text=True)


def test_export_and_delete_my_account(client, login_as, db):
    user = make_user(None, email="pipl@example.cn")
    login_as(user)
    response = client.get("/account/export")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert json.loads(response.get_data(as_text=True))["account"]["email"] == "pipl@example.cn"
    assert client.post("/account/delete", data={"password": "wrong-pass-1"}).status_code == 302
    assert user.is_active
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 302
    _db.session.refresh(user)
    assert not user.is_active and user.email != "pipl@example.cn"
    assert client.get("/account").status_code == 302  # logged out


def test_unread_count_in_header_and_opening_marks_read(client, login_as, db):
    from marketplace.notifications.services import notify

    user = make_user(None)
    note = notify(user, title="请查看", link="/account", email=False)
    login_as(user)
    assert 'data-testid="unread-count">1<' in client.get("/").get_data(as_text=True)
    response = client.post(f"/inbox/{note.id}/open")
    assert response.headers["Location"] == "/account"
    _db.session.refresh(note)
    assert note.read_at is not None
    assert 'data-testid="unread-count"' not in client.get("/").get_data(as_text=True)


def test_notification_with_foreign_link_does_not_redirect_off_site(client, login_as, db):
    from marketplace.notifications.services import notify

    user = make_user(None)
    note = notify(user, title="x", link="//evil.example/", email=False)
    login_as(user)
    assert client.post(f"/inbox/{note.id}/open").headers["Location"] == "/inbox"


def test_error_pages_are_html_not_500(client, db):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "<html" in response.get_data(as_text=True)


def test_dev_outbox_lists_emails(client, db):
    make_user(None, email="box@example.cn")
    client.post("/forgot-password", data={"email": "box@example.cn"})
    assert "box@example.cn" in client.get("/dev/outbox").get_data(as_text=True)
