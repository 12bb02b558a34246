"""Registering rights: every field checked, numbers canonical, status computed, audit kept."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.accounts.models import OrgKind
from marketplace.core.audit import history
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.extensions import db as _db
from marketplace.rights import services
from marketplace.rights.errors import RightDisputed, RightNotVerified
from marketplace.rights.kinds import KIND_RULES, Effect, RightKind
from marketplace.rights.models import Right, RightStatus
from tests.factories import make_org, make_right, make_user, patent_number


@pytest.fixture
def holder(db):
    org = make_org(OrgKind.ENTERPRISE)
    return org, make_user(org)


def data(**kw) -> services.RightData:
    values = {
        "kind": RightKind.INVENTION,
        "number": "ZL 2019 1 0349801.1",
        "title_zh": "一种玉米育种方法",
        "filing_date": date(2019, 5, 10),
        "grant_date": date(2021, 6, 1),
        **kw,
    }
    return services.RightData(**values)


def test_register_canonicalises_number_and_codes(holder):
    org, user = holder
    right, created = services.register_right(
        org, data(ipc_codes=("a01h1/02", "C12N 15/82")), actor=user
    )
    assert created
    assert right.number == "201910349801.1"
    assert right.display_number == "ZL201910349801.1"
    assert right.ipc_codes == ["A01H 1/02", "C12N 15/82"]
    assert right.status is RightStatus.IN_FORCE
    assert right.owner_row(org).verified_at is None  # registered, not yet confirmed
    assert history("rights", right.id)[0].action == "right.registered"


def test_every_problem_is_reported_and_nothing_saved(holder):
    org, user = holder
    bad = data(
        number="201910349801.3",
        title_zh=" ",
        ipc_codes=("not-ipc",),
        nice_classes=(46,),
        grant_date=date(2018, 1, 1),
        claim_count=-1,
    )
    with force_locale("en"), pytest.raises(ValidationFailed) as caught:
        services.register_right(org, bad, actor=user)
    fields = caught.value.fields
    assert {"number", "title_zh", "ipc_codes", "nice_classes", "grant_date", "claim_count"} <= set(
        fields
    )
    assert "check digit should be 1, not 3" in fields["number"][0]
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Right)) == 0


def test_declared_kind_must_agree_with_the_number(holder):
    org, user = holder
    with pytest.raises(ValidationFailed) as caught:
        services.register_right(org, data(kind=RightKind.UTILITY_MODEL), actor=user)
    assert "number" in caught.value.fields


def test_trademark_needs_nice_classes_within_1_to_45(holder):
    org, user = holder
    tm = {
        "kind": RightKind.TRADEMARK,
        "number": "12345678",
        "filing_date": None,
        "grant_date": None,
        "registration_date": date(2018, 4, 7),
    }
    with pytest.raises(ValidationFailed) as caught:
        services.register_right(org, data(**tm), actor=user)
    assert "nice_classes" in caught.value.fields
    right, _ = services.register_right(org, data(**tm, nice_classes=(9, 42)), actor=user)
    assert right.nice_classes == [9, 42]
    assert right.status is RightStatus.IN_FORCE


def test_paid_through_must_end_a_fee_year(holder):
    org, user = holder
    with pytest.raises(ValidationFailed) as caught:
        services.register_right(org, data(paid_through=date(2024, 1, 1)), actor=user)
    assert "paid_through" in caught.value.fields


def test_status_from_the_fee_clock(holder):
    org, user = holder
    filing = today() - timedelta(days=365 * 3 + 40)
    # Fees paid only through the first fee year: more than 6 months overdue -> lapsed.
    number = patent_number(year=filing.year)
    right, _ = services.register_right(
        org,
        data(
            number=number,
            filing_date=filing,
            grant_date=filing + timedelta(days=400),
            paid_through=filing.replace(year=filing.year + 1) - timedelta(days=1),
        ),
        actor=user,
    )
    assert right.status is RightStatus.LAPSED


def test_pending_until_granted_and_expired_after_term(holder):
    org, user = holder
    pending, _ = services.register_right(org, data(grant_date=None), actor=user)
    assert pending.status is RightStatus.PENDING
    old, _ = services.register_right(
        org,
        data(
            kind=RightKind.INVENTION,
            number="99113861.9",
            filing_date=date(1999, 9, 1),
            grant_date=date(2003, 1, 1),
        ),
        actor=user,
    )
    assert old.status is RightStatus.EXPIRED


def test_reregistering_updates_without_duplicates(holder):
    org, user = holder
    right, created = services.register_right(org, data(), actor=user)
    again, created_again = services.register_right(
        org, data(title_en="A breeding method"), actor=user
    )
    assert created and not created_again and again.id == right.id
    assert right.title_en == "A breeding method"
    assert [e.action for e in history("rights", right.id)] == ["right.registered", "right.updated"]
    assert history("rights", right.id)[-1].after == {"title_en": "A breeding method"}


def test_another_organisations_right_cannot_be_registered_again(holder):
    org, user = holder
    services.register_right(org, data(), actor=user)
    other = make_org(OrgKind.UNIVERSITY)
    with pytest.raises(Conflict):
        services.register_right(other, data(), actor=make_user(other))


def test_only_rights_holders_keep_portfolios(db):
    bank = make_org(OrgKind.BANK)
    with pytest.raises(Conflict):
        services.register_right(bank, data(), actor=make_user(bank))


def test_geographical_indications_are_registry_only():
    rule = KIND_RULES[RightKind.GEOGRAPHICAL_INDICATION]
    assert not rule.listable and not rule.pledgeable
    assert all(
        KIND_RULES[k].pledgeable for k in RightKind if k is not RightKind.GEOGRAPHICAL_INDICATION
    )
    assert KIND_RULES[RightKind.TRADEMARK].assignment is Effect.PUBLICATION
    assert KIND_RULES[RightKind.SOFTWARE_COPYRIGHT].assignment is Effect.CONTRACT
    assert KIND_RULES[RightKind.INVENTION].pledge is Effect.REGISTRATION


def test_require_verified_gates_unverified_and_disputed_rights(db):
    org = make_org()
    right = make_right(org, verified=False)
    with pytest.raises(RightNotVerified):
        services.require_verified(right, org)
    verified = make_right(org)
    services.require_verified(verified, org)
    assert not services.is_verified_for(verified, make_org())


def test_change_status_writes_event_audit_and_tells_owners(db):
    from marketplace.notifications.models import Notification

    org = make_org()
    owner = make_user(org)
    right = make_right(org)
    assert services.change_status(
        right, RightStatus.SUSPENDED, on=date(2025, 1, 2), source="import:x.csv"
    )
    assert not services.change_status(
        right, RightStatus.SUSPENDED, on=date(2025, 1, 2), source="import:x.csv"
    )
    assert right.events[-1].detail == {"from": "in_force", "to": "suspended"}
    assert history("rights", right.id)[-1].action == "right.status_changed"
    notes = _db.session.scalars(sa.select(Notification).where(Notification.user_id == owner.id))
    assert len(list(notes)) == 1


def test_disputed_right_is_blocked(db):
    from marketplace.rights.models import Dispute, OwnershipClaim

    org = make_org()
    right = make_right(org)
    claimant = make_org()
    claim = OwnershipClaim(
        right=right, organisation_id=claimant.id, submitted_by_id=make_user(claimant).id
    )
    _db.session.add(claim)
    _db.session.flush()
    _db.session.add(Dispute(right=right, claim=claim, holder_org_id=org.id))
    _db.session.flush()
    with pytest.raises(RightDisputed):
        services.require_verified(right, org)
