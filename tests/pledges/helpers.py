"""Pledge test data: rows built directly (no services), for tests of what reads pledges."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from marketplace.accounts.models import Organisation, OrgKind, User
from marketplace.core.clock import today
from marketplace.extensions import db
from marketplace.pledges.models import (
    HOLDING_STATUSES,
    ApplicationStatus,
    LoanApplication,
    LoanReview,
    Pledge,
    PledgeRight,
    PledgeStatus,
    ReviewStatus,
)
from marketplace.rights.models import Right
from tests.factories import make_org, make_right, make_user

_serial = itertools.count(1)


def make_bank(**fields: Any) -> tuple[Organisation, User]:
    bank = make_org(OrgKind.BANK, **fields)
    return bank, make_user(bank)


def make_pledge(
    pledgor: Organisation,
    bank: Organisation,
    rights: list[Right] | None = None,
    *,
    principal: int = 1_000_000_00,
    outstanding: int | None = None,
    rate_bp: int = 450,
    status: PledgeStatus = PledgeStatus.REGISTERED,
    starts_on: date | None = None,
    months: int = 24,
    actor: User | None = None,
) -> Pledge:
    """A pledge of ``rights`` (one new verified invention of ``pledgor`` by default) to ``bank``
    with its application and approved review, in ``status``; its rights are held (active) when
    the status holds them."""
    actor = actor or make_user(pledgor)
    rights = rights if rights is not None else [make_right(pledgor)]
    starts_on = starts_on or today()
    n = next(_serial)
    application = LoanApplication(
        number=f"IPT-L-T-{n:06d}",
        applicant_org_id=pledgor.id,
        created_by_id=actor.id,
        amount=principal,
        term_months=months,
        purpose="流动资金",
        status=ApplicationStatus.ACCEPTED,
        rights=list(rights),
    )
    review = LoanReview(
        application=application,
        bank_org_id=bank.id,
        status=ReviewStatus.ACCEPTED,
        approved_amount=principal,
        rate_bp=rate_bp,
        approved_term_months=months,
    )
    pledge = Pledge(
        number=f"IPT-P-T-{n:06d}",
        review=review,
        application=application,
        pledgor_org_id=pledgor.id,
        pledgee_org_id=bank.id,
        principal=principal,
        outstanding=principal if outstanding is None else outstanding,
        rate_bp=rate_bp,
        starts_on=starts_on,
        matures_on=starts_on + timedelta(days=round(months * 365.25 / 12)),
        status=status,
        contract_sha256="0" * 64,
        contract_version="test",
        registration_number=f"Y2026990{n:05d}" if status is PledgeStatus.REGISTERED else None,
        registered_on=starts_on if status is PledgeStatus.REGISTERED else None,
    )
    db.session.add_all([application, review, pledge])
    for right in rights:
        db.session.add(
            PledgeRight(pledge=pledge, right_id=right.id, active=status in HOLDING_STATUSES)
        )
    db.session.flush()
    return pledge


def make_report(
    holder: Organisation,
    holder_user: User,
    rights: list[Right],
    *,
    basis: Any = None,
    appraiser: tuple[Organisation, User] | None = None,
) -> Any:
    """A signed, delivered appraisal report on ``rights`` ordered by ``holder`` (the demo's
    inputs: a pledge value of roughly ¥1.4 million with the pledge-value basis)."""
    from marketplace.demo.valuations import DEMO_INPUTS
    from marketplace.orders import services as orders
    from marketplace.orders.models import ServiceKind, ValuationPurpose
    from marketplace.valuations import services as valuations
    from marketplace.valuations.models import ValueBasis

    appraiser_org, appraiser_user = appraiser or _appraiser()
    order = orders.create_order(
        holder,
        orders.OrderRequest(
            kind=ServiceKind.VALUATION,
            right_ids=[r.id for r in rights],
            purpose=ValuationPurpose.PLEDGE,
        ),
        actor=holder_user,
    )
    quote = orders.submit_quote(
        order,
        appraiser_org,
        actor=appraiser_user,
        fee=800_000,
        delivery_date=today() + timedelta(days=14),
    )
    orders.accept_quote(quote, actor=holder_user)
    appraisal = valuations.appraisal_for(order)
    valuations.save_draft(
        appraisal,
        actor=appraiser_user,
        inputs=DEMO_INPUTS,
        basis=basis or ValueBasis.PLEDGE_VALUE,
        pledge_percentile=20,
    )
    report = valuations.sign_report(appraisal, actor=appraiser_user)
    orders.accept_delivery(order, actor=holder_user)
    return report


def _appraiser() -> tuple[Organisation, User]:
    org = make_org(OrgKind.APPRAISER)
    return org, make_user(org)
