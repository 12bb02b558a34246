"""Demo pledge financing: a lending policy per bank, loan applications in every state from a
draft to collateral on sale, and the town's two risk-sharing schemes.

Everything goes through the pledge, order and valuation services, so the audit trail, the
notifications and every rule are those of real use. The rights are chosen by querying the demo
portfolios (which depend on the day they were seeded), never by number."""

from __future__ import annotations

import copy
import enum
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, User
from marketplace.core.clock import today
from marketplace.demo.data import DEMO_DOMAIN, ORGANISATIONS
from marketplace.demo.rights import INDUSTRY_IPC
from marketplace.demo.valuations import DEMO_INPUTS
from marketplace.extensions import db
from marketplace.listings.models import listing_rights
from marketplace.orders import services as orders
from marketplace.orders.models import ServiceKind, ValuationPurpose
from marketplace.pledges import risk
from marketplace.pledges import services as pledges
from marketplace.pledges.models import (
    LendingPolicy,
    LoanApplication,
    LoanReview,
    Pledge,
    ReviewStatus,
    RiskScheme,
    SchemeKind,
)
from marketplace.rights import services as rights_services
from marketplace.rights import terms
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import Right, RightOwner, RightStatus
from marketplace.valuations import services as valuations
from marketplace.valuations.models import Report, ValueBasis

INVENTION, UTILITY_MODEL, TRADEMARK = (
    RightKind.INVENTION,
    RightKind.UTILITY_MODEL,
    RightKind.TRADEMARK,
)

# --- lending policies ----------------------------------------------------------------------------

#: Each bank's departures from :data:`pledges.DEFAULT_POLICY` (amounts in fen, rates in bp).
BANK_POLICIES: dict[str, dict[str, Any]] = {
    # A technology rural commercial bank: generous on inventions, four eyes above ¥3,000,000.
    "kenong": {
        "base_rates": {
            "invention": 4500,
            "utility_model": 2500,
            "design": 1500,
            "trademark": 3500,
            "software_copyright": 3000,
            "plant_variety": 4000,
        },
        "min_remaining_months": {"invention": 72},
        "max_amount": 30_000_000_00,
        "max_term_months": 36,
        "second_approval_above": 3_000_000_00,
        "value_percentile": 25,
    },
    # Conservative: low rates, no designs or plant varieties, long remaining terms, 24 months
    # at most, and a second approver from ¥1,000,000.
    "songhua": {
        "base_rates": {
            "invention": 3000,
            "utility_model": 1500,
            "trademark": 3000,
            "software_copyright": 1500,
        },
        "min_remaining_months": {
            "invention": 120,
            "utility_model": 60,
            "trademark": 24,
            "software_copyright": 120,
        },
        "buffer_months": 24,
        "haircuts": {
            "remaining_term": [[0, 5000], [3, 7000], [6, 10000]],
            "legal_score_unknown": 7000,
            "exclusive_licence": 5000,
        },
        "max_amount": 10_000_000_00,
        "max_term_months": 24,
        "second_approval_above": 1_000_000_00,
        "value_percentile": 10,
        "alert_coverage_bp": 25_000,
    },
    # Strong on trademarks (brand lending for consumer and pharmaceutical firms).
    "zhenxing": {
        "base_rates": {
            "invention": 3500,
            "utility_model": 2000,
            "design": 1500,
            "trademark": 5500,
            "software_copyright": 2500,
            "plant_variety": 3000,
        },
        "min_remaining_months": {"invention": 60, "utility_model": 36, "trademark": 6},
        "max_amount": 20_000_000_00,
        "max_term_months": 36,
        "second_approval_above": 5_000_000_00,
    },
}

#: The annual interest each bank charges on the demo loans (basis points).
BANK_RATES = {"kenong": 395, "songhua": 460, "zhenxing": 420}
BANK_CONDITIONS = {
    "kenong": "借款人实际控制人提供连带责任保证；贷款资金受托支付。",
    "songhua": "按月付息；质押期间每半年提供财务报表及年费缴纳凭证。",
    "zhenxing": "按季付息；出质人须维持质押商标的使用并按期续展。",
}

# --- risk-sharing schemes ------------------------------------------------------------------------

