"""Recordal and settlement: once the price is in escrow the deal is filed with each right's
registry authority (by the rights registry's table of kinds); on the authority's confirmation
escrow is released (platform fee, broker's commission, the pledgee first for pledged
collateral, then the seller), the right changes owner or carries the licence, and the listing
closes (assignment, exclusive or sole licence) or stays open (non-exclusive).

Running royalties: the licensee reports each period's units and net sales; the royalty is
``net sales × rate`` (floor, fen), collected through the payments module and paid to the
licensor; reports not made by their due date are flagged late.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, User
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.deals.lifecycle import move_deal
from marketplace.deals.models import (
    Deal,
    DealStatus,
    PaymentStructure,
    Recordal,
    RecordalKind,
    RecordalStatus,
    ReportingPeriod,
    RoyaltyReport,
    RoyaltyReportStatus,
)
from marketplace.extensions import db
from marketplace.listings.models import DealType, ListingStatus
from marketplace.orders.services import tell
from marketplace.rights import services as rights_services
from marketplace.rights import terms
from marketplace.rights.kinds import Effect
from marketplace.rights.models import Right

#: Licence contracts are recorded within 3 months after the contract takes effect.
LICENCE_RECORDAL_MONTHS = 3
#: Parties are warned this many days before a recordal deadline.
RECORDAL_WARNING_DAYS = 14
#: Regions marking an organisation established outside mainland China (technology export).
FOREIGN_REGION_PREFIXES = ("境外", "海外", "香港", "澳门", "台湾")
#: Days after a royalty period ends by which the licensee reports.
ROYALTY_REPORT_DAYS = 30


def is_foreign(org: Organisation) -> bool:
    return org.region.startswith(FOREIGN_REGION_PREFIXES)


def recordal_kind(right: Right, deal_type: DealType) -> RecordalKind | None:
    """What the registry expects for this kind of right and deal (None: nothing to file)."""
    rule = right.kind.rule
    if deal_type is DealType.ASSIGNMENT:
        if rule.assignment is Effect.REGISTRATION:
            return RecordalKind.ASSIGNMENT_REGISTRATION
        if rule.assignment is Effect.PUBLICATION:
            return RecordalKind.ASSIGNMENT_APPROVAL
        return RecordalKind.COPYRIGHT_CONTRACT  # effective by contract; registration optional
    if rule.licence is Effect.RECORDAL:
        return RecordalKind.LICENCE_RECORDAL
    if rule.licence is Effect.CONTRACT:
        return RecordalKind.COPYRIGHT_CONTRACT
    return None


def contract_effective_on(deal: Deal) -> date:
    """The contract takes effect when the last party signs."""
    contract = deal.contract
    if contract is None or not contract.signatures:
        return today()
    return rights_services.local_date(max(s.signed_at for s in contract.signatures))


def _filing_data(deal: Deal, kind: RecordalKind, rights: Sequence[Right]) -> dict[str, Any]:
    offer = deal.agreed_offer

    def party(org: Organisation) -> dict[str, str]:
        return {"name": org.name_zh, "identity_number": org.identity_number, "region": org.region}

    return {
        "kind": kind.value,
        "authority": rights[0].kind.rule.authority_zh,
        "deal_number": deal.number,
        "deal_type": deal.deal_type.value,
        "assignor_or_licensor": party(deal.seller_org),
        "assignee_or_licensee": party(deal.buyer_org),
        "rights": [
            {"kind": r.kind.value, "number": r.display_number, "title": r.title_zh} for r in rights
        ],
        "price": deal.price,
        "currency": deal.currency,
        "territory": offer.territory if offer else None,
        "field_of_use": offer.field_of_use if offer else None,
        "starts_on": offer.starts_on.isoformat() if offer and offer.starts_on else None,
        "ends_on": offer.ends_on.isoformat() if offer and offer.ends_on else None,
        "contract_sha256": deal.contract.sha256 if deal.contract else None,
    }


def recordals_of(deal: Deal) -> list[Recordal]:
    return list(
        db.session.scalars(
            sa.select(Recordal).where(Recordal.deal_id == deal.id).order_by(Recordal.id)
        )
    )


def prepare_recordals(deal: Deal, *, actor: User | None) -> list[Recordal]:
    """One filing per authority, once the price is in escrow (idempotent)."""
    if deal.status is not DealStatus.FUNDED:
        raise Conflict(_("The recordal is prepared once the price is held in escrow."))
    existing = recordals_of(deal)
    if existing:
        return [r for r in existing if r.status is not RecordalStatus.REFUSED]
    groups: dict[tuple[str, RecordalKind], list[Right]] = {}
    for right in deal.listing.rights:
        kind = recordal_kind(right, deal.deal_type)
        if kind is not None:
            groups.setdefault((right.kind.rule.authority_zh, kind), []).append(right)
    effective = contract_effective_on(deal)
    recordals = []
    for (authority, kind), rights in groups.items():
        data = _filing_data(deal, kind, rights)
        recordal = Recordal(
            deal_id=deal.id,
            kind=kind,
            authority=authority,
            data=data,
            sha256=hashlib.sha256(
                json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
            ).hexdigest(),
            due_on=terms.add_months(effective, LICENCE_RECORDAL_MONTHS)
            if kind is RecordalKind.LICENCE_RECORDAL
            else None,
        )
        db.session.add(recordal)
        recordals.append(recordal)
    db.session.flush()
    for recordal in recordals:
        audit.record(
            "recordal.prepared",
            deal,
            actor=actor,
            after={"recordal": recordal.id, "kind": recordal.kind, "due_on": recordal.due_on},
        )
    return recordals


def _require_party(deal: Deal, actor: User) -> None:
    if actor.organisation_id not in (deal.seller_org_id, deal.buyer_org_id) and not (
        actor.organisation is not None and actor.organisation.is_operator
    ):
        raise PermissionDenied(_("Only the parties file the recordal."))


def file_recordal(
    recordal: Recordal, *, actor: User, export_certificate: str | None = None
) -> Recordal:
    """:raises ValidationFailed: a foreign assignee or licensee without its technology-export
    licence or registration certificate."""
    deal = db.session.get(Deal, recordal.deal_id)
    assert deal is not None
    _require_party(deal, actor)
    if recordal.status is not RecordalStatus.PREPARED:
        raise Conflict(_("This recordal has already been filed."))
    if deal.status not in (DealStatus.FUNDED, DealStatus.RECORDAL_FILED):
        raise Conflict(_("The recordal is filed once the price is held in escrow."))
    certificate = (export_certificate or "").strip() or None
    if is_foreign(deal.buyer_org) and certificate is None:
        message = _(
            "A foreign assignee or licensee needs the technology-export licence or "
            "registration certificate first."
        )
        raise ValidationFailed(message, fields={"export_certificate": [message]})
    recordal.export_certificate = certificate
    recordal.status = RecordalStatus.FILED
    recordal.filed_at = utcnow()
    if deal.status is DealStatus.FUNDED:
        move_deal(deal, DealStatus.RECORDAL_FILED, actor=actor, recordal=recordal.id)
    audit.record(
        "recordal.filed",
        deal,
        actor=actor,
        after={"recordal": recordal.id, "sha256": recordal.sha256},
    )
    return recordal


def refuse_recordal(recordal: Recordal, *, reason: str, actor: User) -> None:
    deal = db.session.get(Deal, recordal.deal_id)
    assert deal is not None
    _require_party(deal, actor)
    if recordal.status is not RecordalStatus.FILED:
        raise Conflict(_("Only a filed recordal can be refused."))
    if not reason.strip():
        message = _("Give the authority's reason.")
        raise ValidationFailed(message, fields={"reason": [message]})
    recordal.status = RecordalStatus.REFUSED
    recordal.refusal = reason.strip()
    # With filings at several authorities an earlier refusal may have sent the deal back already.
    if deal.status is not DealStatus.FUNDED:
        move_deal(deal, DealStatus.FUNDED, actor=actor, refusal=recordal.refusal)
    audit.record(
        "recordal.refused",
        deal,
        actor=actor,
        after={"recordal": recordal.id, "reason": recordal.refusal},
    )
    # A fresh filing is prepared for the correction.
    replacement = Recordal(
        deal_id=deal.id,
        kind=recordal.kind,
        authority=recordal.authority,
        data=recordal.data,
        sha256=recordal.sha256,
        due_on=recordal.due_on,
    )
    db.session.add(replacement)
    db.session.flush()


@dataclass(frozen=True)
class Settlement:
    fee: int
    commission: int
    to_pledgees: int
    to_seller: int


def confirm_recordal(recordal: Recordal, *, number: str, on: date, actor: User) -> Recordal:
    """Record the authority's acceptance; when every filing of the deal is accepted the deal
    settles (:func:`settle`)."""
    deal = db.session.get(Deal, recordal.deal_id)
    assert deal is not None
    _require_party(deal, actor)
    if recordal.status is not RecordalStatus.FILED:
        raise Conflict(_("Only a filed recordal can be accepted."))
    problems: dict[str, list[str]] = {}
    if not number.strip():
        problems["number"] = [_("Enter the number the authority gave.")]
    if on > today():
        problems["on"] = [_("The date cannot be in the future.")]
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    recordal.status = RecordalStatus.ACCEPTED
    recordal.accepted_number = number.strip()
    recordal.accepted_on = on
    audit.record(
        "recordal.accepted", deal, actor=actor, after={"recordal": recordal.id, "number": number}
    )
    live = [r for r in recordals_of(deal) if r.status is not RecordalStatus.REFUSED]
    if all(r.status is RecordalStatus.ACCEPTED for r in live):
        settle(deal, actor=actor)
    return recordal


def settle(deal: Deal, *, actor: User | None) -> Settlement:
    """Release escrow and give the deal its effect on the rights and the listing."""
    from marketplace.listings import services as listings
    from marketplace.payments import services as payments
    from marketplace.pledges import services as pledges
    from marketplace.pledges.models import PledgeStatus

    price = deal.price or 0
    fee, commission, rest = payments.fee_split(
        price, platform_fee_bp=deal.platform_fee_bp, commission_bp=deal.commission_bp
    )
    splits: list[tuple[Organisation, str, int]] = []
    if commission and deal.broker_org is not None:
        splits.append((deal.broker_org, "broker", commission))
    to_pledgees = 0
    disposals = []
    for right in deal.listing.rights:
        for pledge in pledges.holding_pledges(right):
            if pledge.status is PledgeStatus.DISPOSING and pledge.disposal_listing_id == (
                deal.listing_id
            ):
                disposals.append(pledge)
    for pledge in {p.id: p for p in disposals}.values():
        # Collateral sold on default: the pledgee is paid first, up to the outstanding debt.
        to_bank, rest = pledges.split_proceeds(rest, pledge.outstanding)
        if to_bank:
            splits.append((pledge.pledgee_org, "pledgee", to_bank))
            to_pledgees += to_bank
        pledges.settle_disposal(pledge, proceeds=to_bank, actor=actor)
    if rest:
        splits.append((deal.seller_org, "seller", rest))
    if price:
        payments.release_escrow(deal, splits=splits, fee=fee, actor=actor)

    listing = deal.listing
    if deal.deal_type is DealType.ASSIGNMENT:
        for right in listing.rights:
            rights_services.transfer_ownership(
                right, deal.seller_org, deal.buyer_org, actor=actor, source=f"deal:{deal.number}"
            )
    else:
        offer = deal.agreed_offer
        agreed = (
            None
            if offer is None
            else listings.LicenceTerms(
                offer.territory or "all",
                offer.field_of_use or "all",
                offer.starts_on or today(),
                offer.ends_on,
            )
        )
        listings.grant_licence(listing, deal.buyer_org, actor=actor, terms=agreed)
    exclusive = deal.deal_type in (DealType.ASSIGNMENT, DealType.EXCLUSIVE, DealType.SOLE)
    if exclusive and listing.status in (ListingStatus.PUBLISHED, ListingStatus.UNDER_NEGOTIATION):
        listing.closed_price = price
        listing.closed_royalty_rate = (
            deal.agreed_offer.royalty_rate_bp if deal.agreed_offer else None
        )
        listing.closed_at = utcnow()
        listings.move_listing(
            listing, ListingStatus.CLOSED, actor=actor, price=price, buyer=deal.buyer_org_id
        )
    deal.completed_at = utcnow()
    move_deal(deal, DealStatus.COMPLETED, actor=actor, fee=fee, commission=commission)
    for org in (deal.seller_org, deal.buyer_org):
        tell(
            org, lambda: _("Deal %(number)s is completed", number=deal.number), f"/deals/{deal.id}"
        )
    if deal.agreed_offer and deal.agreed_offer.payment_structure is (
        PaymentStructure.UPFRONT_AND_ROYALTY
    ):
        schedule_royalty_reports(deal)
    return Settlement(fee, commission, to_pledgees, rest)


def warn_recordal_deadlines(on: date | None = None) -> int:
    """Tell both parties once when a licence recordal is still unfiled within
    :data:`RECORDAL_WARNING_DAYS` of its deadline (or past it). Returns how many were warned."""
    on = on or today()
    due = db.session.scalars(
        sa.select(Recordal).where(
            Recordal.status == RecordalStatus.PREPARED,
            Recordal.due_on.is_not(None),
            Recordal.due_on <= on + timedelta(days=RECORDAL_WARNING_DAYS),
            Recordal.warned_at.is_(None),
        )
    ).all()
    for recordal in due:
        deal = db.session.get(Deal, recordal.deal_id)
        assert deal is not None and recordal.due_on is not None
        recordal.warned_at = utcnow()
        for org in (deal.seller_org, deal.buyer_org):
            tell(
                org,
                lambda r=recordal, d=deal: _(
                    "Record the licence contract of deal %(number)s with %(authority)s by %(date)s",
                    number=d.number,
                    authority=r.authority,
                    date=r.due_on.isoformat() if r.due_on else "",
                ),
                f"/deals/{deal.id}",
            )
        audit.record(
            "recordal.deadline_warned", deal, actor=None, after={"due_on": recordal.due_on}
        )
    return len(due)


# --- running royalties ---------------------------------------------------------------------------

PERIOD_MONTHS = {ReportingPeriod.QUARTER: 3, ReportingPeriod.HALF_YEAR: 6, ReportingPeriod.YEAR: 12}


def royalty_due(net_sales: int, rate_bp: int) -> int:
    """The royalty in fen on net sales in fen at a rate in basis points, rounded down."""
    if net_sales < 0 or not 0 <= rate_bp <= 10_000:
        raise ValueError("net sales cannot be negative and a rate lies between 0 and 10 000 bp")
    return net_sales * rate_bp // 10_000


def schedule_royalty_reports(deal: Deal) -> list[RoyaltyReport]:
    """The reporting periods of a running-royalty licence from its start to its end (or the
    right's expiry), each due :data:`ROYALTY_REPORT_DAYS` after it ends."""
    offer = deal.agreed_offer
    if offer is None or offer.royalty_rate_bp is None or offer.reporting_period is None:
        return []
    start = offer.starts_on or today()
    ends = offer.ends_on or min(
        (e for r in deal.listing.rights if (e := rights_services.expiry_of(r))), default=None
    )
    if ends is None:
        ends = terms.add_months(start, 60)
    months = PERIOD_MONTHS[offer.reporting_period]
    reports = []
    period_start = start
    while period_start <= ends:
        period_end = min(terms.add_months(period_start, months) - timedelta(days=1), ends)
        reports.append(
            RoyaltyReport(
                deal_id=deal.id,
                period_start=period_start,
                period_end=period_end,
                due_on=period_end + timedelta(days=ROYALTY_REPORT_DAYS),
            )
        )
        period_start = period_end + timedelta(days=1)
    db.session.add_all(reports)
    db.session.flush()
    return reports


def report_royalty(
    report: RoyaltyReport, *, units: int, net_sales: int, actor: User
) -> RoyaltyReport:
    """The licensee reports a period; the royalty is computed and its payment can start.

    :raises ValidationFailed: negative figures. :raises PermissionDenied: not the licensee.
    """
    deal = db.session.get(Deal, report.deal_id)
    assert deal is not None
    if actor.organisation_id != deal.buyer_org_id:
        raise PermissionDenied(_("Only the licensee reports royalties."))
    if report.status not in (RoyaltyReportStatus.DUE, RoyaltyReportStatus.LATE):
        raise Conflict(_("This period has already been reported."))
    if units < 0 or net_sales < 0:
        message = _("Units and net sales cannot be negative.")
        raise ValidationFailed(message, fields={"net_sales": [message]})
    if report.period_end >= today():
        raise Conflict(_("The period has not ended yet."))
    rate = deal.agreed_offer.royalty_rate_bp if deal.agreed_offer else None
    report.units = units
    report.net_sales = net_sales
    report.royalty = royalty_due(net_sales, rate or 0)
    report.status = RoyaltyReportStatus.REPORTED
    report.reported_by_id = actor.id
    report.reported_at = utcnow()
    audit.record(
        "royalty.reported",
        deal,
        actor=actor,
        after={
            "period_start": report.period_start,
            "net_sales": net_sales,
            "royalty": report.royalty,
        },
    )
    tell(
        deal.seller_org,
        lambda: _("Royalty report for deal %(number)s received", number=deal.number),
        f"/deals/{deal.id}",
    )
    return report


def flag_late_reports(on: date | None = None) -> int:
    """Periods past their due date without a report become late (licensor and licensee told)."""
    on = on or today()
    late = db.session.scalars(
        sa.select(RoyaltyReport).where(
            RoyaltyReport.status == RoyaltyReportStatus.DUE, RoyaltyReport.due_on < on
        )
    ).all()
    for report in late:
        report.status = RoyaltyReportStatus.LATE
        deal = db.session.get(Deal, report.deal_id)
        assert deal is not None
        for org in (deal.seller_org, deal.buyer_org):
            tell(
                org,
                lambda r=report, d=deal: _(
                    "The royalty report of deal %(number)s for the period from %(start)s is late",
                    number=d.number,
                    start=r.period_start.isoformat(),
                ),
                f"/deals/{deal.id}",
            )
        audit.record("royalty.late", deal, actor=None, after={"period_start": report.period_start})
    return len(late)
