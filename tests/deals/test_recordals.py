"""Recordal kinds, deadlines and warnings, foreign parties, and running-royalty arithmetic."""

from __future__ import annotations

import hashlib
import itertools
from datetime import date, timedelta

import pytest

from marketplace.accounts.models import OrgKind
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.deals import recordals
from marketplace.deals.models import (
    Contract,
    Deal,
    DealStatus,
    Offer,
    OfferStatus,
    PaymentStructure,
    RecordalKind,
    RecordalStatus,
    ReportingPeriod,
    RoyaltyReportStatus,
    Signature,
)
from marketplace.extensions import db as _db
from marketplace.listings import services as listings
from marketplace.listings.models import DealType
from marketplace.notifications.models import Notification
from marketplace.rights.kinds import RightKind
from tests.factories import make_org, make_right, make_user

_serial = itertools.count(1)


def make_deal(
    deal_type=DealType.NON_EXCLUSIVE,
    *,
    status=DealStatus.FUNDED,
    right=None,
    buyer_region="长春新区",
    signed_on=None,
    royalty_bp=None,
    period=None,
    starts_on=None,
    ends_on=None,
):
    """A deal with its agreed offer and signed contract, built as rows."""
    seller = make_org(OrgKind.ENTERPRISE)
    seller_user = make_user(seller)
    buyer = make_org(OrgKind.ENTERPRISE)
    buyer.region = buyer_region
    buyer_user = make_user(buyer)
    right = right or make_right(seller)
    fields = {}
    if deal_type.is_licence:
        fields = {"licence_starts_on": starts_on or today()}
    listing = listings.create_listing(
        seller,
        listings.ListingData(
            title="许可", teaser="专利", deal_type=deal_type, right_ids=[right.id], **fields
        ),
        actor=seller_user,
    )
    n = next(_serial)
    deal = Deal(
        number=f"IPT-D-T-{n:06d}",
        listing_id=listing.id,
        seller_org_id=seller.id,
        buyer_org_id=buyer.id,
        deal_type=deal_type,
        status=status,
        price=1_000_000_00,
        created_by_id=buyer_user.id,
    )
    _db.session.add(deal)
    _db.session.flush()
    offer = Offer(
        deal_id=deal.id,
        by_org_id=buyer.id,
        by_user_id=buyer_user.id,
        status=OfferStatus.ACCEPTED,
        price=1_000_000_00,
        payment_structure=PaymentStructure.UPFRONT_AND_ROYALTY
        if royalty_bp
        else PaymentStructure.LUMP_SUM,
        royalty_rate_bp=royalty_bp,
        reporting_period=period,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    pdf = b"%PDF contract"
    contract = Contract(
        deal_id=deal.id,
        template="licence",
        version="test",
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    _db.session.add_all([offer, contract])
    _db.session.flush()
    signed_at = (
        utcnow()
        if signed_on is None
        else utcnow().replace(year=signed_on.year, month=signed_on.month, day=signed_on.day, hour=4)
    )
    for org, user in ((seller, seller_user), (buyer, buyer_user)):
        _db.session.add(
            Signature(
                contract_id=contract.id,
                organisation_id=org.id,
                user_id=user.id,
                sha256=contract.sha256,
                signed_at=signed_at,
            )
        )
    _db.session.flush()
    _db.session.refresh(deal)
    return deal, seller_user, buyer_user


@pytest.mark.parametrize(
    ("kind", "deal_type", "expected"),
    [
        (RightKind.INVENTION, DealType.ASSIGNMENT, RecordalKind.ASSIGNMENT_REGISTRATION),
        (RightKind.INVENTION, DealType.EXCLUSIVE, RecordalKind.LICENCE_RECORDAL),
        (RightKind.TRADEMARK, DealType.ASSIGNMENT, RecordalKind.ASSIGNMENT_APPROVAL),
        (RightKind.TRADEMARK, DealType.NON_EXCLUSIVE, RecordalKind.LICENCE_RECORDAL),
        (RightKind.SOFTWARE_COPYRIGHT, DealType.ASSIGNMENT, RecordalKind.COPYRIGHT_CONTRACT),
        (RightKind.PLANT_VARIETY, DealType.ASSIGNMENT, RecordalKind.ASSIGNMENT_REGISTRATION),
    ],
)
def test_each_kind_files_what_its_registry_expects(db, kind, deal_type, expected):
    right = make_right(
        None, kind=kind, number=f"K{next(_serial)}", registration_date=date(2020, 1, 1)
    )
    assert recordals.recordal_kind(right, deal_type) is expected


def test_a_licence_recordal_is_due_three_months_after_the_contract_takes_effect(db):
    deal, seller_user, _buyer = make_deal(signed_on=date(2026, 3, 31))
    [recordal] = recordals.prepare_recordals(deal, actor=seller_user)
    assert recordal.kind is RecordalKind.LICENCE_RECORDAL
    assert recordal.due_on == date(2026, 6, 30)
    assert recordal.authority == "国家知识产权局"
    assert (
        recordal.data["assignee_or_licensee"]["identity_number"] == deal.buyer_org.identity_number
    )
    assert recordals.prepare_recordals(deal, actor=seller_user) == [recordal]  # idempotent


def test_the_recordal_is_prepared_only_once_funds_are_in_escrow(db):
    deal, seller_user, _ = make_deal(status=DealStatus.SIGNED)
    with pytest.raises(Conflict):
        recordals.prepare_recordals(deal, actor=seller_user)


def test_the_deadline_warning_reaches_both_parties_once(db):
    deal, seller_user, buyer_user = make_deal(signed_on=today() - timedelta(days=80))
    [recordal] = recordals.prepare_recordals(deal, actor=seller_user)
    early = recordal.due_on - timedelta(days=recordals.RECORDAL_WARNING_DAYS + 1)
    assert recordals.warn_recordal_deadlines(early) == 0
    assert recordals.warn_recordal_deadlines(recordal.due_on - timedelta(days=3)) == 1
    assert recordals.warn_recordal_deadlines(recordal.due_on) == 0
    for user in (seller_user, buyer_user):
        notes = _db.session.query(Notification).filter_by(user_id=user.id).all()
        assert len([n for n in notes if deal.number in n.title]) == 1


def test_a_foreign_licensee_files_only_with_its_export_certificate(db):
    deal, seller_user, buyer_user = make_deal(buyer_region="境外·德国慕尼黑")
    [recordal] = recordals.prepare_recordals(deal, actor=seller_user)
    with pytest.raises(ValidationFailed) as caught:
        recordals.file_recordal(recordal, actor=buyer_user)
    assert "export_certificate" in caught.value.fields
    assert recordal.status is RecordalStatus.PREPARED and deal.status is DealStatus.FUNDED
    recordals.file_recordal(recordal, actor=buyer_user, export_certificate="2026220000456")
    assert recordal.status is RecordalStatus.FILED and deal.status is DealStatus.RECORDAL_FILED


def test_an_outsider_cannot_file_and_a_refusal_sends_the_deal_back(db):
    deal, seller_user, _ = make_deal()
    [recordal] = recordals.prepare_recordals(deal, actor=seller_user)
    outsider = make_user(make_org(OrgKind.ENTERPRISE))
    with pytest.raises(PermissionDenied):
        recordals.file_recordal(recordal, actor=outsider)
    recordals.file_recordal(recordal, actor=seller_user)
    recordals.refuse_recordal(recordal, reason="合同缺少许可期限", actor=seller_user)
    assert deal.status is DealStatus.FUNDED
    _db.session.refresh(deal)
    assert [r.status for r in deal.recordals] == [RecordalStatus.REFUSED, RecordalStatus.PREPARED]


# --- royalties -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net_sales", "rate_bp", "royalty"),
    [
        (100_000_00, 500, 5_000_00),  # 5 % of ¥100,000
        (12_345_67, 350, 43_209),  # 3.5 % of ¥12,345.67 = ¥432.098… → ¥432.09
        (0, 500, 0),
        (99, 1, 0),  # floor, never rounded up
    ],
)
def test_the_royalty_is_net_sales_times_the_rate_rounded_down(net_sales, rate_bp, royalty):
    assert recordals.royalty_due(net_sales, rate_bp) == royalty


def test_a_royalty_cannot_come_from_negative_sales_or_an_impossible_rate():
    with pytest.raises(ValueError):
        recordals.royalty_due(-1, 500)
    with pytest.raises(ValueError):
        recordals.royalty_due(100, 10_001)


def test_reporting_periods_cover_the_licence_term_quarter_by_quarter(db):
    deal, _, _ = make_deal(
        royalty_bp=300,
        period=ReportingPeriod.QUARTER,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    reports = recordals.schedule_royalty_reports(deal)
    assert [(r.period_start, r.period_end) for r in reports] == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 12, 31)),
    ]
    assert reports[0].due_on == date(2026, 4, 30)