SCHEMES = [
    risk.SchemeData(
        kind=SchemeKind.RISK_COMPENSATION,
        name_zh="长春新区知识产权质押融资风险补偿资金",
        name_en="Changchun New Area IP Pledge Financing Risk Compensation Fund",
        share_bp=4000,
        annual_cap=20_000_000_00,
        regions=("长春新区",),
    ),
    risk.SchemeData(
        kind=SchemeKind.INTEREST_SUBSIDY,
        name_zh="吉林省知识产权质押贷款贴息",
        name_en="Jilin Province IP Pledge Loan Interest Subsidy",
        share_bp=5000,
        annual_cap=5_000_000_00,
        # The town's key industries, as the demo rights record them.
        industries=tuple(i for i in INDUSTRY_IPC if i in risk.INDUSTRIES),
    ),
]

# --- the loans -----------------------------------------------------------------------------------


class Stage(enum.Enum):
    """How far a demo application goes, in the order of the services' steps."""

    DRAFT = 1
    SUBMITTED = 2
    INFO_REQUESTED = 3
    WITHDRAWN = 4
    REJECTED = 5
    AWAITING_SECOND_APPROVAL = 6
    APPROVED = 7
    AGREED = 8
    FILED = 9
    REGISTERED = 10
    RELEASED = 11
    DEFAULTED = 12
    DISPOSING = 13


@dataclass(frozen=True)
class DemoLoan:
    holder: str
    #: The banks asked; the first one is the one whose decision ``stage`` describes.
    banks: tuple[str, ...]
    #: One entry per right: the kinds acceptable for it, in order of preference.
    slots: tuple[tuple[RightKind, ...], ...]
    amount: int  # fen
    term_months: int
    purpose: str
    stage: Stage
    #: The appraisal's revenue input (yuan) and the product line it comes from.
    revenue: int
    product: str
    #: The question of an information request, or the reasons of a rejection.
    text: str = ""
    #: Attach the holder's existing valid report instead of ordering one, when it fits.
    reuse_report: bool = False


