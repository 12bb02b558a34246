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


def patent_number(serial: int | None = None, *, year: int = 2019, kind: str = "invention") -> str:
    from marketplace.rights.numbers import build_patent_number

    n = serial if serial is not None else next(_serial)
    return build_patent_number(year, kind, n).application_number  # type: ignore[arg-type]


def make_right(
    org: Organisation | None = None,
    *,
    verified: bool = True,
    share: int = 10_000,
    **fields: Any,
) -> Any:
    """A granted invention patent in force (unless ``fields`` say otherwise) owned by ``org``."""
    from datetime import date

    from marketplace.core.models import utcnow
    from marketplace.rights.kinds import RightKind
    from marketplace.rights.models import Right, RightOwner, RightStatus

    values: dict[str, Any] = {
        "kind": RightKind.INVENTION,
        "title_zh": "一种动力电池热管理系统",
        "filing_date": date(2019, 5, 10),
        "grant_date": date(2021, 3, 2),
        "status": RightStatus.IN_FORCE,
        **fields,
    }
    if "number" not in values:
        values["number"] = patent_number(kind=values["kind"].value, year=values["filing_date"].year)
    right = Right(**values)
    if org is not None:
        right.owners.append(
            RightOwner(
                organisation_id=org.id, share=share, verified_at=utcnow() if verified else None
            )
        )
    db.session.add(right)
    db.session.flush()
    return right


def make_valuation_order(
    holder_org: Organisation,
    holder_user: User,
    appraiser: Organisation,
    appraiser_user: User,
    *,
    accepted: bool = True,
) -> Any:
    """A valuation order on a verified right of ``holder_org``, quoted by ``appraiser`` and
    (unless ``accepted=False``) with that quote accepted."""
    from datetime import timedelta

    from marketplace.core.clock import today
    from marketplace.orders import services as orders
    from marketplace.orders.models import ServiceKind, ValuationPurpose

    right = make_right(holder_org)
    order = orders.create_order(
        holder_org,
        orders.OrderRequest(
            kind=ServiceKind.VALUATION, right_ids=[right.id], purpose=ValuationPurpose.PLEDGE
        ),
        actor=holder_user,
    )
    quote = orders.submit_quote(
        order,
        appraiser,
        actor=appraiser_user,
        fee=800_000,
        delivery_date=today() + timedelta(days=14),
    )
    if accepted:
        orders.accept_quote(quote, actor=holder_user)
    return order
