"""Listing rules: every refusal, licence conflicts, lifecycle, NDA, consents, open licences."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import OrgKind
from marketplace.core.audit import history
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, IllegalTransition, ValidationFailed
from marketplace.extensions import db as _db
from marketplace.listings import services
from marketplace.listings.errors import ListingRefused
from marketplace.listings.models import (
    LISTING_TRANSITIONS,
    DealType,
    Listing,
    ListingStatus,
)
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import Licence, LicenceType, RightOwner, RightStatus
from tests.conftest import is_postgres
from tests.factories import make_org, make_right, make_user


@pytest.fixture
def seller(db):
    org = make_org(OrgKind.ENTERPRISE, name_zh="卖方公司")
    return org, make_user(org)


def data(right, deal_type=DealType.ASSIGNMENT, **kw) -> services.ListingData:
    values = {
        "title": "动力电池热管理专利转让",
        "teaser": "成熟技术，已量产验证",
        "deal_type": deal_type,
        "right_ids": [right.id],
        "asking_price": 50_000_000,
    }
    if deal_type.is_licence:
        values["licence_starts_on"] = today()
        values["licence_ends_on"] = today() + timedelta(days=365 * 3)
    if deal_type is DealType.OPEN_LICENCE:
        values.update(royalty_rate=300, open_terms="按年销售额3%支付许可费", asking_price=None)
    return services.ListingData(**{**values, **kw})


def publish(seller, right, deal_type=DealType.ASSIGNMENT, **kw) -> Listing:
    org, user = seller
    listing = services.create_listing(org, data(right, deal_type, **kw), actor=user)
    return services.publish_listing(listing, actor=user)


def reasons_of(seller, right, deal_type=DealType.ASSIGNMENT, **kw) -> list[str]:
    org, user = seller
    listing = services.create_listing(org, data(right, deal_type, **kw), actor=user)
    with pytest.raises(ListingRefused) as caught:
        services.publish_listing(listing, actor=user)
    assert listing.status is ListingStatus.DRAFT
    return caught.value.fields["rights"]


# --- refusals -------------------------------------------------------------------------------


def test_a_verified_right_in_force_is_listed(seller):
    listing = publish(seller, make_right(seller[0]))
    assert listing.status is ListingStatus.PUBLISHED and listing.published_at
    assert [e.action for e in history("listings", listing.id)] == [
        "listing.created",
        "listing.published",
    ]


def test_unverified_right_is_refused(seller):
    assert reasons_of(seller, make_right(seller[0], verified=False))


@pytest.mark.parametrize(
    "status",
    [
        RightStatus.LAPSED,
        RightStatus.EXPIRED,
        RightStatus.INVALIDATED,
        RightStatus.SUSPENDED,
        RightStatus.UNDER_INVALIDATION,
        RightStatus.PENDING,
    ],
)
def test_right_not_in_force_is_refused(seller, status):
    right = make_right(
        seller[0],
        status=status,
        grant_date=None if status is RightStatus.PENDING else date(2021, 3, 2),
    )
    assert reasons_of(seller, right)


def test_right_in_fee_grace_period_is_refused(seller):
    filing = today() - timedelta(days=365 * 4 + 60)
    from marketplace.rights import terms

    paid_through = terms.paid_through_for(filing, terms.fee_year_on(filing, today()) - 1)
    right = make_right(
        seller[0],
        filing_date=filing,
        grant_date=filing + timedelta(days=500),
        paid_through=paid_through,
        status=RightStatus.GRACE_PERIOD,
    )
    reasons = reasons_of(seller, right)
    assert any("grace" in r or "滞纳" in r for r in reasons)


def test_geographical_indication_is_refused(seller):
    right = make_right(
        seller[0],
        kind=RightKind.GEOGRAPHICAL_INDICATION,
        number="GI-2018-0042",
        filing_date=None,
        grant_date=None,
        title_zh="长白山人参",
    )
    assert reasons_of(seller, right)


def test_assignment_of_co_owned_right_needs_consent(seller):
    org, user = seller
    right = make_right(org, share=6000)
    partner = make_org(OrgKind.UNIVERSITY, name_zh="合作高校")
    partner_user = make_user(partner)
    right.owners.append(RightOwner(organisation_id=partner.id, share=4000))
    _db.session.flush()
    listing = services.create_listing(org, data(right), actor=user)
    with pytest.raises(ListingRefused) as caught:
        services.publish_listing(listing, actor=user)
    assert "合作高校" in caught.value.fields["rights"][0]
    services.consent_as_co_owner(listing, right, actor=partner_user)
    services.publish_listing(listing, actor=user)
    assert listing.status is ListingStatus.PUBLISHED


def test_only_own_rights_can_be_listed(seller):
    with pytest.raises(ValidationFailed):
        services.create_listing(seller[0], data(make_right(make_org())), actor=seller[1])


def test_every_field_problem_at_once(seller):
    with pytest.raises(ValidationFailed) as caught:
        services.create_listing(
            seller[0],
            data(
                make_right(seller[0]),
                DealType.EXCLUSIVE,
                title=" ",
                teaser="",
                asking_price=0,
                licence_starts_on=None,
            ),
            actor=seller[1],
        )
    assert {"title", "teaser", "asking_price", "licence_starts_on"} <= set(caught.value.fields)


# --- licence conflicts ----------------------------------------------------------------------

CONFLICTS = [
    # existing licence type, new deal type, same territory/field/time -> conflict?
    (LicenceType.EXCLUSIVE, DealType.EXCLUSIVE, True),
    (LicenceType.EXCLUSIVE, DealType.NON_EXCLUSIVE, True),
    (LicenceType.EXCLUSIVE, DealType.OPEN_LICENCE, True),
    (LicenceType.SOLE, DealType.SOLE, True),
    (LicenceType.SOLE, DealType.NON_EXCLUSIVE, True),
    (LicenceType.NON_EXCLUSIVE, DealType.EXCLUSIVE, True),
    (LicenceType.NON_EXCLUSIVE, DealType.SOLE, True),
    (LicenceType.NON_EXCLUSIVE, DealType.NON_EXCLUSIVE, False),
    (LicenceType.NON_EXCLUSIVE, DealType.OPEN_LICENCE, False),
    (LicenceType.OPEN, DealType.NON_EXCLUSIVE, False),
    (LicenceType.OPEN, DealType.EXCLUSIVE, True),
]


@pytest.mark.parametrize(("existing", "new", "conflicts"), CONFLICTS)
def test_licence_conflict_matrix(seller, existing, new, conflicts):
    org, user = seller
    right = make_right(org)
    services.record_licence(
        right,
        actor=user,
        licensee_name="某被许可人",
        licence_type=existing,
        starts_on=today() - timedelta(days=10),
        ends_on=today() + timedelta(days=800),
    )
    listing = services.create_listing(org, data(right, new), actor=user)
    if conflicts:
        with pytest.raises(ListingRefused):
            services.publish_listing(listing, actor=user)
    else:
        services.publish_listing(listing, actor=user)


@pytest.mark.parametrize(
    ("territory", "field", "starts", "conflicts"),
    [
        ("吉林省", "all", 0, True),  # existing covers all territories
        ("all", "新能源汽车", 0, True),
        ("all", "all", 2000, False),  # starts after the existing licence ends
    ],
)
def test_exclusive_conflicts_only_when_territory_field_and_time_overlap(
    seller, territory, field, starts, conflicts
):
    org, user = seller
    right = make_right(org)
    services.record_licence(
        right,
        actor=user,
        licensee_name="甲",
        licence_type=LicenceType.EXCLUSIVE,
        starts_on=today(),
        ends_on=today() + timedelta(days=1000),
    )
    listing = services.create_listing(
        org,
        data(
            right,
            DealType.NON_EXCLUSIVE,
            territory=territory,
            field_of_use=field,
            licence_starts_on=today() + timedelta(days=starts),
            licence_ends_on=today() + timedelta(days=starts + 300),
        ),
        actor=user,
    )
    if conflicts:
        with pytest.raises(ListingRefused):
            services.publish_listing(listing, actor=user)
    else:
        services.publish_listing(listing, actor=user)


def test_disjoint_territories_do_not_conflict(seller):
    org, user = seller
    right = make_right(org)
    services.record_licence(
        right,
        actor=user,
        licensee_name="甲",
        licence_type=LicenceType.EXCLUSIVE,
        starts_on=today(),
        territory="吉林省",
    )
    publish(seller, right, DealType.EXCLUSIVE, territory="辽宁省")


def test_licence_cannot_outlive_the_right(seller):
    right = make_right(seller[0], filing_date=date(2010, 1, 5), grant_date=date(2012, 1, 1))
    reasons = reasons_of(seller, right, DealType.NON_EXCLUSIVE, licence_ends_on=date(2031, 1, 1))
    assert any("2030-01-04" in r for r in reasons)


# --- lifecycle ------------------------------------------------------------------------------

STEPS = [(a, b) for a in ListingStatus for b in ListingStatus if a is not b]


@pytest.mark.parametrize(("old", "new"), STEPS)
def test_listing_transition_table(seller, old, new):
    org, user = seller
    listing = services.create_listing(org, data(make_right(org)), actor=user)
    listing.status = old
    if (old, new) in LISTING_TRANSITIONS:
        services.move_listing(listing, new, actor=user)
        assert listing.status is new
    else:
        with pytest.raises(IllegalTransition):
            services.move_listing(listing, new, actor=user)


def test_expiry_job(seller):
    listing = publish(seller, make_right(seller[0]), expires_on=today() + timedelta(days=1))
    assert services.expire_listings(on=today() + timedelta(days=2)) == 1
    assert listing.status is ListingStatus.EXPIRED


def test_closing_an_exclusive_licence_blocks_the_next_one(seller):
    org, user = seller
    right = make_right(org)
    buyer = make_org(OrgKind.ENTERPRISE)
    first = publish(seller, right, DealType.EXCLUSIVE)
    second = publish(seller, right, DealType.EXCLUSIVE, title="第二份独占许可")
    services.close_listing(first, actor=user, buyer=buyer, price=30_000_000)
    assert first.status is ListingStatus.CLOSED
    licence = _db.session.scalars(sa.select(Licence)).one()
    assert licence.licensee_org_id == buyer.id and licence.licence_type is LicenceType.EXCLUSIVE
    with pytest.raises(ListingRefused):
        services.close_listing(second, actor=user, buyer=make_org(), price=20_000_000)


def test_closing_needs_a_price_or_royalty(seller):
    listing = publish(seller, make_right(seller[0]))
    with pytest.raises(ValidationFailed):
        services.close_listing(listing, actor=seller[1], buyer=make_org(), price=None)


def test_open_licence_is_accepted_in_one_step(seller):
    listing = publish(seller, make_right(seller[0]), DealType.OPEN_LICENCE)
    licensee = make_org(OrgKind.ENTERPRISE)
    licence = services.accept_open_licence(listing, licensee, actor=make_user(licensee))
    assert licence.licence_type is LicenceType.OPEN
    assert listing.status is ListingStatus.PUBLISHED  # others may take it too
    with pytest.raises(Conflict):
        services.accept_open_licence(listing, licensee, actor=make_user(licensee))
    other = make_org(OrgKind.ENTERPRISE)
    services.accept_open_licence(listing, other, actor=make_user(other))


def test_open_licence_needs_published_terms(seller):
    with pytest.raises(ValidationFailed) as caught:
        services.create_listing(
            seller[0],
            data(make_right(seller[0]), DealType.OPEN_LICENCE, open_terms="", royalty_rate=None),
            actor=seller[1],
        )
    assert {"open_terms", "asking_price"} <= set(caught.value.fields)


# --- NDA ------------------------------------------------------------------------------------


def test_nda_is_recorded_once_per_organisation(seller):
    listing = publish(seller, make_right(seller[0]))
    visitor_org = make_org(OrgKind.ENTERPRISE)
    visitor = make_user(visitor_org)
    assert not services.has_nda(listing, visitor_org)
    first = services.accept_nda(listing, actor=visitor, ip_address="127.0.0.1")
    again = services.accept_nda(listing, actor=visitor, ip_address="127.0.0.1")
    assert first.id == again.id and services.has_nda(listing, visitor_org)
    assert services.has_nda(listing, seller[0])


# --- exclusivity under real concurrency -----------------------------------------------------


@pytest.mark.skipif(not is_postgres(), reason="exclusivity races are proven on PostgreSQL")
def test_two_concurrent_exclusive_grants_cannot_both_succeed(app, committing_db):
    """Two sellers' staff close two exclusive listings of one right at the same moment, on two
    connections: the row lock makes the second see the first licence and refuse."""
    org = make_org(OrgKind.ENTERPRISE)
    user = make_user(org)
    right = make_right(org)
    listings = [publish((org, user), right, DealType.EXCLUSIVE, title=f"独占{i}") for i in (1, 2)]
    buyers = [make_org(OrgKind.ENTERPRISE) for _ in (1, 2)]
    ids = [(lst.id, b.id) for lst, b in zip(listings, buyers, strict=True)]
    user_id = user.id
    committing_db.session.commit()
    committing_db.session.remove()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close(listing_id: int, buyer_id: int) -> None:
        from marketplace.accounts.models import Organisation, User

        with app.app_context():
            listing = _db.session.get(Listing, listing_id)
            actor = _db.session.get(User, user_id)
            buyer = _db.session.get(Organisation, buyer_id)
            barrier.wait()
            try:
                services.close_listing(listing, actor=actor, buyer=buyer, price=10_000_000)
                _db.session.commit()
                outcomes.append("closed")
            except ListingRefused:
                _db.session.rollback()
                outcomes.append("refused")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=close, args=pair) for pair in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["closed", "refused"]
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Licence)) == 1
