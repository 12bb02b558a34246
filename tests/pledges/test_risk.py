"""Risk sharing: the arithmetic (eligibility, shares, the annual cap) on plain dataclasses, and
the services that configure schemes and report on the pledges in the database."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import OrgKind
from marketplace.core.audit import AuditEntry
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.extensions import db as _db
from marketplace.pledges import risk
from marketplace.pledges.models import PledgeStatus, Repayment, RiskScheme, SchemeKind
from marketplace.pledges.risk import LoanFacts, Reason, SchemeTerms
from tests.factories import make_operator, make_org, make_right
from tests.pledges.helpers import make_bank, make_pledge

SUBSIDY = SchemeTerms(kind=SchemeKind.INTEREST_SUBSIDY, share_bp=5_000, annual_cap=10_000_00)
COMPENSATION = SchemeTerms(
    kind=SchemeKind.RISK_COMPENSATION, share_bp=4_000, annual_cap=1_000_000_00
)
_ids = itertools.count(1)


def loan(**fields: Any) -> LoanFacts:
    n = fields.pop("pledge_id", None) or next(_ids)
    values: dict[str, Any] = {
        "pledge_id": n,
        "number": f"IPT-P-2025-{n:06d}",
        "pledgor": f"测试企业{n}",
        "region": "吉林省长春市长春新区",
        "industries": ("automotive",),
        "status": PledgeStatus.REGISTERED,
        "principal": 1_000_000_00,
        "outstanding": 1_000_000_00,
        **fields,
    }
    return LoanFacts(**values)


def by_id(lines: list[risk.SupportLine]) -> dict[int, risk.SupportLine]:
    return {line.pledge_id: line for line in lines}


# --- shares --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "share_bp", "expected"),
    [
        (999, 3_333, 332),  # 332.9667 fen: rounded down, never up
        (1, 9_999, 0),
        (1_000_000_00, 4_000, 400_000_00),
        (123_457, 10_000, 123_457),
        (0, 5_000, 0),
    ],
)
def test_share_is_floored_to_the_fen(amount, share_bp, expected):
    assert risk.share_of(amount, share_bp) == expected
    assert isinstance(risk.share_of(amount, share_bp), int)


def test_subsidy_claim_is_the_floored_share_of_the_interest_paid():
    facts = loan(interest_payments=((date(2025, 3, 21), 4_501), (date(2025, 6, 21), 4_500)))
    [line] = risk.allocate(replace(SUBSIDY, share_bp=3_333), [facts], 2025)
    # 9 001 fen × 33.33 % = 3 000.0333 fen: the sum is shared once, then floored.
    assert (line.basis, line.claim, line.paid) == (9_001, 3_000, 3_000)
    assert line.eligible and line.reasons == ()


# --- calendar years ------------------------------------------------------------------------------


def test_subsidy_counts_only_interest_paid_in_the_calendar_year():
    facts = loan(
        interest_payments=(
            (date(2024, 12, 31), 1_000_00),
            (date(2025, 1, 1), 100_00),
            (date(2025, 6, 30), 200_00),
            (date(2025, 6, 30), 50_00),  # two payments on one day both count
            (date(2025, 12, 31), 300_00),
            (date(2026, 1, 1), 2_000_00),
        )
    )
    line = by_id(risk.allocate(SUBSIDY, [facts], 2025))[facts.pledge_id]
    assert line.basis == 650_00
    assert line.event_on == date(2025, 1, 1)
    assert line.claim == 325_00
    other = by_id(risk.allocate(SUBSIDY, [facts], 2023))[facts.pledge_id]
    assert (other.basis, other.claim, other.paid, other.event_on) == (0, 0, 0, None)


def test_compensation_only_for_a_default_in_that_year():
    facts = loan(
        status=PledgeStatus.DEFAULTED, outstanding=600_000_00, defaulted_on=date(2025, 11, 30)
    )
    line = risk.allocate(COMPENSATION, [facts], 2025)[0]
    assert (line.basis, line.claim, line.paid) == (600_000_00, 240_000_00, 240_000_00)
    assert line.event_on == date(2025, 11, 30)
    for year in (2024, 2026):
        assert risk.allocate(COMPENSATION, [facts], year)[0].basis == 0


def test_compensation_basis_is_the_principal_outstanding_at_default():
    facts = loan(
        status=PledgeStatus.DISPOSED,
        principal=1_000_000_00,
        outstanding=100_000_00,
        defaulted_on=date(2025, 5, 10),
        principal_payments=(
            (date(2024, 5, 10), 300_000_00),  # repaid before the default: not owed at default
            (date(2025, 5, 10), 100_000_00),  # on the default day: counts as before it
            (date(2025, 8, 1), 250_000_00),  # recovered after the default: was owed at default
            (date(2026, 2, 1), 250_000_00),
        ),
    )
    assert facts.outstanding_at_default == 600_000_00
    line = risk.allocate(COMPENSATION, [facts], 2025)[0]
    assert (line.basis, line.claim) == (600_000_00, 240_000_00)


def test_compensation_is_nothing_for_a_loan_that_never_defaulted():
    facts = loan(outstanding=500_000_00, interest_payments=((date(2025, 3, 1), 9_000_00),))
    line = risk.allocate(COMPENSATION, [facts], 2025)[0]
    assert (line.basis, line.claim, line.paid, line.event_on) == (0, 0, 0, None)
    assert line.eligible


# --- eligibility ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regions", "region", "eligible"),
    [
        ((), "海南省三亚市", True),  # no region listed: all
        (("长春新区",), "吉林省长春市长春新区", True),  # the listed region is contained
        (("长春新区",), "长春新区", True),
        (("长春新区", "吉林市"), "吉林省吉林市船营区", True),
        (("长春新区",), "吉林省长春市朝阳区", False),
        (("吉林省长春市长春新区",), "长春新区", False),  # the org's region must contain it
    ],
)
def test_region_matches_when_the_org_region_contains_a_listed_one(regions, region, eligible):
    terms = replace(SUBSIDY, regions=regions)
    assert risk.eligibility(terms, loan(region=region)) == ([] if eligible else [Reason.REGION])


@pytest.mark.parametrize(
    ("listed", "rights", "eligible"),
    [
        ((), (), True),  # no industry listed: all, even rights with none recorded
        ((), ("agriculture",), True),
        (("automotive",), ("big_data", "automotive"), True),  # any one right suffices
        (("automotive", "biomedicine"), ("biomedicine",), True),
        (("automotive",), ("agriculture", "big_data"), False),
        (("automotive",), (), False),
    ],
)
def test_industry_matches_when_any_right_is_in_a_listed_industry(listed, rights, eligible):
    terms = replace(SUBSIDY, industries=listed)
    expected = [] if eligible else [Reason.INDUSTRY]
    assert risk.eligibility(terms, loan(industries=rights)) == expected


def test_every_reason_is_given_and_an_ineligible_loan_claims_nothing():
    terms = replace(SUBSIDY, regions=("长春新区",), industries=("agriculture",))
    facts = loan(
        region="辽宁省沈阳市",
        industries=("automotive",),
        status=PledgeStatus.CANCELLED,
        currency="USD",
        interest_payments=((date(2025, 4, 1), 800_00),),
    )
    [line] = risk.allocate(terms, [facts], 2025)
    assert line.reasons == (
        Reason.NOT_REGISTERED,
        Reason.CURRENCY,
        Reason.REGION,
        Reason.INDUSTRY,
    )
    assert not line.eligible
    assert (line.basis, line.claim, line.paid) == (800_00, 0, 0)


@pytest.mark.parametrize(
    "status", [PledgeStatus.AGREED, PledgeStatus.FILED, PledgeStatus.CANCELLED]
)
def test_unregistered_loans_are_excluded_and_take_nothing_from_the_cap(status):
    paid = ((date(2025, 1, 5), 20_000_00),)
    early = loan(status=status, interest_payments=paid)
    later = loan(interest_payments=((date(2025, 2, 1), 20_000_00),))
    lines = by_id(risk.allocate(SUBSIDY, [early, later], 2025))
    assert lines[early.pledge_id].reasons == (Reason.NOT_REGISTERED,)
    assert lines[early.pledge_id].paid == 0
    assert lines[later.pledge_id].paid == 10_000_00  # the whole cap: nothing went to `early`


@pytest.mark.parametrize("status", sorted(risk.REGISTERED_STATUSES))
def test_loans_registered_at_some_point_are_eligible(status):
    assert risk.eligibility(SUBSIDY, loan(status=status)) == []


def test_the_registered_statuses_are_exactly_those_after_registration():
    never_registered = {PledgeStatus.AGREED, PledgeStatus.FILED, PledgeStatus.CANCELLED}
    assert set(risk.REGISTERED_STATUSES) == set(PledgeStatus) - never_registered


# --- the annual cap ------------------------------------------------------------------------------


def test_cap_pays_earliest_event_first_then_by_pledge_id():
    terms = replace(SUBSIDY, annual_cap=5_000_00)  # claims are half the interest paid
    march = loan(pledge_id=30, interest_payments=((date(2025, 3, 1), 4_000_00),))
    january_b = loan(pledge_id=20, interest_payments=((date(2025, 1, 15), 2_000_00),))
    january_a = loan(pledge_id=10, interest_payments=((date(2025, 1, 15), 2_000_00),))
    # The first payment of the year places a loan in the queue, however much comes later.
    late_big = loan(
        pledge_id=5,
        interest_payments=((date(2025, 2, 1), 1_00), (date(2025, 12, 1), 5_000_00)),
    )
    lines = risk.allocate(terms, [march, january_b, late_big, january_a], 2025)
    assert [line.pledge_id for line in lines] == [10, 20, 5, 30]
    assert [line.claim for line in lines] == [1_000_00, 1_000_00, 2_500_50, 2_000_00]
    assert [line.paid for line in lines] == [1_000_00, 1_000_00, 2_500_50, 499_50]
    assert [line.cap_left for line in lines] == [4_000_00, 3_000_00, 499_50, 0]
    assert [line.capped for line in lines] == [False, False, False, True]


def test_once_the_cap_is_exhausted_later_claims_are_paid_nothing():
    terms = replace(COMPENSATION, annual_cap=500_000_00)
    first = loan(status=PledgeStatus.DEFAULTED, defaulted_on=date(2025, 2, 1))
    second = loan(
        status=PledgeStatus.DEFAULTED, outstanding=250_000_00, defaulted_on=date(2025, 3, 1)
    )
    third = loan(status=PledgeStatus.DEFAULTED, defaulted_on=date(2025, 4, 1))
    lines = by_id(risk.allocate(terms, [third, second, first], 2025))
    # 400 000 + 100 000 use the cap exactly.
    assert lines[first.pledge_id].paid == 400_000_00
    assert lines[second.pledge_id].paid == 100_000_00
    assert lines[second.pledge_id].cap_left == 0 and not lines[second.pledge_id].capped
    assert (lines[third.pledge_id].claim, lines[third.pledge_id].paid) == (400_000_00, 0)
    assert risk.totals(lines.values(), terms.annual_cap).cap_left == 0


def test_allocation_is_the_same_whatever_order_the_loans_come_in():
    loans = [loan(interest_payments=((date(2025, m, 1), 3_000_00 + m),)) for m in (5, 2, 2, 9, 1)]
    loans.append(loan(status=PledgeStatus.AGREED))
    loans.append(loan(region="北京市", interest_payments=((date(2025, 1, 1), 1_000_00),)))
    terms = replace(SUBSIDY, regions=("长春新区",))
    expected = risk.allocate(terms, loans, 2025)
    for order in itertools.islice(itertools.permutations(loans), 0, 5040, 97):
        assert risk.allocate(terms, list(order), 2025) == expected
    # Loans with nothing to claim come last, by pledge id, showing the cap left at the end.
    idle = expected[-2:]
    assert [line.claim for line in idle] == [0, 0]
    assert idle[0].pledge_id < idle[1].pledge_id
    assert {line.cap_left for line in idle} == {expected[-3].cap_left}


def test_totals_add_up_the_lines():
    terms = replace(SUBSIDY, annual_cap=1_500_00, regions=("长春新区",))
    lines = risk.allocate(
        terms,
        [
            loan(interest_payments=((date(2025, 1, 1), 2_000_00),)),
            loan(interest_payments=((date(2025, 2, 1), 2_001_00),)),
            loan(region="上海市", interest_payments=((date(2025, 1, 1), 999_00),)),
        ],
        2025,
    )
    totals = risk.totals(lines, terms.annual_cap)
    assert (totals.basis, totals.claim, totals.paid) == (5_000_00, 2_000_50, 1_500_00)
    assert (totals.cap_used, totals.cap_left) == (1_500_00, 0)


# --- services: configuring schemes ---------------------------------------------------------------


def scheme_data(**fields: Any) -> risk.SchemeData:
    values: dict[str, Any] = {
        "kind": SchemeKind.INTEREST_SUBSIDY,
        "name_zh": "长春新区知识产权质押贷款贴息",
        "name_en": "Changchun New Area IP loan interest subsidy",
        "share_bp": 5_000,
        "annual_cap": 2_000_000_00,
        "regions": (" 长春新区 ", "长春新区", ""),
        "industries": ("automotive", "automotive", "biomedicine"),
        **fields,
    }
    return risk.SchemeData(**values)


def audit_count() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0


def scheme_count() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(RiskScheme)) or 0


def test_create_scheme_trims_dedupes_and_audits(db):
    operator = make_operator()
    scheme = risk.create_scheme(scheme_data(), actor=operator)
    assert scheme.id is not None
    assert scheme.regions == ["长春新区"]
    assert scheme.industries == ["automotive", "biomedicine"]
    assert (scheme.share_bp, scheme.annual_cap, scheme.active) == (5_000, 2_000_000_00, True)
    entry = _db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.object_id) == ("risk_scheme.created", str(scheme.id))
    assert entry.after["share_bp"] == 5_000 and entry.after["kind"] == "interest_subsidy"


def test_create_scheme_collects_every_problem_and_writes_nothing(db):
    operator = make_operator()
    before = (scheme_count(), audit_count())
    with pytest.raises(ValidationFailed) as caught:
        risk.create_scheme(
            scheme_data(
                kind="loan_guarantee",
                name_zh="  ",
                name_en="x" * 201,
                share_bp=10_001,
                annual_cap=0,
                regions=("长" * 41,),
                industries=("automotive", "shipbuilding"),
            ),
            actor=operator,
        )
    assert set(caught.value.fields) == {
        "kind",
        "name_zh",
        "name_en",
        "share_bp",
        "annual_cap",
        "regions",
        "industries",
    }
    assert (scheme_count(), audit_count()) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("share_bp", 0),
        ("share_bp", -1),
        ("share_bp", True),
        ("annual_cap", -5),
        ("annual_cap", risk.MAX_ANNUAL_CAP + 1),
        ("annual_cap", 12.5),
    ],
)
def test_create_scheme_refuses_out_of_range_amounts(db, field, value):
    with pytest.raises(ValidationFailed) as caught:
        risk.create_scheme(scheme_data(**{field: value}), actor=make_operator())
    assert list(caught.value.fields) == [field]


def test_only_the_operator_configures_schemes(db):
    _bank, banker = make_bank()
    with pytest.raises(PermissionDenied):
        risk.create_scheme(scheme_data(), actor=banker)
    scheme = risk.create_scheme(scheme_data(), actor=make_operator())
    with pytest.raises(PermissionDenied):
        risk.update_scheme(scheme, scheme_data(share_bp=10_000), actor=banker)
    assert scheme.share_bp == 5_000


def test_update_scheme_audits_only_what_changed(db):
    operator = make_operator()
    scheme = risk.create_scheme(scheme_data(), actor=operator)
    count = audit_count()
    risk.update_scheme(scheme, scheme_data(), actor=operator)
    assert audit_count() == count  # nothing changed: no entry
    risk.update_scheme(scheme, scheme_data(share_bp=3_000, active=False), actor=operator)
    entry = _db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "risk_scheme.updated"
    assert entry.before == {"share_bp": 5_000, "active": True}
    assert entry.after == {"share_bp": 3_000, "active": False}


def test_update_scheme_with_bad_input_changes_nothing(db):
    operator = make_operator()
    scheme = risk.create_scheme(scheme_data(), actor=operator)
    snapshot, count = risk.snapshot(scheme), audit_count()
    with pytest.raises(ValidationFailed) as caught:
        risk.update_scheme(
            scheme,
            scheme_data(name_zh="新名称", share_bp=0, regions=("长春市",), industries=("x",)),
            actor=operator,
        )
    assert set(caught.value.fields) == {"share_bp", "industries"}
    assert risk.snapshot(scheme) == snapshot
    assert audit_count() == count


# --- services: reports over the database ---------------------------------------------------------


@pytest.fixture
def book(db: Any) -> dict[str, Any]:
    """Three registered loans and one never registered, with repayments in 2024–2026."""
    bank, banker = make_bank(name_zh="长春测试银行")
    xinqu = make_org(OrgKind.ENTERPRISE, name_zh="长春新区测试汽车有限公司")
    elsewhere = make_org(OrgKind.ENTERPRISE, name_zh="吉林市测试农业公司")
    elsewhere.region = "吉林省吉林市"
    cars = make_pledge(
        xinqu,
        bank,
        [make_right(xinqu, industry="automotive"), make_right(xinqu, industry=None)],
        starts_on=date(2024, 6, 1),
    )
    farm = make_pledge(
        elsewhere, bank, [make_right(elsewhere, industry="agriculture")], starts_on=date(2024, 6, 1)
    )
    lost = make_pledge(
        xinqu,
        bank,
        [make_right(xinqu, industry="automotive")],
        principal=500_000_00,
        outstanding=300_000_00,
        status=PledgeStatus.DEFAULTED,
        starts_on=date(2024, 1, 1),
    )
    lost.defaulted_on = date(2025, 9, 1)
    draft = make_pledge(
        xinqu, bank, [make_right(xinqu, industry="automotive")], status=PledgeStatus.AGREED
    )

    def pay(pledge: Any, paid_on: date, *, interest: int = 0, principal: int = 0) -> None:
        _db.session.add(
            Repayment(
                pledge=pledge,
                paid_on=paid_on,
                interest=interest,
                principal=principal,
                recorded_by_id=banker.id,
            )
        )

    pay(cars, date(2024, 12, 21), interest=3_000_00)
    pay(cars, date(2025, 3, 21), interest=4_000_00)
    pay(cars, date(2025, 9, 21), interest=3_999_99, principal=100_000_00)
    pay(cars, date(2026, 3, 21), interest=3_000_00)
    pay(farm, date(2025, 1, 21), interest=5_000_00)
    pay(lost, date(2025, 2, 1), interest=1_500_00, principal=200_000_00)
    pay(lost, date(2025, 10, 1), principal=50_000_00)  # recovered after the default
    _db.session.flush()
    operator = make_operator()
    return {
        "operator": operator,
        "bank": bank,
        "banker": banker,
        "cars": cars,
        "farm": farm,
        "lost": lost,
        "draft": draft,
        "subsidy": risk.create_scheme(
            scheme_data(share_bp=5_000, annual_cap=3_000_00, regions=("长春新区",), industries=()),
            actor=operator,
        ),
        "compensation": risk.create_scheme(
            scheme_data(
                kind=SchemeKind.RISK_COMPENSATION,
                name_zh="长春新区知识产权质押融资风险补偿资金",
                share_bp=4_000,
                annual_cap=1_000_000_00,
                regions=(),
                industries=("automotive",),
            ),
            actor=operator,
        ),
    }


def test_loan_facts_read_the_pledge_and_its_dated_repayments(book):
    facts = risk.loan_facts(book["cars"])
    assert facts.pledgor == "长春新区测试汽车有限公司"
    assert facts.region == "长春新区"
    assert facts.industries == ("automotive",)  # the right without an industry adds none
    assert facts.interest_paid_in(2025) == 7_999_99
    assert facts.principal_payments == ((date(2025, 9, 21), 100_000_00),)
    assert risk.loan_facts(book["lost"]).outstanding_at_default == 350_000_00


def test_subsidy_report_over_the_registered_loans(book):
    lines = risk.scheme_report(book["subsidy"], 2025)
    cars, farm, lost = book["cars"], book["farm"], book["lost"]
    # lost paid its first 2025 interest on 1 February, cars on 21 March: lost is served first.
    # farm paid on 21 January but is outside 长春新区, so it waits in no queue and comes last.
    assert [line.pledge_id for line in lines] == [lost.id, cars.id, farm.id]
    rows = by_id(lines)
    assert (rows[lost.id].claim, rows[lost.id].paid) == (750_00, 750_00)
    assert (rows[cars.id].basis, rows[cars.id].claim) == (7_999_99, 3_999_99)
    assert rows[cars.id].paid == 2_250_00  # what the 3 000 yuan cap leaves
    assert rows[farm.id].reasons == (Reason.REGION,) and rows[farm.id].paid == 0
    assert book["draft"].id not in rows
    totals = risk.totals(lines, book["subsidy"].annual_cap)
    assert (totals.paid, totals.cap_left) == (3_000_00, 0)


def test_compensation_report_lists_only_loans_that_defaulted_that_year(book):
    [line] = risk.scheme_report(book["compensation"], 2025)
    assert line.pledge_id == book["lost"].id
    assert (line.basis, line.claim, line.paid) == (350_000_00, 140_000_00, 140_000_00)
    assert risk.scheme_report(book["compensation"], 2026) == []
    everyone = risk.scheme_report(book["compensation"], 2026, include_empty=True)
    assert {line.pledge_id for line in everyone} == {
        book["cars"].id,
        book["farm"].id,
        book["lost"].id,
    }


def test_support_for_one_loan_across_the_active_schemes(book):
    support = risk.support_for(book["cars"], 2025)
    assert [scheme.id for scheme, _line in support] == [
        book["subsidy"].id,
        book["compensation"].id,
    ]
    subsidy_line, compensation_line = (line for _scheme, line in support)
    assert subsidy_line.paid == 2_250_00  # after the loan ahead of it in the queue
    assert compensation_line.eligible and compensation_line.claim == 0
    book["compensation"].active = False
    _db.session.flush()
    assert [scheme.id for scheme, _line in risk.support_for(book["cars"], 2025)] == [
        book["subsidy"].id
    ]


def test_support_for_an_unregistered_pledge_says_why(book):
    [(_scheme, line), _] = risk.support_for(book["draft"], 2025)
    assert line.reasons == (Reason.NOT_REGISTERED,)
    assert line.paid == 0


def test_support_for_needs_no_scheme(db):
    holder = make_org()
    bank, _banker = make_bank()
    assert risk.support_for(make_pledge(holder, bank), 2025) == []