# Oldest first: the loans furthest along were applied for first.
LOANS: list[DemoLoan] = [
    DemoLoan(
        "zhonggong",
        ("zhenxing",),
        ((INVENTION,),),
        1_500_000_00,
        24,
        "智能焊装产线扩产：采购激光焊接机器人及在线检测设备。",
        Stage.DISPOSING,
        revenue=30_000_000,
        product="智能焊装工作站",
    ),
    DemoLoan(
        "fenghe",
        ("kenong",),
        ((INVENTION,),),
        1_000_000_00,
        12,
        "秋季玉米制种收购流动资金。",
        Stage.DEFAULTED,
        revenue=22_000_000,
        product="玉米杂交种子",
    ),
    DemoLoan(
        "shuyun",
        ("zhenxing",),
        ((INVENTION,),),
        600_000_00,
        12,
        "政务数据平台项目垫资。",
        Stage.RELEASED,
        revenue=24_000_000,
        product="数据共享交换平台",
    ),
    DemoLoan(
        "guanggu",
        ("kenong",),
        ((INVENTION,), (INVENTION,)),
        2_000_000_00,
        24,
        "车载激光雷达光学模组量产线建设。",
        Stage.REGISTERED,
        revenue=40_000_000,
        product="激光雷达光学发射模组",
    ),
    DemoLoan(
        "beichen",
        ("songhua",),
        ((INVENTION,),),
        1_200_000_00,
        24,
        "人参皂苷Rg3原料药GMP车间改造。",
        Stage.FILED,
        revenue=26_000_000,
        product="人参皂苷Rg3原料药",
    ),
    DemoLoan(
        "huacai",
        ("kenong", "zhenxing"),
        ((INVENTION,),),
        1_500_000_00,
        36,
        "汽车轻量化铝合金材料中试线建设。",
        Stage.AGREED,
        revenue=30_000_000,
        product="汽车轻量化铝合金型材",
    ),
    DemoLoan(
        "beichen",
        ("zhenxing",),
        ((TRADEMARK, INVENTION),),
        1_400_000_00,
        24,
        "“长春北辰”品牌保健品线上渠道拓展。",
        Stage.APPROVED,
        revenue=60_000_000,
        product="“长春北辰”品牌保健品",
    ),
    DemoLoan(
        "nongke",
        ("kenong",),
        ((INVENTION,), (INVENTION,)),
        4_500_000_00,
        36,
        "耐盐碱水稻与抗旱玉米分子育种成果转化基地建设。",
        Stage.AWAITING_SECOND_APPROVAL,
        revenue=90_000_000,
        product="分子育种技术许可及种子",
    ),
    DemoLoan(
        "fenghe",
        ("songhua",),
        ((INVENTION,),),
        2_000_000_00,
        24,
        "新建种子烘干加工中心。",
        Stage.REJECTED,
        revenue=40_000_000,
        product="玉米杂交种子",
        text="经查询征信，企业在他行的知识产权质押贷款已逾期，第一还款来源不足；"
        "申请金额亦超过我行按质押物测算的可贷额度。",
    ),
    DemoLoan(
        "guanggu",
        ("songhua",),
        ((UTILITY_MODEL, INVENTION),),
        500_000_00,
        12,
        "光谱仪小批量试产备料。",
        Stage.WITHDRAWN,
        revenue=10_000_000,
        product="微型光谱仪",
    ),
    DemoLoan(
        "shuyun",
        ("zhenxing",),
        ((INVENTION,),),
        800_000_00,
        24,
        "联邦学习风控平台研发投入。",
        Stage.INFO_REQUESTED,
        revenue=26_000_000,
        product="联邦学习信贷风控平台",
        text="请补充近两年与该专利相关产品的销售合同及增值税发票，"
        "并说明联邦学习平台已签约的金融机构客户数量。",
    ),
    DemoLoan(
        "xinchi",
        ("kenong", "songhua"),
        ((INVENTION,),),
        1_500_000_00,
        24,
        "热泵空调压缩机控制器产线自动化改造。",
        Stage.SUBMITTED,
        revenue=36_000_000,
        product="热管理产品线",
        reuse_report=True,
    ),
    DemoLoan(
        "huacai",
        ("songhua",),
        ((UTILITY_MODEL, INVENTION),),
        600_000_00,
        12,
        "碳化硅陶瓷原料采购。",
        Stage.DRAFT,
        revenue=12_000_000,
        product="高导热碳化硅陶瓷基板",
    ),
]

INDUSTRY_ZH = {
    "automotive": "汽车零部件",
    "optoelectronics": "光电子",
    "biomedicine": "生物医药",
    "new_materials": "新材料",
    "agriculture": "现代种业",
    "equipment": "智能装备",
    "big_data": "大数据",
}


# --- helpers -------------------------------------------------------------------------------------


def _org(key: str) -> Organisation | None:
    demo = next(d for d in ORGANISATIONS if d.key == key)
    return db.session.scalar(
        sa.select(Organisation).where(Organisation.identity_number == demo.identity_number)
    )


def _user(key: str, *, staff: bool = False) -> User | None:
    email = f"{key}.staff@{DEMO_DOMAIN}" if staff else f"{key}@{DEMO_DOMAIN}"
    return db.session.scalar(sa.select(User).where(User.email == email))


def _months_needed(kind: RightKind, loan: DemoLoan, policies: Sequence[LendingPolicy]) -> int:
    """The remaining term every asked bank's policy wants for ``kind`` on this loan."""
    return max(
        max(
            (p.min_remaining_months or {}).get(kind.value, 0),
            loan.term_months + p.buffer_months,
        )
        for p in policies
    )


