"""Pledge rules: registration grounds, policy arithmetic, four eyes, consents, the pledge's life,
the pledgee's consent to transfers, and exclusivity under real concurrency (PostgreSQL)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import OrgKind
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import (
    Conflict,
    IllegalTransition,
    PermissionDenied,
    ValidationFailed,
)
from marketplace.extensions import db as _db
from marketplace.listings import services as listings
from marketplace.listings.errors import ListingRefused
from marketplace.listings.models import DealType, Listing, ListingStatus
from marketplace.pledges import services
from marketplace.pledges.errors import PledgeRefused
from marketplace.pledges.models import (
    ApplicationStatus,
    ConsentGround,
    LendingPolicy,
    Pledge,
    PledgeFiling,
    PledgeRight,
    PledgeStatus,
    ReviewStatus,
)
from marketplace.pledges.services import Outcome
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import (
    Dispute,
    Licence,
    LicenceType,
    OwnershipClaim,
    RightOwner,
    RightStatus,
)
from marketplace.valuations.models import ValueBasis
from tests.concurrency import race
from tests.conftest import is_postgres
from tests.factories import make_org, make_right, make_user
from tests.pledges.helpers import make_bank, make_pledge, make_report


@pytest.fixture
def holder(db):
    org = make_org(OrgKind.ENTERPRISE)
    return org, make_user(org)


@pytest.fixture
def bank(db):
    return make_bank()


def apply(holder, rights, banks, *, amount=2_000_000_00, months=24, reports=()):
    org, user = holder
    return services.create_application(
        org,
        services.ApplicationData(
            amount=amount,
            term_months=months,
            purpose="研发投入与流动资金",
            right_ids=[r.id for r in rights],
            bank_ids=[b.id for b in banks],
            report_ids=[r.id for r in reports],
        ),
        actor=user,
    )


def agreed_pledge(holder, bank, rights, *, amount=1_000_000_00, months=24):
    """A pledge accepted and agreed (not filed) through the services."""
    application = apply(holder, rights, [bank[0]], amount=amount, months=months)
    services.submit_application(application, actor=holder[1])
    review = application.review_by(bank[0])
    services.approve(
        review,
        services.Approval(amount=amount, rate_bp=420, term_months=months),
        actor=bank[1],
    )
    return services.accept_offer(review, actor=holder[1])


def grounds_of(holder, bank, right, *, months=24, application=None):
    application = application or apply(holder, [right], [bank[0]], months=months)
    grounds = services.registration_grounds(
        right,
        application,
        pledgee_id=bank[0].id,
        matures_on=today() + timedelta(days=months * 30),
    )
    return {g.code: g for g in grounds}


# --- registration-refusal grounds ------------------------------------------------------------


def test_a_sound_right_passes_every_ground(holder, bank):
    grounds = grounds_of(holder, bank, make_right(holder[0]))
    assert {g.outcome for g in grounds.values()} == {Outcome.PASS}
    assert {"owner", "status", "fees", "suspension", "term", "co_owners", "pledged"} <= set(grounds)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (RightStatus.PENDING, "status"),
        (RightStatus.LAPSED, "status"),
        (RightStatus.EXPIRED, "status"),
        (RightStatus.INVALIDATED, "status"),
        (RightStatus.GRACE_PERIOD, "fees"),
        (RightStatus.SUSPENDED, "suspension"),
        (RightStatus.UNDER_INVALIDATION, "invalidation"),
    ],
)
def test_each_legal_status_ground_fails(holder, bank, status, code):
    right = make_right(holder[0])
    application = apply(holder, [right], [bank[0]])
    right.status = status
    grounds = grounds_of(holder, bank, right, application=application)
    assert grounds[code].outcome is Outcome.FAIL
    assert right.number in grounds[code].message


def test_a_pledgor_who_is_not_a_verified_owner_fails(holder, bank):
    right = make_right(holder[0])
    application = apply(holder, [right], [bank[0]])
    right.owner_row(holder[0]).verified_at = None
    assert grounds_of(holder, bank, right, application=application)["owner"].outcome is (
        Outcome.FAIL
    )


def test_an_open_ownership_dispute_fails(holder, bank):
    right = make_right(holder[0])
    application = apply(holder, [right], [bank[0]])
    rival = make_org(OrgKind.ENTERPRISE)
    claim = OwnershipClaim(
        right_id=right.id, organisation_id=rival.id, submitted_by_id=holder[1].id
    )
    _db.session.add(claim)
    _db.session.flush()
    _db.session.add(Dispute(right_id=right.id, claim_id=claim.id, holder_org_id=holder[0].id))
    _db.session.flush()
    assert grounds_of(holder, bank, right, application=application)["suspension"].outcome is (
        Outcome.FAIL
    )


def test_a_debt_deadline_after_the_right_expires_fails(holder, bank):
    # A utility model filed on 2017-03-01 expires on 2027-02-28: a 24-month loan outlives it.
    right = make_right(
        holder[0],
        kind=RightKind.UTILITY_MODEL,
        filing_date=date(2017, 3, 1),
        grant_date=date(2017, 9, 1),
    )
    ground = grounds_of(holder, bank, right, months=24)["term"]
    assert ground.outcome is Outcome.FAIL and "2027-02-28" in ground.message
    assert grounds_of(holder, bank, right, months=1)["term"].outcome is Outcome.PASS


def test_co_owners_must_consent_before_the_application_is_sent(holder, bank):
    right = make_right(holder[0], share=6_000)
    partner = make_org(OrgKind.UNIVERSITY, name_zh="吉林某大学")
    partner_user = make_user(partner)
    right.owners.append(RightOwner(organisation_id=partner.id, share=4_000))
    _db.session.flush()
    application = apply(holder, [right], [bank[0]])
    assert grounds_of(holder, bank, right, application=application)["co_owners"].outcome is (
        Outcome.FAIL
    )
    with pytest.raises(PledgeRefused) as caught:
        services.submit_application(application, actor=holder[1])
    assert "吉林某大学" in caught.value.fields["rights"][0]
    assert application.status is ApplicationStatus.DRAFT

    with pytest.raises(PermissionDenied):  # the applicant cannot consent for its co-owner
        services.record_consent(application, right, ConsentGround.CO_OWNER, actor=holder[1])
    services.record_consent(application, right, ConsentGround.CO_OWNER, actor=partner_user)
    with pytest.raises(Conflict):
        services.record_consent(application, right, ConsentGround.CO_OWNER, actor=partner_user)
    services.submit_application(application, actor=holder[1])
    assert application.status is ApplicationStatus.SUBMITTED
    assert grounds_of(holder, bank, right, application=application)["co_owners"].outcome is (
        Outcome.PASS
    )


def test_a_right_already_pledged_fails(holder, bank):
    right = make_right(holder[0])
    other_bank, _ = make_bank(name_zh="另一家银行")
    make_pledge(holder[0], other_bank, [right])
    ground = grounds_of(holder, bank, right)["pledged"]
    assert ground.outcome is Outcome.FAIL and "另一家银行" in ground.message


def test_an_assignment_closing_on_the_market_fails(holder, bank):
    right = make_right(holder[0])
    application = apply(holder, [right], [bank[0]])
    listing = listings.create_listing(
        holder[0],
        listings.ListingData(
            title="转让", teaser="专利转让", deal_type=DealType.ASSIGNMENT, right_ids=[right.id]
        ),
        actor=holder[1],
    )
    listings.publish_listing(listing, actor=holder[1])
    assert grounds_of(holder, bank, right, application=application)["assignment"].outcome is (
        Outcome.PASS
    )
    listings.start_negotiation(listing, actor=holder[1])
    assert grounds_of(holder, bank, right, application=application)["assignment"].outcome is (
        Outcome.FAIL
    )


def test_invalidation_passes_as_a_warning_only_with_both_parties_informed_consent(holder, bank):
    right = make_right(holder[0])
    application = apply(holder, [right], [bank[0]])
    right.status = RightStatus.UNDER_INVALIDATION
    services.record_consent(application, right, ConsentGround.UNDER_INVALIDATION, actor=holder[1])
    grounds = grounds_of(holder, bank, right, application=application)
    assert grounds["invalidation"].outcome is Outcome.FAIL  # the bank has not consented yet
    services.record_consent(application, right, ConsentGround.UNDER_INVALIDATION, actor=bank[1])
    grounds = grounds_of(holder, bank, right, application=application)
    assert grounds["invalidation"].outcome is Outcome.WARNING


def test_one_of_a_same_day_pair_needs_both_parties_informed_consent(holder, bank):
    invention = make_right(holder[0], title_zh="一种玉米育种装置")
    twin = make_right(
        holder[0],
        kind=RightKind.UTILITY_MODEL,
        title_zh="一种玉米育种装置",
        filing_date=invention.filing_date,
        grant_date=date(2019, 12, 1),
    )
    application = apply(holder, [invention], [bank[0]])
    ground = grounds_of(holder, bank, invention, application=application)["same_day"]
    assert ground.outcome is Outcome.FAIL and twin.number in ground.message
    for actor in (holder[1], bank[1]):
        services.record_consent(application, invention, ConsentGround.SAME_DAY_PAIR, actor=actor)
    ground = grounds_of(holder, bank, invention, application=application)["same_day"]
    assert ground.outcome is Outcome.WARNING


def test_identical_trademarks_in_one_class_must_be_pledged_together(holder, bank):
    marks = [
        make_right(
            holder[0],
            kind=RightKind.TRADEMARK,
            number=f"6012345{i}",
            title_zh="长新",
            filing_date=date(2018, 1, 5),
            registration_date=date(2019, 4, 7),
            nice_classes=[12],
        )
        for i in range(2)
    ]
    ground = grounds_of(holder, bank, marks[0])["similar_marks"]
    assert ground.outcome is Outcome.FAIL and marks[1].number in ground.message
    application = apply(holder, marks, [bank[0]])
    assert "similar_marks" not in grounds_of(holder, bank, marks[0], application=application)
    assert grounds_of(holder, bank, marks[0], application=application)["kind"].message == (
        "国家知识产权局商标局"
    )


def test_a_geographical_indication_cannot_even_be_applied_for(holder, bank):
    gi = make_right(
        holder[0],
        kind=RightKind.GEOGRAPHICAL_INDICATION,
        number="AGI00123",
        registration_date=date(2015, 1, 1),
    )
    with pytest.raises(ValidationFailed) as caught:
        apply(holder, [gi], [bank[0]])
    assert "right_ids" in caught.value.fields


def test_an_exclusive_licence_is_a_warning(holder, bank):
    right = make_right(holder[0])
    _db.session.add(
        Licence(
            right_id=right.id,
            licensee_name="一汽某公司",
            licence_type=LicenceType.EXCLUSIVE,
            starts_on=date(2024, 1, 1),
        )
    )
    _db.session.flush()
    ground = grounds_of(holder, bank, right)["exclusive_licence"]
    assert ground.outcome is Outcome.WARNING and "一汽某公司" in ground.message


def test_filing_is_refused_on_any_failing_ground_and_writes_nothing(holder, bank):
    right = make_right(holder[0])
    pledge = agreed_pledge(holder, bank, [right])
    right.status = RightStatus.GRACE_PERIOD
    _db.session.flush()
    with pytest.raises(PledgeRefused) as caught:
        services.file_registration(pledge, actor=bank[1])
    assert [right.number in reason for reason in caught.value.fields["rights"]] == [True]
    assert pledge.status is PledgeStatus.AGREED
    assert not pledge.filings and not any(row.active for row in pledge.held)


# --- lending policy arithmetic ---------------------------------------------------------------


def flat_policy(**changes):
    """A policy whose haircuts are all 1, so the suggested loan is value × base rate."""
    data = services.PolicyData.default()
    haircuts = {
        "remaining_term": [[0, 10_000]],
        "legal_score": [[0, 10_000]],
        "legal_score_unknown": 10_000,
        "concentration": [[0, 10_000]],
        "exclusive_licence": 10_000,
    }
    return dataclasses.replace(data, **{"haircuts": haircuts, **changes})


def review_with_report(holder, bank, rights, *, basis=ValueBasis.PLEDGE_VALUE, amount=None):
    report = make_report(holder[0], holder[1], rights, basis=basis)
    application = apply(holder, rights, [bank[0]], reports=[report], amount=amount or 1_000_000_00)
    services.submit_application(application, actor=holder[1])
    return application.review_by(bank[0]), report


def test_the_suggested_loan_is_value_times_rate_times_each_haircut(holder, bank):
    services.save_policy(bank[0], flat_policy(), actor=bank[1])
    review, report = review_with_report(holder, bank, [make_right(holder[0])])
    dossier = services.build_dossier(review)
    assert dossier.value == report.concluded_value  # pledge-value basis: used as concluded
    assert dossier.suggested == report.concluded_value * 3_500 // 10_000

    haircuts = dict(flat_policy().haircuts, concentration=[[0, 8_000], [2, 10_000]])
    services.save_policy(bank[0], flat_policy(haircuts=haircuts), actor=bank[1])
    dossier = services.build_dossier(review)
    expected = report.concluded_value * 0.35 * 0.8
    assert abs(dossier.suggested - expected) <= 1
    codes = [f.code for f in dossier.units[0].factors]
    assert codes == ["base_rate", "remaining_term", "legal_score", "concentration"]
    assert "80" in dossier.units[0].factors[-1].explanation or "0.80" in (
        dossier.units[0].factors[-1].explanation
    )


def test_the_policy_maximum_caps_the_suggested_loan(holder, bank):
    services.save_policy(bank[0], flat_policy(max_amount=100_000_00), actor=bank[1])
    review, _ = review_with_report(holder, bank, [make_right(holder[0])])
    dossier = services.build_dossier(review)
    assert dossier.suggested == 100_000_00
    assert dossier.units[0].factors[-1].code == "max_amount"


def test_a_kind_the_bank_does_not_accept_gets_nothing(holder, bank):
    rates = {"trademark": 4_000}
    services.save_policy(bank[0], flat_policy(base_rates=rates), actor=bank[1])
    review, _ = review_with_report(holder, bank, [make_right(holder[0])])
    dossier = services.build_dossier(review)
    assert dossier.suggested == 0 and dossier.grade == "E"
    assert dossier.units[0].refusals and not dossier.units[0].eligible


def test_a_market_value_report_is_taken_at_the_policy_percentile(holder, bank):
    report = make_report(
        holder[0], holder[1], [make_right(holder[0])], basis=ValueBasis.MARKET_VALUE
    )
    p10, p25 = report.results["percentiles"]["p10"], report.results["percentiles"]["p25"]
    policy = LendingPolicy(value_percentile=10)
    assert services.conservative_value(report, policy) == p10
    policy.value_percentile = 25
    assert services.conservative_value(report, policy) == p25
    policy.value_percentile = 20
    assert p10 < services.conservative_value(report, policy) < p25


def test_the_risk_grade_follows_loan_to_value_and_drops_with_failing_grounds():
    assert services.risk_grade(2_000, fails=0, warnings=0, all_fail=False)[0] == "A"
    assert services.risk_grade(5_000, fails=0, warnings=0, all_fail=False)[0] == "C"
    assert services.risk_grade(5_000, fails=1, warnings=0, all_fail=False)[0] == "D"
    assert services.risk_grade(9_000, fails=0, warnings=0, all_fail=False)[0] == "E"
    assert services.risk_grade(1_000, fails=3, warnings=0, all_fail=True)[0] == "E"


def test_a_failing_right_adds_nothing_to_the_suggested_loan(holder, bank):
    services.save_policy(bank[0], flat_policy(), actor=bank[1])
    sound, lapsing = make_right(holder[0]), make_right(holder[0])
    reports = [make_report(holder[0], holder[1], [r]) for r in (sound, lapsing)]
    application = apply(holder, [sound, lapsing], [bank[0]], reports=reports)
    services.submit_application(application, actor=holder[1])
    lapsing.status = RightStatus.GRACE_PERIOD
    dossier = services.build_dossier(application.review_by(bank[0]))
    amounts = {unit.rights[0].id: unit.amount for unit in dossier.units}
    assert amounts[lapsing.id] == 0 and amounts[sound.id] > 0
    assert dossier.suggested == amounts[sound.id]


def test_a_bad_policy_is_refused_with_every_problem_and_nothing_saved(bank):
    data = dataclasses.replace(
        services.PolicyData.default(),
        base_rates={"invention": 9_000, "geographical_indication": 3_000},
        max_amount=0,
        value_percentile=40,
        haircuts={**services.DEFAULT_POLICY["haircuts"], "remaining_term": [[2, 5_000]]},
    )
    with pytest.raises(ValidationFailed) as caught:
        services.save_policy(bank[0], data, actor=bank[1])
    assert {"base_rates", "max_amount", "value_percentile", "haircuts.remaining_term"} <= set(
        caught.value.fields
    )
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(LendingPolicy)) == 0


# --- decisions and four eyes -----------------------------------------------------------------


def test_above_the_threshold_a_second_approver_from_the_same_bank_is_required(holder, bank):
    services.save_policy(
        bank[0],
        dataclasses.replace(services.PolicyData.default(), second_approval_above=500_000_00),
        actor=bank[1],
    )
    application = apply(holder, [make_right(holder[0])], [bank[0]])
    services.submit_application(application, actor=holder[1])
    review = application.review_by(bank[0])
    services.approve(
        review, services.Approval(amount=800_000_00, rate_bp=400, term_months=24), actor=bank[1]
    )
    assert review.status is ReviewStatus.AWAITING_SECOND_APPROVAL
    with pytest.raises(PermissionDenied):
        services.second_approve(review, actor=bank[1])  # the same person
    _outsider_bank, outsider = make_bank()
    with pytest.raises(PermissionDenied):
        services.second_approve(review, actor=outsider)
    with pytest.raises(IllegalTransition):  # not yet approved: the holder cannot accept
        services.accept_offer(review, actor=holder[1])
    colleague = make_user(bank[0])
    services.second_approve(review, actor=colleague)
    assert review.status is ReviewStatus.APPROVED and review.second_approver_id == colleague.id
    actions = [e.action for e in audit.history("loan_reviews", review.id)]
    assert actions == ["loan_review.awaiting_second_approval", "loan_review.approved"]


def test_below_the_threshold_one_approver_suffices(holder, bank):
    application = apply(holder, [make_right(holder[0])], [bank[0]])
    services.submit_application(application, actor=holder[1])
    review = application.review_by(bank[0])
    services.approve(
        review, services.Approval(amount=100_000_00, rate_bp=400, term_months=12), actor=bank[1]
    )
    assert review.status is ReviewStatus.APPROVED


def test_terms_outside_the_policy_are_refused_and_nothing_changes(holder, bank):
    application = apply(holder, [make_right(holder[0])], [bank[0]])
    services.submit_application(application, actor=holder[1])
    review = application.review_by(bank[0])
    with pytest.raises(ValidationFailed) as caught:
        services.approve(
            review,
            services.Approval(amount=10**12, rate_bp=9_000, term_months=99, right_ids=[123456]),
            actor=bank[1],
        )
    assert {"amount", "rate_bp", "term_months", "right_ids"} <= set(caught.value.fields)
    assert review.status is ReviewStatus.SUBMITTED and review.approved_amount is None


def test_information_request_answer_and_rejection_reach_the_applicant(holder, bank):
    application = apply(holder, [make_right(holder[0])], [bank[0]])
    services.submit_application(application, actor=holder[1])
    review = application.review_by(bank[0])
    services.request_information(review, "请补充近两年财务报表。", actor=bank[1])
    assert review.status is ReviewStatus.INFO_REQUESTED
    with pytest.raises(PermissionDenied):
        services.answer_information(review, "答复", actor=bank[1])
    services.answer_information(review, "已上传审计报告。", actor=holder[1])
    assert review.status is ReviewStatus.SUBMITTED
    with pytest.raises(ValidationFailed):
        services.reject(review, "  ", actor=bank[1])
    services.reject(review, "质押物剩余期限不足。", actor=bank[1])
    assert review.status is ReviewStatus.REJECTED and review.reasons == "质押物剩余期限不足。"
    titles = (
        [n.title for n in holder[1].notifications] if hasattr(holder[1], "notifications") else []
    )
    del titles


def test_accepting_one_offer_closes_the_other_banks(holder, bank):
    second_bank, _second_user = make_bank()
    application = apply(holder, [make_right(holder[0])], [bank[0], second_bank])
    services.submit_application(application, actor=holder[1])
    review = application.review_by(bank[0])
    services.approve(
        review, services.Approval(amount=100_000_00, rate_bp=400, term_months=12), actor=bank[1]
    )
    pledge = services.accept_offer(review, actor=holder[1])
    assert application.review_by(second_bank).status is ReviewStatus.CLOSED
    assert application.status is ApplicationStatus.ACCEPTED
    assert pledge.status is PledgeStatus.AGREED and pledge.principal == 100_000_00
    assert pledge.matures_on > pledge.starts_on


# --- the pledge's life -----------------------------------------------------------------------


def test_register_repay_and_release(holder, bank):
    right = make_right(holder[0])
    pledge = agreed_pledge(holder, bank, [right])
    [filing] = services.file_registration(pledge, actor=bank[1])
    assert pledge.status is PledgeStatus.FILED and all(r.active for r in pledge.held)
    assert filing.data["pledgor"]["identity_number"] == holder[0].identity_number
    assert filing.data["rights"][0]["number"] == right.display_number
    assert filing.data["secured_claim"]["deadline"] == pledge.matures_on.isoformat()
    with pytest.raises(ValidationFailed):
        services.record_acceptance(filing, number=" ", on=today(), actor=bank[1])
    services.record_acceptance(filing, number="Y2026220000123", on=today(), actor=bank[1])
    assert pledge.status is PledgeStatus.REGISTERED
    assert pledge.registration_number == "Y2026220000123"

    with pytest.raises(Conflict):  # principal outstanding
        services.release_pledge(pledge, actor=bank[1])
    with pytest.raises(ValidationFailed):
        services.record_repayment(
            pledge, principal=pledge.principal + 1, interest=0, paid_on=today(), actor=bank[1]
        )
    services.record_repayment(
        pledge, principal=pledge.principal, interest=3_500_00, paid_on=today(), actor=bank[1]
    )
    [release] = services.release_pledge(pledge, actor=bank[1])
    assert pledge.status is PledgeStatus.RELEASED and release.kind.value == "release"
    assert not any(r.active for r in pledge.held)
    actions = [e.action for e in audit.history("pledges", pledge.id)]
    assert actions[:3] == ["pledge.agreed", "pledge.filed", "pledge_filing.registration"]
    assert "pledge.registered" in actions and actions[-1] == "pledge_filing.release"


def test_a_refused_filing_frees_the_rights(holder, bank):
    right = make_right(holder[0])
    pledge = agreed_pledge(holder, bank, [right])
    [filing] = services.file_registration(pledge, actor=bank[1])
    services.record_refusal(filing, reason="申请材料不齐", actor=bank[1])
    assert pledge.status is PledgeStatus.AGREED and not any(r.active for r in pledge.held)
    services.file_registration(pledge, actor=bank[1])
    assert pledge.status is PledgeStatus.FILED


def test_a_bundle_of_a_patent_and_a_trademark_files_with_each_authority(holder, bank):
    patent = make_right(holder[0])
    mark = make_right(
        holder[0],
        kind=RightKind.TRADEMARK,
        number="58000001",
        title_zh="长新动力",
        filing_date=date(2020, 1, 5),
        registration_date=date(2021, 4, 7),
        nice_classes=[12],
    )
    pledge = agreed_pledge(holder, bank, [patent, mark])
    filings = services.file_registration(pledge, actor=bank[1])
    assert {f.authority for f in filings} == {"国家知识产权局", "国家知识产权局商标局"}
    services.record_acceptance(filings[0], number="P-1", on=today(), actor=bank[1])
    assert pledge.status is PledgeStatus.FILED  # one authority has not answered yet
    services.record_acceptance(filings[1], number="T-1", on=today(), actor=bank[1])
    assert pledge.status is PledgeStatus.REGISTERED


def test_a_change_cannot_move_the_deadline_past_a_rights_expiry(holder, bank):
    right = make_right(holder[0])
    pledge = agreed_pledge(holder, bank, [right])
    [filing] = services.file_registration(pledge, actor=bank[1])
    services.record_acceptance(filing, number="Y1", on=today(), actor=bank[1])
    with pytest.raises(ValidationFailed) as caught:
        services.change_pledge(
            pledge, principal=pledge.principal, matures_on=date(2045, 1, 1), actor=bank[1]
        )
    assert "matures_on" in caught.value.fields
    new_deadline = pledge.matures_on + timedelta(days=180)
    [change] = services.change_pledge(
        pledge, principal=pledge.principal * 2, matures_on=new_deadline, actor=bank[1]
    )
    assert change.data["secured_claim"]["deadline"] == new_deadline.isoformat()
    assert pledge.outstanding == pledge.principal


def test_only_the_pledgee_acts_on_a_pledge(holder, bank):
    pledge = agreed_pledge(holder, bank, [make_right(holder[0])])
    with pytest.raises(PermissionDenied):
        services.file_registration(pledge, actor=holder[1])
    _, other_banker = make_bank()
    with pytest.raises(PermissionDenied):
        services.file_registration(pledge, actor=other_banker)


def test_the_contract_never_passes_the_right_to_the_lender_on_default(holder, bank):
    pledge = agreed_pledge(holder, bank, [make_right(holder[0])])
    clauses = services.contract_clauses(pledge)
    assert services.forfeiture_clauses(clauses) == []
    assert any("优先受偿" in c for c in clauses)  # Art. 436: sale, priority from the proceeds
    planted = "第十一条 债务人到期不履行债务的，质押财产归质权人所有。"
    assert services.forfeiture_clauses([*clauses, planted]) == [planted]
    import hashlib

    assert hashlib.sha256(pledge.contract_pdf).hexdigest() == pledge.contract_sha256
    agreed = audit.history("pledges", pledge.id)[0]
    assert agreed.after["contract_sha256"] == pledge.contract_sha256


# --- the pledgee's consent to transfers, default and disposal --------------------------------


def offer(holder, right, deal_type=DealType.ASSIGNMENT, **fields):
    listing = listings.create_listing(
        holder[0],
        listings.ListingData(
            title="技术转让", teaser="专利", deal_type=deal_type, right_ids=[right.id], **fields
        ),
        actor=holder[1],
    )
    return listing


def registered(holder, bank, rights):
    pledge = agreed_pledge(holder, bank, rights)
    for filing in services.file_registration(pledge, actor=bank[1]):
        services.record_acceptance(filing, number="Y9", on=today(), actor=bank[1])
    return pledge


@pytest.mark.parametrize(
    ("deal_type", "fields"),
    [
        (DealType.ASSIGNMENT, {}),
        (DealType.NON_EXCLUSIVE, {"licence_starts_on": date(2027, 1, 1)}),
        (
            DealType.OPEN_LICENCE,
            {
                "licence_starts_on": date(2027, 1, 1),
                "asking_price": 50_000_00,
                "open_terms": "标准条款",
            },
        ),
    ],
)
def test_a_pledged_right_is_offered_only_with_the_pledgees_consent(holder, bank, deal_type, fields):
    right = make_right(holder[0])
    registered(holder, bank, [right])
    listing = offer(holder, right, deal_type, **fields)
    with pytest.raises(ListingRefused) as caught:
        listings.publish_listing(listing, actor=holder[1])
    assert any(bank[0].name_zh in r for r in caught.value.fields["rights"])
    [consent] = services.request_transfer_consent(listing, actor=holder[1])
    with pytest.raises(PermissionDenied):
        services.decide_transfer_consent(consent, grant=True, actor=holder[1])
    services.decide_transfer_consent(consent, grant=False, actor=bank[1], note="不同意")
    with pytest.raises(ListingRefused):
        listings.publish_listing(listing, actor=holder[1])
    services.request_transfer_consent(listing, actor=holder[1])
    services.decide_transfer_consent(consent, grant=True, actor=bank[1])
    listings.publish_listing(listing, actor=holder[1])
    assert listing.status is ListingStatus.PUBLISHED


def test_closing_an_assignment_of_a_right_pledged_meanwhile_is_refused(holder, bank):
    right = make_right(holder[0])
    listing = offer(holder, right)
    listings.publish_listing(listing, actor=holder[1])
    registered(holder, bank, [right])
    buyer = make_org(OrgKind.ENTERPRISE)
    with pytest.raises(ListingRefused):
        listings.close_listing(listing, actor=holder[1], buyer=buyer, price=1_000_000_00)
    assert listing.status is ListingStatus.PUBLISHED


def test_default_and_disposal_offer_the_collateral_with_consent_built_in(holder, bank):
    right = make_right(holder[0])
    pledge = registered(holder, bank, [right])
    with pytest.raises(IllegalTransition):
        services.dispose_collateral(pledge, actor=bank[1])
    services.declare_default(pledge, actor=bank[1])
    listing = services.dispose_collateral(pledge, actor=bank[1], asking_price=900_000_00)
    assert pledge.status is PledgeStatus.DISPOSING and pledge.disposal_listing_id == listing.id
    assert listing.seller_org_id == holder[0].id and listing.deal_type is DealType.ASSIGNMENT
    assert listing.status is ListingStatus.PUBLISHED
    assert listings.refusal_reasons(listing) == []
    assert all(r.active for r in pledge.held)  # still held until the deal settles


def test_disposal_proceeds_pay_the_bank_first_then_the_owner():
    assert services.split_proceeds(900_000_00, 600_000_00) == (600_000_00, 300_000_00)
    assert services.split_proceeds(400_000_00, 600_000_00) == (400_000_00, 0)
    assert services.split_proceeds(0, 600_000_00) == (0, 0)
    with pytest.raises(ValueError):
        services.split_proceeds(-1, 0)


def test_the_database_itself_refuses_a_second_active_pledge_on_a_right(holder, bank):
    right = make_right(holder[0])
    make_pledge(holder[0], bank[0], [right])
    other_bank, _ = make_bank()
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), _db.session.begin_nested():
        make_pledge(holder[0], other_bank, [right])


# --- exclusivity under real concurrency --------------------------------------------------------


@pytest.mark.skipif(not is_postgres(), reason="exclusivity races are proven on PostgreSQL")
def test_two_banks_filing_on_the_same_right_at_once_cannot_both_succeed(app, committing_db):
    org = make_org(OrgKind.ENTERPRISE)
    user = make_user(org)
    right = make_right(org)
    pledges = []
    for _ in range(3):
        bank_org, banker = make_bank()
        pledges.append((agreed_pledge((org, user), (bank_org, banker), [right]).id, banker.id))
    committing_db.session.commit()
    committing_db.session.remove()

    from marketplace.accounts.models import User

    def job(pledge_id, banker_id):
        return {
            "name": "filed",
            "prepare": lambda: (
                _db.session.get(Pledge, pledge_id),
                _db.session.get(User, banker_id),
            ),
            "act": lambda pledge, banker: services.file_registration(pledge, actor=banker),
        }

    outcomes = race(app, [job(*pair) for pair in pledges])
    assert sorted(outcomes) == ["filed", "refused", "refused"]
    with app.app_context():
        active = _db.session.scalars(sa.select(PledgeRight).where(PledgeRight.active)).all()
        assert len(active) == 1
        statuses = sorted(p.status for p in _db.session.scalars(sa.select(Pledge)))
        assert statuses == [PledgeStatus.AGREED, PledgeStatus.AGREED, PledgeStatus.FILED]
        filings = _db.session.scalars(sa.select(PledgeFiling)).all()
        assert [f.pledge_id for f in filings] == [active[0].pledge_id]


@pytest.mark.skipif(not is_postgres(), reason="exclusivity races are proven on PostgreSQL")
def test_a_right_cannot_be_pledged_while_its_assignment_closes(app, committing_db):
    org = make_org(OrgKind.ENTERPRISE)
    user = make_user(org)
    right = make_right(org)
    bank_org, banker = make_bank()
    pledge_id = agreed_pledge((org, user), (bank_org, banker), [right]).id
    listing = offer((org, user), right)
    listings.publish_listing(listing, actor=user)
    buyer = make_org(OrgKind.ENTERPRISE)
    ids = {"listing": listing.id, "buyer": buyer.id, "user": user.id, "banker": banker.id}
    committing_db.session.commit()
    committing_db.session.remove()

    from marketplace.accounts.models import Organisation, User

    jobs = [
        {
            "name": "filed",
            "prepare": lambda: (
                _db.session.get(Pledge, pledge_id),
                _db.session.get(User, ids["banker"]),
            ),
            "act": lambda pledge, banker: services.file_registration(pledge, actor=banker),
        },
        {
            "name": "assigned",
            "prepare": lambda: (
                _db.session.get(Listing, ids["listing"]),
                _db.session.get(User, ids["user"]),
                _db.session.get(Organisation, ids["buyer"]),
            ),
            "act": lambda listing, actor, buyer: listings.close_listing(
                listing, actor=actor, buyer=buyer, price=1_000_000_00
            ),
        },
    ]
    outcomes = race(app, jobs)
    assert sorted(outcomes) in (["filed", "refused"], ["assigned", "refused"])
    with app.app_context():
        pledge = _db.session.get(Pledge, pledge_id)
        closed = _db.session.get(Listing, ids["listing"]).status is ListingStatus.CLOSED
        assert closed != (pledge.status is PledgeStatus.FILED)
        assert bool(pledge.filings) == (pledge.status is PledgeStatus.FILED)


def test_settling_a_disposal_repays_the_bank_first_and_frees_the_rights(holder, bank):
    right = make_right(holder[0])
    pledge = registered(holder, bank, [right])
    services.declare_default(pledge, actor=bank[1])
    services.dispose_collateral(pledge, actor=bank[1])
    owed = pledge.outstanding
    assert services.settle_disposal(pledge, proceeds=owed + 200_000_00, actor=bank[1]) == (
        owed,
        200_000_00,
    )
    assert pledge.status is PledgeStatus.DISPOSED and pledge.outstanding == 0
    assert not any(r.active for r in pledge.held)
    entry = audit.history("pledges", pledge.id)[-1]
    assert entry.after["to_pledgee"] == owed and entry.after["to_pledgor"] == 200_000_00


def test_a_second_approval_needs_a_first_one(holder, bank):
    application = apply(holder, [make_right(holder[0])], [bank[0]])
    services.submit_application(application, actor=holder[1])
    review = application.review_by(bank[0])
    with pytest.raises(IllegalTransition):
        services.second_approve(review, actor=make_user(bank[0]))
    services.reject(review, "不符合准入条件", actor=bank[1])
    with pytest.raises(IllegalTransition):  # a decided review cannot be approved afterwards
        services.approve(
            review, services.Approval(amount=100_000_00, rate_bp=400, term_months=12), actor=bank[1]
        )
    assert review.status is ReviewStatus.REJECTED and review.approved_amount is None


def test_repaid_before_the_sale_the_disposal_listing_is_withdrawn(holder, bank):
    pledge = registered(holder, bank, [make_right(holder[0])])
    services.declare_default(pledge, actor=bank[1])
    listing = services.dispose_collateral(pledge, actor=bank[1])
    services.record_repayment(
        pledge, principal=pledge.outstanding, interest=0, paid_on=today(), actor=bank[1]
    )
    services.release_pledge(pledge, actor=bank[1])
    assert pledge.status is PledgeStatus.RELEASED
    assert listing.status is ListingStatus.WITHDRAWN


def test_the_banks_dossier_does_not_count_its_own_pledge_against_the_right(holder, bank):
    right = make_right(holder[0])
    pledge = registered(holder, bank, [right])
    dossier = services.build_dossier(pledge.review)
    grounds = {g.code: g for g in dossier.rights[0].grounds}
    assert grounds["pledged"].outcome is Outcome.PASS
