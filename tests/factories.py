"""Test data, one style for the whole suite: plain functions that add and flush real models
with valid identity numbers."""

from __future__ import annotations

import itertools
from typing import Any

from stdnum.cn import ric, uscc
from werkzeug.security import generate_password_hash

from marketplace.accounts import services
from marketplace.accounts.models import Organisation, OrgKind, OrgStatus, Role, User
from marketplace.extensions import db

PASSWORD = "correct-horse-42"
_serial = itertools.count(1)


def valid_uscc(n: int | None = None) -> str:
    base = f"91220100MA{(n if n is not None else next(_serial)) % 10_000_000:07d}"
    return base + uscc.calc_check_digit(base)


def valid_ric(n: int | None = None) -> str:
    base = f"22010019900101{(n if n is not None else next(_serial)) % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def make_org(
    kind: OrgKind = OrgKind.ENTERPRISE,
    *,
    status: OrgStatus = OrgStatus.VERIFIED,
    name_zh: str | None = None,
    **fields: Any,
) -> Organisation:
    n = next(_serial)
    org = Organisation(
        kind=kind,
        name_zh=name_zh or f"测试机构{n}号",
        region="长春新区",
        identity_number=valid_ric(n) if kind is OrgKind.INDIVIDUAL_INVENTOR else valid_uscc(n),
        status=status,
        **fields,
    )
    db.session.add(org)
    db.session.flush()
    return org


def make_user(
    org: Organisation | None = None,
    *,
    role: Role = Role.MEMBER,
    email: str | None = None,
    password: str = PASSWORD,
    **fields: Any,
) -> User:
    n = next(_serial)
    user = User(
        email=email or f"user{n}@example.cn",
        name=fields.pop("name", f"用户{n}"),
        password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000"),
        organisation=org,
        role=role,
        terms_version=services.TERMS_VERSION,
        privacy_version=services.PRIVACY_VERSION,
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_operator() -> User:
    org = make_org(OrgKind.OPERATOR)
    return make_user(org, role=Role.ADMIN)


def make_token(user: User, *, days: int = 30) -> str:
    """A personal API token for ``user``; returns the secret for the Authorization header."""
    _token, secret = services.create_api_token(user, name="test", days=days)
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