@dataclass
class _Picker:
    """Finds rights a holder can pledge: verified, sole-owned, in force, outlasting the loan,
    not already chosen for another demo loan. Strict first (the banks' policies, no fee due
    soon, not on the market), then looser, so that a portfolio seeded on another day still
    yields a right."""

    used: set[int]
    listed: set[int]
    on: date

    def ok(self, right: Right, org: Organisation, months: int, tier: int) -> bool:
        if right.id in self.used or right.status is not RightStatus.IN_FORCE:
            return False
        if not right.kind.rule.pledgeable or len(right.owners) != 1:
            return False
        if not rights_services.is_verified_for(right, org):
            return False
        if rights_services.computed_status(right, on=self.on) is not RightStatus.IN_FORCE:
            return False
        expires_on = rights_services.expiry_of(right)
        if expires_on is not None and expires_on < terms.add_months(self.on, months):
            return False
        if tier < 2 and right.id in self.listed:
            return False
        if tier == 0:
            standing = rights_services.fee_standing(right, on=self.on)
            due = standing.next_due if standing is not None else None
            if due is not None and (due - self.on).days <= pledges.FEE_WARNING_DAYS:
                return False
        return (
            pledges.same_day_twin(right) is None
            and not pledges.active_pledges(right)
            and pledges.assignment_closing(right, org.id) is None
        )

    def _marks_pledged_together(
        self, right: Right, org: Organisation, months: int
    ) -> list[Right] | None:
        """A trademark and the holder's identical marks in an overlapping class (the
        Trademark Office registers them only together); None when one cannot be pledged."""
        if right.kind is not RightKind.TRADEMARK:
            return [right]
        bundle = [right]
        for other in db.session.scalars(
            sa.select(Right)
            .join(RightOwner)
            .where(
                RightOwner.organisation_id == org.id,
                Right.kind == RightKind.TRADEMARK,
                Right.title_zh == right.title_zh,
                Right.id != right.id,
                Right.status.in_([RightStatus.IN_FORCE, RightStatus.GRACE_PERIOD]),
            )
            .order_by(Right.id)
        ):
            if not set(other.nice_classes or []) & set(right.nice_classes or []):
                continue
            if other.id in self.used or not self.ok(other, org, months, tier=2):
                return None
            bundle.append(other)
        return bundle

    def pick(
        self, org: Organisation, loan: DemoLoan, policies: Sequence[LendingPolicy]
    ) -> list[Right] | None:
        chosen: list[Right] = []
        portfolio = list(
            db.session.scalars(rights_services.portfolio_query(org).order_by(Right.id))
        )
        for slot in loan.slots:
            found = None
            for kind in slot:
                tiers = (
                    (0, _months_needed(kind, loan, policies)),
                    (1, loan.term_months + max(p.buffer_months for p in policies)),
                    (2, loan.term_months + 1),
                )
                for tier, months in tiers:
                    found = next(
                        (
                            bundle
                            for r in portfolio
                            if r.kind is kind
                            and self.ok(r, org, months, tier)
                            and (
                                bundle := self._marks_pledged_together(r, org, loan.term_months + 1)
                            )
                            is not None
                        ),
                        None,
                    )
                    if found:
                        break
                if found:
                    break
            if not found:
                return None
            chosen.extend(found)
            self.used.update(r.id for r in found)
        return chosen


def _inputs(loan: DemoLoan, industry: str, rights: Sequence[Right], on: date) -> dict[str, Any]:
    """The demo appraisal's inputs scaled to this holder's product line and rights."""
    remaining = [r.days for r in (rights_services.remaining(right, on=on) for right in rights) if r]
    life = max(1, min(10, int(min(remaining) / 365.25))) if remaining else 10
    label = INDUSTRY_ZH.get(industry, "行业")
    data = copy.deepcopy(DEMO_INPUTS)
    income = data["methods"]["relief_from_royalty"]["inputs"]
    income["revenue"] = {
        "value": loan.revenue,
        "low": loan.revenue * 5 // 6,
        "high": loan.revenue * 7 // 6,
        "source": f"委托方2025年度审计报告：{loan.product}销售收入",
    }
    income["growth"]["source"] = f"{label}行业协会市场规模预测"
    brand = any(r.kind is RightKind.TRADEMARK for r in rights)
    income["royalty_rate"]["source"] = (
        f"{label}行业{'商标' if brand else '专利'}许可费率统计（2019–2024）"
    )
    income["years"] = {"value": life, "source": "剩余法定期限与技术更新周期孰短"}
    cost = data["methods"]["cost_approach"]["inputs"]
    cost["replacement_cost"] = {
        "value": loan.revenue * 7 // 60,
        "source": "研发项目台账（人工、材料、试验）",
    }
    cost["functional"]["source"] = "技术迭代替代风险"
    cost["economic"]["source"] = "行业价格竞争压力"
    data["life_years"] = life
    return data


