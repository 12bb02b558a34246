"""The authorisation matrix: every role against every endpoint that touches someone's object.

Objects of another organisation answer 404, exactly like ids that do not exist, so ids leak
nothing; 403 only where the object is visible but the action is not the caller's to take.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from marketplace.accounts import services
from marketplace.accounts.models import OrgKind, Role
from marketplace.extensions import db as _db
from marketplace.notifications.services import notify
from tests.factories import bearer, make_operator, make_org, make_token, make_user

ROLES = ["anonymous", "no_org", "member_a", "admin_a", "admin_b", "operator"]


@dataclass
class World:
    users: dict[str, Any]
    ids: dict[str, int]


@pytest.fixture
def world(db) -> World:
    org_a = make_org(OrgKind.ENTERPRISE, name_zh="甲公司")
    org_b = make_org(OrgKind.BANK, name_zh="乙银行")
    users = {
        "no_org": make_user(None),
        "member_a": make_user(org_a),
        "admin_a": make_user(org_a, role=Role.ADMIN),
        "admin_b": make_user(org_b, role=Role.ADMIN),
        "operator": make_operator(),
    }
    invitation, _ = services.invite_member(
        org_a, actor=users["admin_a"], email="new@example.cn", role=Role.MEMBER
    )
    token, _ = services.create_api_token(users["member_a"], name="member token", days=5)
    note = notify(users["member_a"], title="hello", link="/org", email=False)
    _db.session.flush()
    ids = {
        "org_a": org_a.id,
        "member_a": users["member_a"].id,
        "invitation_a": invitation.id,
        "token_member_a": token.id,
        "note_member_a": note.id,
    }
    return World(users, ids)


# (method, path template, form/json data, expected status per role)
HTML_CASES = {
    "operator list": (
        "GET",
        "/operator/organisations",
        None,
        {
            "anonymous": 302,
            "no_org": 403,
            "member_a": 403,
            "admin_a": 403,
            "admin_b": 403,
            "operator": 200,
        },
    ),
    "operator review of org A": (
        "GET",
        "/operator/organisations/{org_a}",
        None,
        {
            "anonymous": 302,
            "no_org": 404,
            "member_a": 403,
            "admin_a": 403,
            "admin_b": 404,
            "operator": 200,
        },
    ),
    "change role of A's member": (
        "POST",
        "/org/members/{member_a}/role",
        {"role": "admin"},
        {
            "anonymous": 302,
            "no_org": 404,
            "member_a": 403,
            "admin_a": 302,
            "admin_b": 404,
            "operator": 403,
        },
    ),
    "revoke A's invitation": (
        "POST",
        "/org/invitations/{invitation_a}/revoke",
        {},
        {
            "anonymous": 302,
            "no_org": 404,
            "member_a": 404,
            "admin_a": 302,
            "admin_b": 404,
            "operator": 404,
        },
    ),
    "revoke member A's token": (
        "POST",
        "/account/tokens/{token_member_a}/revoke",
        {},
        {
            "anonymous": 302,
            "no_org": 404,
            "member_a": 302,
            "admin_a": 404,
            "admin_b": 404,
            "operator": 404,
        },
    ),
    "open member A's notification": (
        "POST",
        "/inbox/{note_member_a}/open",
        {},
        {
            "anonymous": 302,
            "no_org": 404,
            "member_a": 302,
            "admin_a": 404,
            "admin_b": 404,
            "operator": 404,
        },
    ),
    "invite to own organisation": (
        "POST",
        "/org/invitations",
        {"email": "x@example.cn", "role": "member"},
        {
            "anonymous": 302,
            "no_org": 302,
            "member_a": 403,
            "admin_a": 302,
            "admin_b": 302,
            "operator": 302,
        },
    ),
}

API_CASES = {
    "get org A": (
        "GET",
        "/api/v1/organisations/{org_a}",
        None,
        {
            "anonymous": 401,
            "no_org": 404,
            "member_a": 200,
            "admin_a": 200,
            "admin_b": 404,
            "operator": 200,
        },
    ),
    "list A's members": (
        "GET",
        "/api/v1/organisations/{org_a}/members",
        None,
        {
            "anonymous": 401,
            "no_org": 404,
            "member_a": 200,
            "admin_a": 200,
            "admin_b": 404,
            "operator": 200,
        },
    ),
    "invite to A": (
        "POST",
        "/api/v1/organisations/{org_a}/invitations",
        {"email": "c@example.cn"},
        {
            "anonymous": 401,
            "no_org": 404,
            "member_a": 403,
            "admin_a": 201,
            "admin_b": 404,
            "operator": 403,
        },
    ),
    "decide on A": (
        "POST",
        "/api/v1/organisations/{org_a}/decision",
        {"status": "suspended", "reason": "核查中"},
        {
            "anonymous": 401,
            "no_org": 404,
            "member_a": 403,
            "admin_a": 403,
            "admin_b": 404,
            "operator": 200,
        },
    ),
    "revoke member A's token": (
        "DELETE",
        "/api/v1/tokens/{token_member_a}",
        None,
        {
            "anonymous": 401,
            "no_org": 404,
            "member_a": 204,
            "admin_a": 404,
            "admin_b": 404,
            "operator": 404,
        },
    ),
}


def _cases(table):
    return [pytest.param(name, role, id=f"{name} as {role}") for name in table for role in ROLES]


@pytest.mark.parametrize(("case", "role"), _cases(HTML_CASES))
def test_html_permissions(client, login_as, world, case, role):
    method, template, data, expected = HTML_CASES[case]
    if role != "anonymous":
        login_as(world.users[role])
    path = template.format(**world.ids)
    response = client.open(path, method=method, data=data)
    assert response.status_code == expected[role]
    if expected[role] == 302 and role == "anonymous":
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("case", "role"), _cases(API_CASES))
def test_api_permissions(client, world, case, role):
    method, template, data, expected = API_CASES[case]
    headers = {} if role == "anonymous" else bearer(make_token(world.users[role]))
    path = template.format(**world.ids)
    response = client.open(path, method=method, json=data, headers=headers)
    assert response.status_code == expected[role], response.get_data(as_text=True)
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize("role", ["no_org", "admin_b"])
def test_foreign_and_missing_ids_look_the_same(client, world, role):
    headers = bearer(make_token(world.users[role]))
    foreign = client.get(f"/api/v1/organisations/{world.ids['org_a']}", headers=headers)
    missing = client.get("/api/v1/organisations/999999", headers=headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()


def test_pending_organisation_admin_cannot_invite_yet(client, login_as, db):
    from marketplace.accounts.models import OrgStatus

    org = make_org(status=OrgStatus.PENDING)
    admin = make_user(org, role=Role.ADMIN)
    login_as(admin)
    response = client.post("/org/invitations", data={"email": "x@example.cn", "role": "member"})
    assert response.status_code == 403