def test_the_licensee_reports_and_late_periods_are_flagged(db):
    deal, seller_user, buyer_user = make_deal(
        royalty_bp=450,
        period=ReportingPeriod.HALF_YEAR,
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 12, 31),
    )
    first, second = recordals.schedule_royalty_reports(deal)
    with pytest.raises(PermissionDenied):
        recordals.report_royalty(first, units=10, net_sales=1_000_000_00, actor=seller_user)
    with pytest.raises(ValidationFailed):
        recordals.report_royalty(first, units=10, net_sales=-1, actor=buyer_user)
    recordals.report_royalty(first, units=1200, net_sales=2_000_000_00, actor=buyer_user)
    assert first.royalty == 90_000_00 and first.status is RoyaltyReportStatus.REPORTED
    assert recordals.flag_late_reports(date(2026, 1, 30)) == 0  # due on 2026-01-30
    assert recordals.flag_late_reports(date(2026, 1, 31)) == 1
    assert second.status is RoyaltyReportStatus.LATE
    recordals.report_royalty(second, units=800, net_sales=1_000_000_00, actor=buyer_user)
    assert second.royalty == 45_000_00


def test_the_daily_command_warns_and_flags_once(app, db):
    deal, seller_user, _buyer = make_deal(signed_on=today() - timedelta(days=85))
    recordals.prepare_recordals(deal, actor=seller_user)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["deals", "daily"])
    assert first.exit_code == 0 and "1 recordal deadline warnings" in first.output
    again = runner.invoke(args=["deals", "daily"])
    assert "0 recordal deadline warnings" in again.output


def test_a_completed_non_exclusive_licence_counts_in_the_price_statistics(db):
    from marketplace.listings import stats

    deal, _seller, _buyer = make_deal(DealType.NON_EXCLUSIVE, status=DealStatus.COMPLETED)
    assert deal.listing.status.value != "closed"  # a non-exclusive listing stays on offer
    deal.completed_at = utcnow()
    _db.session.flush()
    rows = [r for r in stats.closed_deals() if r.listing_id == deal.listing_id]
    assert [(r.price, r.deal_type) for r in rows] == [(deal.price, "non_exclusive")]