def _existing_report(org: Organisation, picker: _Picker, loan: DemoLoan) -> Report | None:
    on = picker.on
    for report in pledges.reports_offerable(org):
        rights = pledges.report_rights(report)
        if report.valid_until < on or not rights:
            continue
        if all(picker.ok(r, org, loan.term_months + 1, tier=2) for r in rights):
            picker.used.update(r.id for r in rights)
            return report
    return None


def _appraise(
    org: Organisation, holder: User, rights: Sequence[Right], loan: DemoLoan, industry: str
) -> Report | None:
    """Order a pledge valuation from the demo appraiser and have it signed and accepted."""
    appraiser, valuer = _org("zhengyuan"), _user("zhengyuan")
    if appraiser is None or valuer is None:
        return None
    on = today()
    order = orders.create_order(
        org,
        orders.OrderRequest(
            kind=ServiceKind.VALUATION,
            right_ids=[r.id for r in rights],
            purpose=ValuationPurpose.PLEDGE,
            description=f"拟申请知识产权质押贷款（{loan.purpose}），需出具质押价值评估报告。",
            wanted_by=on + timedelta(days=20),
        ),
        actor=holder,
    )
    quote = orders.submit_quote(
        order,
        appraiser,
        actor=valuer,
        fee=800_000 + 200_000 * len(rights),
        delivery_date=on + timedelta(days=10),
        note="含现场尽调一次，10个工作日内出具报告。",
    )
    orders.accept_quote(quote, actor=holder)
    appraisal = valuations.appraisal_for(order)
    valuations.save_draft(
        appraisal,
        actor=valuer,
        inputs=_inputs(loan, industry, rights, on),
        basis=ValueBasis.PLEDGE_VALUE,
        pledge_percentile=20,
    )
    report = valuations.sign_report(appraisal, actor=valuer)
    orders.accept_delivery(order, actor=holder)
    return report


def _registration_number(authority: str, on: date, serial: int) -> str:
    if "商标" in authority:
        return f"商质登字〔{on.year}〕第{serial:06d}号"
    if "版权" in authority:
        return f"{on.year}-ZQ-{serial:06d}"
    return f"Y{on.year}2200{serial:06d}"


def _one_month_interest(pledge: Pledge) -> int:
    return pledge.principal * pledge.rate_bp // pledges.BP // 12


def _decide(review: LoanReview, loan: DemoLoan, bank: str, *, officer: User, head: User) -> None:
    """The loan officer approves the requested terms; the head confirms when four eyes are
    needed (unless the demo leaves it waiting)."""
    pledges.approve(
        review,
        pledges.Approval(
            amount=loan.amount,
            rate_bp=BANK_RATES[bank],
            term_months=loan.term_months,
            conditions=BANK_CONDITIONS[bank],
        ),
        actor=officer,
    )
    if (
        review.status is ReviewStatus.AWAITING_SECOND_APPROVAL
        and loan.stage is not Stage.AWAITING_SECOND_APPROVAL
    ):
        pledges.second_approve(review, actor=head)


