"""``flask seed demo`` seeds pledge financing: a policy per bank, the two risk-sharing schemes and
loan applications in every state, all through the services, once.

The seed commits, so the module seeds once on real connections and empties every table after."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.accounts.models import Organisation, OrgKind
from marketplace.core.audit import AuditEntry, verify_chain
from marketplace.core.clock import today
from marketplace.demo.data import ORGANISATIONS
from marketplace.demo.pledges import seed_pledges
from marketplace.extensions import db as _db
from marketplace.listings.models import Listing, ListingStatus
from marketplace.orders.models import ServiceOrder
from marketplace.pledges import services
from marketplace.pledges.models import (
    ApplicationStatus,
    LendingPolicy,
    LoanApplication,
    LoanReview,
    Pledge,
    PledgeFiling,
    PledgeRight,
    PledgeStatus,
    Repayment,
    ReviewStatus,
    RiskScheme,
    SchemeKind,
    TransferConsentStatus,
)
from marketplace.rights import services as rights_services
from marketplace.rights.models import Right
from marketplace.valuations.models import Report


def _empty_all_tables() -> None:
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


def _seed(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.output


@pytest.fixture(scope="module")
def seeded(app: Flask) -> Iterator[str]:
    """The full demo, seeded once for the module by the real command (it commits)."""
    _empty_all_tables()
    try:
        yield _seed(app)
    finally:
        _db.session.remove()
        _empty_all_tables()


def _all(model: Any) -> list[Any]:
    return list(_db.session.scalars(sa.select(model).order_by(model.id)))


def _bank(key: str) -> Organisation:
    demo = next(d for d in ORGANISATIONS if d.key == key)
    org = _db.session.scalar(
        sa.select(Organisation).where(Organisation.identity_number == demo.identity_number)
    )
    assert org is not None
    return org


def _pledge(status: PledgeStatus) -> Pledge:
    return next(p for p in _all(Pledge) if p.status is status)


def test_every_application_review_and_pledge_state_is_seeded(seeded: str) -> None:
    assert "pledge loan applications" in seeded
    assert {a.status for a in _all(LoanApplication)} == set(ApplicationStatus)
    assert {r.status for r in _all(LoanReview)} == set(ReviewStatus)
    assert {p.status for p in _all(Pledge)} == {
        PledgeStatus.AGREED,
        PledgeStatus.FILED,
        PledgeStatus.REGISTERED,
        PledgeStatus.RELEASED,
        PledgeStatus.DEFAULTED,
        PledgeStatus.DISPOSING,
    }
    submitted = [
        a
        for a in _all(LoanApplication)
        if a.status is ApplicationStatus.SUBMITTED
        and len(a.reviews) == 2
        and all(r.status is ReviewStatus.SUBMITTED for r in a.reviews)
    ]
    assert submitted, "an application awaits the decision of two banks"
    # Several holders, not one.
    assert len({a.applicant_org_id for a in _all(LoanApplication)}) >= 6


def test_the_decisions_carry_their_texts_and_four_eyes(seeded: str) -> None:
    reviews = _all(LoanReview)
    asked = next(r for r in reviews if r.status is ReviewStatus.INFO_REQUESTED)
    assert asked.reasons and not asked.answer
    rejected = next(r for r in reviews if r.status is ReviewStatus.REJECTED)
    assert rejected.reasons and rejected.decided_by_id
    waiting = next(r for r in reviews if r.status is ReviewStatus.AWAITING_SECOND_APPROVAL)
    policy = services.policy_for(waiting.bank_org)
    assert waiting.approved_amount is not None
    assert waiting.approved_amount > policy.second_approval_above
    assert waiting.second_approver_id is None
    for review in reviews:
        if review.second_approver_id is not None:
            assert review.second_approver_id != review.decided_by_id
        if review.approved_amount is not None:
            assert review.approved_amount <= services.policy_for(review.bank_org).max_amount


def test_the_pledges_have_their_filings_repayments_and_disposal(seeded: str) -> None:
    registered = _pledge(PledgeStatus.REGISTERED)
    assert registered.registration_number and registered.registered_on
    assert registered.interest_paid > 0 and registered.outstanding == registered.principal
    assert any(r.interest > 0 and r.principal == 0 for r in registered.repayments)

    released = _pledge(PledgeStatus.RELEASED)
    assert released.outstanding == 0 and released.released_on == today()
    assert not any(row.active for row in released.held)

    filed = _pledge(PledgeStatus.FILED)
    assert filed.filings and not any(f.accepted_number for f in filed.filings)
    assert all(row.active for row in filed.held)

    agreed = _pledge(PledgeStatus.AGREED)
    assert agreed.contract_sha256 and not agreed.filings
    closed = [r for r in agreed.application.reviews if r.id != agreed.review_id]
    assert closed and all(r.status is ReviewStatus.CLOSED for r in closed)

    assert _pledge(PledgeStatus.DEFAULTED).defaulted_on == today()
    disposing = _pledge(PledgeStatus.DISPOSING)
    listing = disposing.disposal_listing
    assert listing is not None and listing.status is ListingStatus.PUBLISHED
    assert listing.seller_org_id == disposing.pledgor_org_id
    assert {r.id for r in listing.rights} == {r.id for r in disposing.rights}
    consent = services.consent_for(disposing, listing)
    assert consent is not None and consent.status is TransferConsentStatus.GRANTED


def test_the_seeded_loans_keep_the_pledge_rules(seeded: str) -> None:
    on = today()
    for application in _all(LoanApplication):
        org = application.applicant_org
        assert application.reports, application.number
        for right in application.rights:
            assert rights_services.is_verified_for(right, org)
            assert len(right.owners) == 1  # no co-owner's consent to record
            assert any(right in services.report_rights(r) for r in application.reports)
        for report in application.reports:
            assert report.valid_until >= on and services.report_intact(report)
    for pledge in _all(Pledge):
        for right in pledge.rights:
            expires_on = rights_services.expiry_of(right)
            assert expires_on is None or pledge.matures_on <= expires_on
    active = [row.right_id for row in _all(PledgeRight) if row.active]
    assert len(active) == len(set(active))
    # Every pledge holding its rights passes every registration ground.
    for pledge in _all(Pledge):
        if pledge.holds_rights:
            failing = [
                g.message
                for grounds in services.pledge_grounds(pledge, on=on).values()
                for g in services.failing(grounds)
            ]
            assert not failing, (pledge.number, failing)


def test_each_bank_has_its_own_policy(seeded: str) -> None:
    policies = {p.bank_org_id: p for p in _all(LendingPolicy)}
    banks = [o for o in _all(Organisation) if o.kind is OrgKind.BANK]
    assert len(banks) == 3 and {b.id for b in banks} == set(policies)
    kenong, songhua, zhenxing = (policies[_bank(k).id] for k in ("kenong", "songhua", "zhenxing"))
    assert kenong.second_approval_above == 3_000_000_00
    assert kenong.base_rates["invention"] > max(
        songhua.base_rates["invention"], zhenxing.base_rates["invention"]
    )
    assert zhenxing.base_rates["trademark"] > max(
        kenong.base_rates["trademark"], songhua.base_rates["trademark"]
    )
    assert songhua.max_amount < min(kenong.max_amount, zhenxing.max_amount)
    assert "design" not in songhua.base_rates
    assert len({(p.max_amount, p.second_approval_above) for p in policies.values()}) == 3


def test_the_two_risk_schemes_are_seeded(seeded: str) -> None:
    schemes = {s.name_zh: s for s in _all(RiskScheme)}
    assert len(schemes) == 2
    compensation = schemes["长春新区知识产权质押融资风险补偿资金"]
    assert compensation.kind is SchemeKind.RISK_COMPENSATION
    assert compensation.share_bp == 4000 and compensation.annual_cap == 20_000_000_00
    assert compensation.regions == ["长春新区"] and compensation.industries == []
    subsidy = schemes["吉林省知识产权质押贷款贴息"]
    assert subsidy.kind is SchemeKind.INTEREST_SUBSIDY
    assert subsidy.share_bp == 5000 and subsidy.annual_cap == 5_000_000_00
    assert subsidy.regions == []
    industries = set(
        _db.session.scalars(sa.select(Right.industry).where(Right.industry.is_not(None)))
    )
    assert set(subsidy.industries) == industries


def test_seeding_again_creates_nothing_and_the_audit_chain_holds(app: Flask, seeded: str) -> None:
    models = (
        LoanApplication,
        LoanReview,
        Pledge,
        PledgeFiling,
        Repayment,
        LendingPolicy,
        RiskScheme,
        Listing,
        ServiceOrder,
        Report,
        AuditEntry,
    )

    def counts() -> dict[str, int]:
        return {
            m.__name__: _db.session.scalar(sa.select(sa.func.count()).select_from(m)) or 0
            for m in models
        }

    before = counts()
    assert seed_pledges() == before["LoanApplication"]
    _db.session.commit()
    _seed(app)
    assert counts() == before
    report = verify_chain()
    assert report.ok, report
    assert report.checked == before["AuditEntry"]
