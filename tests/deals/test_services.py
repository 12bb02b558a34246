"""Deal room rules: offers and counters, agreement and exclusivity, contracts, signatures,
visibility, open licences, pledgee consent, and the race for an exclusive listing."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from marketplace.accounts.models import OrgKind
from marketplace.core import audit, policy
from marketplace.core.audit import AuditEntry
from marketplace.core.clock import today
from marketplace.core.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    PermissionDenied,
    ValidationFailed,
)
from marketplace.deals import services
from marketplace.deals.errors import ContractTampered, DealRefused, DocumentRejected
from marketplace.deals.lifecycle import move_deal
from marketplace.deals.models import (
    DEAL_TRANSITIONS,
    Deal,
    DealStatus,
    OfferStatus,
    PaymentStructure,
    ReportingPeriod,
    Signature,
)
from marketplace.extensions import db as _db
from marketplace.listings import services as listings
from marketplace.listings.errors import ListingRefused
from marketplace.listings.models import DealType, Demand, ListingStatus
from marketplace.notifications.models import Notification
from marketplace.rights import evidence
from marketplace.rights import services as rights_services
from tests.concurrency import race
from tests.conftest import is_postgres
from tests.deals.helpers import instalments, party, published_listing, terms
from tests.factories import PASSWORD, make_operator, make_right, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def seller(db):
    return party(name_zh="长春卖方科技有限公司")


@pytest.fixture
def buyer(db):
    return party(name_zh="吉林买方汽车有限公司")


def open_deal(seller, buyer, deal_type=DealType.EXCLUSIVE, listing=None, **offer):
    listing = listing or published_listing(seller, deal_type)
    return services.open_deal(
        listing, buyer[0], actor=buyer[1], offer=terms(listing.deal_type, **offer)
    )


def agreed(seller, buyer, deal_type=DealType.EXCLUSIVE, **offer):
    deal = open_deal(seller, buyer, deal_type, **offer)
    services.accept_offer(deal.offers[0], actor=seller[1])
    return deal


def pdf_text(pdf: bytes) -> str:
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    return "".join(pages).replace("\n", "").replace(" ", "")


def notes_of(org):
    ids = [u.id for u in org.members]
    return _db.session.scalars(sa.select(Notification).where(Notification.user_id.in_(ids))).all()


# --- opening -----------------------------------------------------------------------------------


def test_buyer_opens_a_deal_with_its_first_offer_and_the_seller_is_told(seller, buyer):
    deal = open_deal(seller, buyer)
    assert deal.number == f"IPT-D-{today().year}-{deal.id:06d}"
    assert deal.status is DealStatus.NEGOTIATING and deal.price is None
    assert deal.seller_org_id == seller[0].id and deal.buyer_org_id == buyer[0].id
    [offer] = deal.offers
    assert offer.status is OfferStatus.OPEN and offer.by_org_id == buyer[0].id
    assert offer.territory == "吉林省" and offer.price == 40_000_000
    assert any(deal.number in n.title for n in notes_of(seller[0]))
    assert audit.history("deals", deal.id)[0].action == "deal.opened"


def test_seller_cannot_make_an_offer_on_its_own_listing(seller):
    listing = published_listing(seller)
    with pytest.raises(Conflict):
        services.open_deal(listing, seller[0], actor=seller[1], offer=terms())


def test_unverified_buyer_cannot_make_an_offer(seller):
    from marketplace.accounts.models import OrgStatus

    stranger = party(status=OrgStatus.PENDING)
    with pytest.raises(Conflict):
        open_deal(seller, stranger)


def test_offer_only_on_a_published_listing(seller, buyer):
    listing = published_listing(seller)
    listings.withdraw_listing(listing, actor=seller[1])
    with pytest.raises(DealRefused):
        open_deal(seller, buyer, listing=listing)


def test_one_open_deal_per_buyer_and_listing(seller, buyer):
    deal = open_deal(seller, buyer)
    with pytest.raises(Conflict):
        open_deal(seller, buyer, listing=deal.listing)


def test_every_invalid_term_is_reported_at_once(seller, buyer):
    with pytest.raises(ValidationFailed) as exc:
        open_deal(
            seller,
            buyer,
            price=-5,
            royalty_rate_bp=300,
            refund_on_cancel_bp=12_000,
            starts_on=today() - timedelta(days=3),
            note="x" * 3000,
        )
    assert set(exc.value.fields) >= {
        "price",
        "royalty_rate_bp",
        "refund_on_cancel_bp",
        "starts_on",
        "note",
    }


def test_royalty_structure_needs_rate_and_reporting_period(seller, buyer):
    with pytest.raises(ValidationFailed) as exc:
        open_deal(seller, buyer, payment_structure=PaymentStructure.UPFRONT_AND_ROYALTY)
    assert set(exc.value.fields) >= {"royalty_rate_bp", "reporting_period"}


def test_assignment_has_no_running_royalty(seller, buyer):
    with pytest.raises(ValidationFailed) as exc:
        open_deal(
            seller,
            buyer,
            DealType.ASSIGNMENT,
            payment_structure=PaymentStructure.UPFRONT_AND_ROYALTY,
            royalty_rate_bp=300,
            reporting_period=ReportingPeriod.YEAR,
        )
    assert "payment_structure" in exc.value.fields


def test_instalment_schedule_must_sum_to_the_price(seller, buyer):
    plan = instalments(10_000_000, 20_000_000)
    with pytest.raises(ValidationFailed) as exc:
        open_deal(seller, buyer, **{**plan, "price": 40_000_000})
    assert "schedule" in exc.value.fields
    deal = open_deal(seller, buyer, **plan)
    assert [row["amount"] for row in deal.offers[0].schedule] == [10_000_000, 20_000_000]
    assert deal.offers[0].price == 30_000_000


def test_instalments_need_two_dated_payments(seller, buyer):
    from marketplace.deals.services import Instalment

    with pytest.raises(ValidationFailed) as exc:
        open_deal(
            seller,
            buyer,
            price=100,
            payment_structure=PaymentStructure.INSTALMENTS,
            schedule=(Instalment(amount=100),),
        )
    assert "schedule" in exc.value.fields


def test_milestones_need_their_description(seller, buyer):
    from marketplace.deals.services import Instalment

    with pytest.raises(ValidationFailed):
        open_deal(
            seller,
            buyer,
            price=100,
            payment_structure=PaymentStructure.MILESTONES,
            schedule=(Instalment(amount=100),),
        )
    deal = open_deal(
        seller,
        buyer,
        price=100,
        payment_structure=PaymentStructure.MILESTONES,
        schedule=(Instalment(amount=100, milestone="样机验收"),),
    )
    assert deal.offers[0].schedule == [{"amount": 100, "milestone": "样机验收"}]


def test_licence_term_may_not_outlive_the_right(seller, buyer):
    right = make_right(seller[0])
    expiry = rights_services.expiry_of(right)
    listing = published_listing(seller, rights=[right])
    with pytest.raises(ValidationFailed) as exc:
        open_deal(seller, buyer, listing=listing, ends_on=expiry + timedelta(days=1))
    assert "ends_on" in exc.value.fields
    deal = open_deal(seller, buyer, listing=listing, ends_on=expiry)
    assert deal.offers[0].ends_on == expiry


def test_licence_without_an_end_runs_until_the_right_ends(seller, buyer):
    right = make_right(seller[0])
    deal = open_deal(seller, buyer, listing=published_listing(seller, rights=[right]), ends_on=None)
    assert deal.offers[0].ends_on == rights_services.expiry_of(right)


def test_broker_with_a_mandate_on_the_listing_is_attached_with_its_commission(seller, buyer):
    listing = published_listing(seller)
    broker = party(OrgKind.BROKER)
    listings.grant_mandate(actor=seller[1], broker=broker[0], commission_rate=500, listing=listing)
    deal = open_deal(seller, buyer, listing=listing)
    assert deal.broker_org_id == broker[0].id and deal.commission_bp == 500
    assert deal.mandate is not None and deal.mandate.listing_id == listing.id
    assert any(deal.number in n.title for n in notes_of(broker[0]))


def test_broker_with_a_mandate_on_the_buyers_demand_is_attached(seller, buyer):
    listing = published_listing(seller)
    demand = listings.post_demand(
        buyer[0],
        listings.DemandData(title="寻找热泵技术", description="新能源汽车热管理"),
        actor=buyer[1],
    )
    broker = party(OrgKind.BROKER)
    listings.grant_mandate(actor=buyer[1], broker=broker[0], commission_rate=800, demand=demand)
    deal = services.open_deal(listing, buyer[0], actor=buyer[1], offer=terms(), demand=demand)
    assert deal.demand_id == demand.id
    assert deal.broker_org_id == broker[0].id and deal.commission_bp == 800


def test_someone_elses_demand_is_refused(seller, buyer):
    other = party()
    demand = listings.post_demand(
        other[0], listings.DemandData(title="x", description="y"), actor=other[1]
    )
    with pytest.raises(ValidationFailed):
        services.open_deal(
            published_listing(seller), buyer[0], actor=buyer[1], offer=terms(), demand=demand
        )
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Demand)) == 1


# --- negotiation -------------------------------------------------------------------------------


def test_counter_offer_marks_the_previous_offer_countered(seller, buyer):
    deal = open_deal(seller, buyer)
    first = deal.offers[0]
    second = services.counter(deal, terms(price=45_000_000), actor=seller[1])
    assert first.status is OfferStatus.COUNTERED
    assert second.status is OfferStatus.OPEN and second.counters_id == first.id
    assert second.by_org_id == seller[0].id
    third = services.counter(deal, terms(price=42_000_000), actor=buyer[1])
    assert second.status is OfferStatus.COUNTERED and third.counters_id == second.id
    services.accept_offer(third, actor=seller[1])
    assert deal.status is DealStatus.AGREED and deal.price == 42_000_000
    assert deal.agreed_offer is third


def test_a_side_cannot_counter_its_own_open_offer(seller, buyer):
    deal = open_deal(seller, buyer)
    with pytest.raises(Conflict):
        services.counter(deal, terms(), actor=buyer[1])


def test_only_the_side_that_did_not_make_the_offer_accepts_it(seller, buyer):
    deal = open_deal(seller, buyer)
    with pytest.raises(PermissionDenied):
        services.accept_offer(deal.offers[0], actor=buyer[1])
    with pytest.raises(PermissionDenied):
        services.accept_offer(deal.offers[0], actor=party()[1])
    assert deal.status is DealStatus.NEGOTIATING and not deal.contracts


def test_reject_then_a_new_offer_from_either_side(seller, buyer):
    deal = open_deal(seller, buyer)
    with pytest.raises(PermissionDenied):
        services.reject_offer(deal.offers[0], actor=buyer[1])
    services.reject_offer(deal.offers[0], actor=seller[1], reason="价格太低")
    assert deal.offers[0].status is OfferStatus.REJECTED
    with pytest.raises(IllegalTransition):
        services.accept_offer(deal.offers[0], actor=seller[1])
    fresh = services.counter(deal, terms(price=48_000_000), actor=seller[1])
    assert fresh.counters_id is None and fresh.status is OfferStatus.OPEN


def test_withdraw_only_by_its_maker(seller, buyer):
    deal = open_deal(seller, buyer)
    with pytest.raises(PermissionDenied):
        services.withdraw_offer(deal.offers[0], actor=seller[1])
    services.withdraw_offer(deal.offers[0], actor=buyer[1])
    assert deal.offers[0].status is OfferStatus.WITHDRAWN
    with pytest.raises(IllegalTransition):
        services.withdraw_offer(deal.offers[0], actor=buyer[1])


def test_no_more_offers_once_agreed(seller, buyer):
    deal = agreed(seller, buyer)
    with pytest.raises(IllegalTransition):
        services.counter(deal, terms(), actor=buyer[1])
    with pytest.raises(IllegalTransition):
        services.accept_offer(deal.offers[0], actor=seller[1])


@pytest.mark.parametrize("old", list(DealStatus))
@pytest.mark.parametrize("new", list(DealStatus))
def test_deal_transition_table(seller, buyer, old, new):
    deal = open_deal(seller, buyer)
    deal.status = old
    if (old, new) in DEAL_TRANSITIONS:
        move_deal(deal, new, actor=seller[1])
        assert deal.status is new
    else:
        with pytest.raises(IllegalTransition):
            move_deal(deal, new, actor=seller[1])
        assert deal.status is old


# --- agreement and exclusivity -----------------------------------------------------------------


def test_agreeing_an_exclusive_licence_holds_the_listing_and_answers_the_others(seller, buyer):
    listing = published_listing(seller)
    rival = party(name_zh="竞争买方")
    deal = open_deal(seller, buyer, listing=listing)
    other = open_deal(seller, rival, listing=listing)
    services.accept_offer(deal.offers[0], actor=seller[1])
    assert deal.status is DealStatus.AGREED and deal.holds_listing
    assert listing.status is ListingStatus.UNDER_NEGOTIATION
    assert other.status is DealStatus.CANCELLED and not other.holds_listing
    assert deal.number in other.cancelled_reason
    assert any(other.number in n.title for n in notes_of(rival[0]))
    with pytest.raises(DomainError):
        services.accept_offer(other.offers[0], actor=seller[1])
    with pytest.raises(DealRefused):
        open_deal(seller, party(), listing=listing)


def test_non_exclusive_deals_do_not_hold_the_listing(seller, buyer):
    listing = published_listing(seller, DealType.NON_EXCLUSIVE)
    first = open_deal(seller, buyer, listing=listing)
    second = open_deal(seller, party(), listing=listing)
    services.accept_offer(first.offers[0], actor=seller[1])
    services.accept_offer(second.offers[0], actor=seller[1])
    assert first.status is second.status is DealStatus.AGREED
    assert not first.holds_listing and listing.status is ListingStatus.PUBLISHED


def test_cancelling_the_holding_deal_puts_the_listing_back_on_offer(seller, buyer):
    deal = agreed(seller, buyer)
    with pytest.raises(ValidationFailed):
        services.cancel_deal(deal, actor=buyer[1], reason=" ")
    with pytest.raises(PermissionDenied):
        services.cancel_deal(deal, actor=party()[1], reason="x")
    services.cancel_deal(deal, actor=buyer[1], reason="董事会未批准")
    assert deal.status is DealStatus.CANCELLED and deal.cancelled_reason == "董事会未批准"
    assert not deal.holds_listing and deal.listing.status is ListingStatus.PUBLISHED
    assert open_deal(seller, party(), listing=deal.listing).status is DealStatus.NEGOTIATING


def test_a_funded_deal_is_cancelled_only_through_a_refund(seller, buyer, monkeypatch):
    deal = agreed(seller, buyer)
    deal.status = DealStatus.FUNDED
    monkeypatch.setattr(services, "ON_CANCEL_FUNDED", [])  # no refund path: refused
    with pytest.raises(Conflict):
        services.cancel_deal(deal, actor=buyer[1], reason="放弃")
    refunded = []
    monkeypatch.setattr(
        services,
        "ON_CANCEL_FUNDED",
        [lambda d, *, actor, reason: refunded.append((d.id, reason))],
    )
    services.cancel_deal(deal, actor=buyer[1], reason="放弃")
    assert refunded == [(deal.id, "放弃")] and deal.status is DealStatus.CANCELLED


def test_pledged_right_needs_the_pledgees_consent_at_agreement(seller, buyer):
    from marketplace.pledges.models import TransferConsent, TransferConsentStatus
    from tests.pledges.helpers import make_bank, make_pledge

    right = make_right(seller[0])
    listing = published_listing(seller, DealType.ASSIGNMENT, rights=[right])
    deal = open_deal(seller, buyer, listing=listing)
    bank, _banker = make_bank(name_zh="吉林银行")
    pledge = make_pledge(seller[0], bank, [right], actor=seller[1])
    with pytest.raises(ListingRefused) as exc:
        services.accept_offer(deal.offers[0], actor=seller[1])
    assert any("吉林银行" in reason for reason in exc.value.fields["rights"])
    assert deal.status is DealStatus.NEGOTIATING and not deal.holds_listing
    _db.session.add(
        TransferConsent(pledge=pledge, listing=listing, status=TransferConsentStatus.GRANTED)
    )
    _db.session.flush()
    services.accept_offer(deal.offers[0], actor=seller[1])
    assert deal.status is DealStatus.AGREED


# --- open licence ------------------------------------------------------------------------------


def open_licence_listing(seller, **fields):
    values = {
        "asking_price": 1_000_000,
        "royalty_rate": 200,
        "open_terms": "按净销售额2%按季度支付",
        "licence_ends_on": today() + timedelta(days=365),
        **fields,
    }
    return published_listing(seller, DealType.OPEN_LICENCE, **values)


def test_open_licence_is_agreed_at_once_at_the_published_terms(seller, buyer):
    listing = open_licence_listing(seller)
    deal = services.take_open_licence(listing, buyer[0], actor=buyer[1])
    assert deal.status is DealStatus.AGREED and deal.price == 1_000_000
    [offer] = deal.offers
    assert offer.status is OfferStatus.ACCEPTED and offer.by_org_id == seller[0].id
    assert offer.royalty_rate_bp == 200 and offer.reporting_period is ReportingPeriod.QUARTER
    assert offer.payment_structure is PaymentStructure.UPFRONT_AND_ROYALTY
    assert deal.contract is not None and deal.contract.template == "licence_open_licence"
    assert "开放许可" in pdf_text(deal.contract.pdf)
    assert listing.status is ListingStatus.PUBLISHED and not deal.holds_listing
    with pytest.raises(Conflict):
        services.take_open_licence(listing, buyer[0], actor=buyer[1])
    another = party()
    assert services.take_open_licence(listing, another[0], actor=another[1]).status is (
        DealStatus.AGREED
    )


def test_open_licence_is_not_negotiated(seller, buyer):
    listing = open_licence_listing(seller)
    with pytest.raises(Conflict):
        open_deal(seller, buyer, listing=listing)
    with pytest.raises(Conflict):
        services.take_open_licence(published_listing(seller), buyer[0], actor=buyer[1])


# --- contract ----------------------------------------------------------------------------------


def test_licence_contract_carries_what_recordal_requires(seller, buyer):
    right = make_right(seller[0], title_zh="一种动力电池热管理系统")
    listing = published_listing(seller, DealType.EXCLUSIVE, rights=[right])
    plan = instalments(15_000_000, 25_000_000)
    deal = open_deal(seller, buyer, listing=listing, refund_on_cancel_bp=8_000, **plan)
    services.accept_offer(deal.offers[0], actor=seller[1])
    contract = deal.contract
    assert contract.template == "licence_exclusive" and contract.version
    assert contract.sha256 == hashlib.sha256(contract.pdf).hexdigest()
    text = pdf_text(contract.pdf)
    offer = deal.offers[0]
    for expected in (
        "专利实施许可合同",
        "独占实施许可",
        seller[0].identity_number,
        buyer[0].identity_number,
        seller[0].name_zh,
        buyer[0].name_zh,
        right.display_number,
        "一种动力电池热管理系统",
        "吉林省",
        "新能源汽车",
        offer.starts_on.isoformat(),
        offer.ends_on.isoformat(),
        "分期支付",
        "400,000.00",
        "150,000.00",
        "250,000.00",
        "80.00%",
        deal.number,
    ):
        assert expected in text, expected
    entry = audit.history("contracts", contract.id)[0]
    assert entry.action == "contract.generated" and entry.after["sha256"] == contract.sha256


def test_assignment_contract_and_royalty_terms(seller, buyer):
    deal = agreed(seller, buyer, DealType.ASSIGNMENT)
    assert deal.contract.template == "assignment"
    assert "专利权转让合同" in pdf_text(deal.contract.pdf)
    licence = open_deal(
        seller,
        party(),
        DealType.SOLE,
        price=5_000_000,
        payment_structure=PaymentStructure.UPFRONT_AND_ROYALTY,
        royalty_rate_bp=350,
        reporting_period=ReportingPeriod.HALF_YEAR,
    )
    services.accept_offer(licence.offers[0], actor=seller[1])
    text = pdf_text(licence.contract.pdf)
    assert "排他实施许可" in text and "3.50%" in text and "每半年" in text


def test_individual_party_is_identified_by_resident_id(seller):
    person = party(OrgKind.INDIVIDUAL_INVENTOR)
    deal = agreed(seller, person)
    text = pdf_text(deal.contract.pdf)
    assert "居民身份证号码" in text and person[0].identity_number in text


def test_broker_and_commission_in_the_contract(seller, buyer):
    listing = published_listing(seller)
    broker = party(OrgKind.BROKER, name_zh="长春技术经纪公司")
    listings.grant_mandate(actor=seller[1], broker=broker[0], commission_rate=500, listing=listing)
    deal = open_deal(seller, buyer, listing=listing)
    services.accept_offer(deal.offers[0], actor=seller[1])
    text = pdf_text(deal.contract.pdf)
    assert "长春技术经纪公司" in text and "5.00%" in text


# --- signatures --------------------------------------------------------------------------------


def _audit_count() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_wrong_password_writes_nothing(seller, buyer):
    deal = agreed(seller, buyer)
    before = _audit_count()
    with pytest.raises(ValidationFailed) as exc:
        services.sign_contract(
            deal.contract, actor=buyer[1], password="wrong-password-1", ip_address="10.0.0.1"
        )
    assert "password" in exc.value.fields
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 0
    assert _audit_count() == before and deal.status is DealStatus.AGREED


def test_both_signatures_make_the_deal_signed(seller, buyer):
    deal = agreed(seller, buyer)
    contract = deal.contract
    first = services.sign_contract(
        contract, actor=buyer[1], password=PASSWORD, ip_address="10.0.0.1"
    )
    assert first.sha256 == hashlib.sha256(contract.pdf).hexdigest() == contract.sha256
    assert first.ip_address == "10.0.0.1" and first.user_id == buyer[1].id and first.signed_at
    assert deal.status is DealStatus.AGREED
    with pytest.raises(Conflict):
        services.sign_contract(
            contract, actor=make_user(buyer[0]), password=PASSWORD, ip_address=None
        )
    services.sign_contract(contract, actor=seller[1], password=PASSWORD, ip_address="10.0.0.2")
    assert deal.status is DealStatus.SIGNED
    signed = [e for e in audit.history("contracts", contract.id) if e.action == "contract.signed"]
    assert [e.after["sha256"] for e in signed] == [contract.sha256] * 2
    assert audit.history("deals", deal.id)[-1].action == "deal.signed"


def test_an_outsider_or_broker_cannot_sign(seller, buyer):
    deal = agreed(seller, buyer)
    with pytest.raises(PermissionDenied):
        services.sign_contract(deal.contract, actor=party()[1], password=PASSWORD, ip_address=None)


def test_a_tampered_contract_cannot_be_signed(seller, buyer):
    deal = agreed(seller, buyer)
    deal.contract.pdf = deal.contract.pdf + b"%"
    with pytest.raises(ContractTampered):
        services.sign_contract(deal.contract, actor=buyer[1], password=PASSWORD, ip_address=None)


def test_signing_needs_agreed_terms(seller, buyer):
    deal = agreed(seller, buyer)
    services.cancel_deal(deal, actor=seller[1], reason="撤回")
    with pytest.raises(IllegalTransition):
        services.sign_contract(deal.contract, actor=buyer[1], password=PASSWORD, ip_address=None)


# --- visibility, messages, documents -----------------------------------------------------------


def test_only_parties_broker_and_operator_see_a_deal(seller, buyer):
    listing = published_listing(seller)
    broker = party(OrgKind.BROKER)
    listings.grant_mandate(actor=seller[1], broker=broker[0], commission_rate=500, listing=listing)
    deal = open_deal(seller, buyer, listing=listing)
    services.accept_offer(deal.offers[0], actor=seller[1])
    for user in (seller[1], buyer[1], broker[1], make_operator()):
        assert policy.is_visible(user, deal) and policy.is_visible(user, deal.contract)
    outsider = party()[1]
    assert not policy.is_visible(outsider, deal)
    assert not policy.is_visible(outsider, deal.contract)
    assert policy.can(seller[1], "sign", deal) and not policy.can(broker[1], "sign", deal)
    assert policy.can(broker[1], "message", deal)
    assert not policy.can(make_operator(), "accept", deal)


def test_messages_are_audited_and_notify_the_other_parties(seller, buyer):
    deal = open_deal(seller, buyer)
    with pytest.raises(ValidationFailed):
        services.post_message(deal, actor=buyer[1], body="   ")
    with pytest.raises(PermissionDenied):
        services.post_message(deal, actor=party()[1], body="你好")
    message = services.post_message(deal, actor=buyer[1], body="请提供检测报告")
    assert deal.messages == [message]
    assert any("message" in n.title or deal.number in n.title for n in notes_of(seller[0]))
    assert audit.history("deals", deal.id)[-1].action == "deal.message"


def test_documents_are_checked_hashed_and_stored(seller, buyer):
    deal = open_deal(seller, buyer)
    document = services.add_document(
        deal, evidence.Upload(filename="检测报告.pdf", stream=io.BytesIO(PDF)), actor=seller[1]
    )
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert services.document_path(document).read_bytes() == PDF
    assert document.original_name == "检测报告.pdf" and document.content_type == "application/pdf"
    assert audit.history("deals", deal.id)[-1].after["sha256"] == document.sha256
    with pytest.raises(DocumentRejected) as exc:
        services.add_document(
            deal, evidence.Upload(filename="x.pdf", stream=io.BytesIO(b"MZ...")), actor=buyer[1]
        )
    assert "document" in exc.value.fields


def test_deals_for_lists_only_my_deals(seller, buyer):
    deal = open_deal(seller, buyer)
    assert services.deals_for(buyer[1]) == [deal]
    assert services.deals_for(party()[1]) == []
    assert deal in services.deals_for(make_operator())


# --- the race ----------------------------------------------------------------------------------


@pytest.mark.skipif(not is_postgres(), reason="exclusivity races are proven on PostgreSQL")
def test_three_buyers_agreeing_on_one_exclusive_listing_at_once(app, committing_db):
    from marketplace.accounts.models import User
    from marketplace.deals.models import Contract, Offer

    seller = party()
    listing = published_listing(seller, DealType.ASSIGNMENT)
    offers = []
    for n in range(3):
        buyer = party(name_zh=f"买方{n}")
        deal = services.open_deal(
            listing, buyer[0], actor=buyer[1], offer=terms(DealType.ASSIGNMENT)
        )
        # The seller answers each buyer; the buyers then accept at the same moment.
        counter = services.counter(
            deal, terms(DealType.ASSIGNMENT, price=45_000_000), actor=seller[1]
        )
        offers.append((counter.id, buyer[1].id))
    listing_id = listing.id
    committing_db.session.commit()
    committing_db.session.remove()

    def job(offer_id, user_id):
        return {
            "name": "agreed",
            "prepare": lambda: (_db.session.get(Offer, offer_id), _db.session.get(User, user_id)),
            "act": lambda offer, user: services.accept_offer(offer, actor=user),
        }

    outcomes = race(app, [job(*pair) for pair in offers], refused=lambda e: f"refused:{e.code}")
    assert outcomes.count("agreed") == 1, outcomes
    assert all(o.startswith("refused:deal_refused") for o in outcomes if o != "agreed")
    with app.app_context():
        deals = _db.session.scalars(sa.select(Deal).order_by(Deal.id)).all()
        holders = [d for d in deals if d.holds_listing]
        assert len(holders) == 1 and holders[0].status is DealStatus.AGREED
        losers = [d for d in deals if d is not holders[0]]
        assert all(d.status is DealStatus.CANCELLED and d.cancelled_reason for d in losers)
        assert all(d.price is None and not d.contracts for d in losers)
        assert [c.deal_id for c in _db.session.scalars(sa.select(Contract))] == [holders[0].id]
        accepted = _db.session.scalars(
            sa.select(Offer).where(Offer.status == OfferStatus.ACCEPTED)
        ).all()
        assert [o.deal_id for o in accepted] == [holders[0].id]
        from marketplace.listings.models import Listing

        assert _db.session.get(Listing, listing_id).status is ListingStatus.UNDER_NEGOTIATION
        assert audit.verify_chain().ok