def _seed_loan(loan: DemoLoan, picker: _Picker, serials: Iterator[int]) -> LoanApplication | None:
    org, holder = _org(loan.holder), _user(loan.holder)
    banks = [(key, _org(key), _user(key, staff=True), _user(key)) for key in loan.banks]
    if org is None or holder is None or any(value is None for bank in banks for value in bank):
        return None
    industry = next(d.industry for d in ORGANISATIONS if d.key == loan.holder) or "equipment"
    policies = [pledges.policy_for(bank) for _key, bank, _o, _h in banks if bank is not None]
    report = _existing_report(org, picker, loan) if loan.reuse_report else None
    if report is not None:
        rights = pledges.report_rights(report)
    else:
        picked = picker.pick(org, loan, policies)
        if picked is None:
            return None
        rights = picked
        report = _appraise(org, holder, rights, loan, industry)
    application = pledges.create_application(
        org,
        pledges.ApplicationData(
            amount=loan.amount,
            term_months=loan.term_months,
            purpose=loan.purpose,
            right_ids=[r.id for r in rights],
            bank_ids=[bank.id for _key, bank, _o, _h in banks if bank is not None],
            report_ids=[report.id] if report is not None else [],
        ),
        actor=holder,
    )
    if loan.stage is Stage.DRAFT:
        return application
    pledges.submit_application(application, actor=holder)
    key, bank, officer, head = banks[0]
    assert bank is not None and officer is not None and head is not None
    review = application.review_by(bank)
    assert review is not None
    if loan.stage is Stage.SUBMITTED:
        return application
    if loan.stage is Stage.INFO_REQUESTED:
        pledges.request_information(review, loan.text, actor=officer)
        return application
    if loan.stage is Stage.WITHDRAWN:
        pledges.withdraw_application(application, actor=holder)
        return application
    if loan.stage is Stage.REJECTED:
        pledges.reject(review, loan.text, actor=officer)
        return application
    _decide(review, loan, key, officer=officer, head=head)
    if loan.stage in (Stage.AWAITING_SECOND_APPROVAL, Stage.APPROVED):
        return application
    # The other banks approve too; the holder takes the first bank's offer.
    for other_key, other_bank, other_officer, other_head in banks[1:]:
        other = application.review_by(other_bank) if other_bank else None
        if other is not None and other_officer is not None and other_head is not None:
            _decide(other, loan, other_key, officer=other_officer, head=other_head)
    pledge = pledges.accept_offer(review, actor=holder)
    if loan.stage is Stage.AGREED:
        return application
    on = today()
    filings = pledges.file_registration(pledge, actor=officer)
    if loan.stage is Stage.FILED:
        return application
    for filing in filings:
        pledges.record_acceptance(
            filing,
            number=_registration_number(filing.authority, on, next(serials)),
            on=on,
            actor=officer,
        )
    interest = _one_month_interest(pledge)
    pledges.record_repayment(pledge, principal=0, interest=interest, paid_on=on, actor=officer)
    if loan.stage is Stage.REGISTERED:
        return application
    if loan.stage is Stage.RELEASED:
        pledges.record_repayment(
            pledge, principal=pledge.outstanding, interest=interest, paid_on=on, actor=officer
        )
        pledges.release_pledge(pledge, actor=officer)
        return application
    pledges.declare_default(pledge, actor=head)
    if loan.stage is Stage.DISPOSING:
        pledges.dispose_collateral(pledge, actor=head, asking_price=pledge.outstanding * 6 // 5)
    return application


def _seed_policies() -> None:
    for key, overrides in BANK_POLICIES.items():
        bank, head = _org(key), _user(key)
        if bank is None or head is None:
            continue
        if db.session.scalar(
            sa.select(LendingPolicy.id).where(LendingPolicy.bank_org_id == bank.id)
        ):
            continue
        base = pledges.PolicyData.default()
        data = replace(
            base,
            **{
                **overrides,
                "base_rates": overrides.get("base_rates", base.base_rates),
                "min_remaining_months": {
                    name: months
                    for name, months in {
                        **base.min_remaining_months,
                        **overrides.get("min_remaining_months", {}),
                    }.items()
                    if name in overrides.get("base_rates", base.base_rates)
                },
                "haircuts": {**base.haircuts, **overrides.get("haircuts", {})},
            },
        )
        pledges.save_policy(bank, data, actor=head)


def _seed_schemes() -> None:
    operator = _user("operator")
    if operator is None:
        return
    existing = set(db.session.scalars(sa.select(RiskScheme.name_zh)))
    for data in SCHEMES:
        if data.name_zh not in existing:
            risk.create_scheme(data, actor=operator)


def seed_pledges() -> int:
    """A lending policy per bank, the two risk-sharing schemes and loan applications in every
    state. Idempotent: nothing happens once any loan application exists. Returns the number of
    loan applications."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(LoanApplication)):
        return db.session.scalar(sa.select(sa.func.count()).select_from(LoanApplication)) or 0
    _seed_policies()
    _seed_schemes()
    picker = _Picker(
        used=set(),
        listed=set(db.session.scalars(sa.select(listing_rights.c.right_id))),
        on=today(),
    )
    serials = itertools.count(1)
    for loan in LOANS:
        _seed_loan(loan, picker, serials)
    db.session.flush()
    return db.session.scalar(sa.select(sa.func.count()).select_from(LoanApplication)) or 0
