"""Market rules: listings and lots with their refusal rules and licence conflicts, the NDA gate,
co-owner consents, closing and open-licence acceptance, demand posts, broker mandates.

Every function flushes and never commits; the caller commits once. Every status change of a
listing is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, OrgCategory, OrgKind, User
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, IllegalTransition, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.listings.errors import ListingRefused
from marketplace.listings.models import (
    LISTING_TRANSITIONS,
    CoOwnerConsent,
    DealType,
    Demand,
    DemandStatus,
    DemandVisibility,
    Listing,
    ListingStatus,
    Mandate,
    MandateStatus,
    NdaAcceptance,
)
from marketplace.notifications.services import notify, user_locale
from marketplace.rights import services as rights_services
from marketplace.rights.errors import RightDisputed, RightNotVerified
from marketplace.rights.models import (
    EVERYWHERE,
    EXCLUSIVE_TYPES,
    Licence,
    LicenceType,
    Right,
    RightStatus,
)

NDA_VERSION = "2026-11"
#: The licence type a deal type grants.
LICENCE_OF: dict[DealType, LicenceType] = {
    DealType.EXCLUSIVE: LicenceType.EXCLUSIVE,
    DealType.SOLE: LicenceType.SOLE,
    DealType.NON_EXCLUSIVE: LicenceType.NON_EXCLUSIVE,
    DealType.OPEN_LICENCE: LicenceType.OPEN,
}

#: Further listing checks other modules add (pledges: a pledged right needs the pledgee's
#: consent). Each returns the reasons a right cannot be offered in ``listing``.
EXTRA_CHECKS: list[Callable[[Listing, Right], list[str]]] = []


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingData:
    title: str
    teaser: str
    deal_type: DealType
    right_ids: Sequence[int]
    details: str = ""
    asking_price: int | None = None
    royalty_rate: int | None = None
    territory: str = EVERYWHERE
    field_of_use: str = EVERYWHERE
    licence_starts_on: date | None = None
    licence_ends_on: date | None = None
    open_terms: str | None = None
    industry: str | None = None
    region: str = "长春新区"
    expires_on: date | None = None


_LISTING_FIELDS = [f.name for f in fields(ListingData) if f.name != "right_ids"]


def _validate_listing(org: Organisation, data: ListingData) -> list[Right]:
    problems: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    if not data.title.strip():
        problem("title", _("Enter a title."))
    if not data.teaser.strip():
        problem("teaser", _("Write a short public description."))
    rights = [db.session.get(Right, right_id) for right_id in dict.fromkeys(data.right_ids)]
    if not rights:
        problem("right_ids", _("Choose at least one right."))
    if any(r is None or r.owner_row(org) is None for r in rights):
        problem("right_ids", _("You can list only your own rights."))
    if data.asking_price is not None and data.asking_price <= 0:
        problem(
            "asking_price", _("The price must be more than zero, or left empty for negotiable.")
        )
    if data.royalty_rate is not None and not 0 <= data.royalty_rate <= 10_000:
        problem(
            "royalty_rate",
            _("A royalty rate lies between %(min)s and %(max)s.", min="0 %", max="100 %"),
        )
    if data.deal_type is DealType.ASSIGNMENT and data.royalty_rate is not None:
        problem("royalty_rate", _("An assignment has no running royalty."))
    if data.deal_type.is_licence:
        if data.licence_starts_on is None:
            problem("licence_starts_on", _("A licence needs its start date."))
        if (
            data.licence_starts_on
            and data.licence_ends_on
            and data.licence_ends_on < data.licence_starts_on
        ):
            problem("licence_ends_on", _("The licence cannot end before it starts."))
    if data.deal_type is DealType.OPEN_LICENCE:
        if data.asking_price is None and data.royalty_rate is None:
            problem("asking_price", _("An open licence publishes its fee or royalty."))
        if not (data.open_terms or "").strip():
            problem("open_terms", _("An open licence publishes its standard terms."))
    if data.expires_on is not None and data.expires_on <= today():
        problem("expires_on", _("The expiry date must be in the future."))
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    return [r for r in rights if r is not None]


def listing_state(listing: Listing) -> dict[str, Any]:
    state = {name: getattr(listing, name) for name in _LISTING_FIELDS}
    state.update(status=listing.status, rights=[r.id for r in listing.rights])
    return state


def create_listing(org: Organisation, data: ListingData, *, actor: User) -> Listing:
    """A draft listing of ``org``'s rights (one, or several as a lot).

    :raises ValidationFailed: every invalid field.
    :raises Conflict: ``org`` is not a rights holder.
    """
    if org.category is not OrgCategory.RIGHTS_HOLDER or not org.is_verified:
        raise Conflict(_("Only verified rights holders list rights."))
    rights = _validate_listing(org, data)
    listing = Listing(seller_org_id=org.id, created_by_id=actor.id, status=ListingStatus.DRAFT)
    _apply(listing, data, rights)
    db.session.add(listing)
    db.session.flush()
    audit.record(
        "listing.created", listing, actor=actor, organisation=org, after=listing_state(listing)
    )
    return listing


def update_listing(listing: Listing, data: ListingData, *, actor: User) -> Listing:
    """Change a draft; a published listing is re-checked against every refusal rule."""
    if listing.status not in (ListingStatus.DRAFT, ListingStatus.PUBLISHED):
        raise Conflict(_("Only a draft or a published listing can be edited."))
    rights = _validate_listing(listing.seller_org, data)
    before = listing_state(listing)
    _apply(listing, data, rights)
    if listing.status is ListingStatus.PUBLISHED:
        check_listable(listing)
    db.session.flush()
    audit.record(
        "listing.updated", listing, actor=actor, before=before, after=listing_state(listing)
    )
    _reindex(listing)
    return listing


def _apply(listing: Listing, data: ListingData, rights: list[Right]) -> None:
    for name in _LISTING_FIELDS:
        value = getattr(data, name)
        plain_text = isinstance(value, str) and not isinstance(value, DealType)
        setattr(listing, name, value.strip() if plain_text else value)
    listing.territory = listing.territory or EVERYWHERE
    listing.field_of_use = listing.field_of_use or EVERYWHERE
    listing.rights = rights


# --- the refusal rules ----------------------------------------------------------------------


def _overlap(a: str, b: str) -> bool:
    return EVERYWHERE in (a, b) or a == b


def _dates_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


def licence_conflicts(
    right: Right,
    licence_type: LicenceType,
    *,
    territory: str,
    field_of_use: str,
    starts_on: date,
    ends_on: date | None,
) -> list[Licence]:
    """Licences on ``right`` that a new licence of ``licence_type`` would clash with, for
    overlapping territory, field and time: a new exclusive or sole licence clashes with any
    licence; a new non-exclusive or open licence with an exclusive or sole one."""
    existing = db.session.scalars(sa.select(Licence).where(Licence.right_id == right.id)).all()
    clashes = []
    for licence in existing:
        if not (
            _overlap(territory, licence.territory)
            and _overlap(field_of_use, licence.field_of_use)
            and _dates_overlap(starts_on, ends_on, licence.starts_on, licence.ends_on)
        ):
            continue
        if licence_type in EXCLUSIVE_TYPES or licence.licence_type in EXCLUSIVE_TYPES:
            clashes.append(licence)
    return clashes


def refusal_reasons(listing: Listing) -> list[str]:
    """Every reason ``listing`` cannot be offered as it stands (empty when it can)."""
    from marketplace.rights.labels import RIGHT_STATUS_LABELS

    org = listing.seller_org
    reasons: list[str] = []
    on = today()
    for right in listing.rights:
        label = right.number
        if not right.kind.rule.listable:
            reasons.append(
                _("%(number)s is a geographical indication: it cannot be listed.", number=label)
            )
            continue
        try:
            rights_services.require_verified(right, org)
        except (RightNotVerified, RightDisputed) as exc:
            reasons.append(exc.message)
        status = rights_services.current_status(right, on=on)
        if status is RightStatus.GRACE_PERIOD:
            reasons.append(
                _("%(number)s is in its fee grace period: pay the annual fee first.", number=label)
            )
        elif status is not RightStatus.IN_FORCE:
            reasons.append(
                _(
                    "%(number)s is not in force (%(status)s).",
                    number=label,
                    status=RIGHT_STATUS_LABELS[status],
                )
            )
        if listing.deal_type is DealType.ASSIGNMENT or listing.deal_type in (
            DealType.EXCLUSIVE,
            DealType.SOLE,
        ):
            missing = _missing_consents(listing, right)
            if missing:
                reasons.append(
                    _(
                        "%(number)s is co-owned: %(owners)s must consent first.",
                        number=label,
                        owners="、".join(o.name_zh for o in missing),
                    )
                )
        if listing.deal_type.is_licence:
            starts = listing.licence_starts_on or on
            clashes = licence_conflicts(
                right,
                LICENCE_OF[listing.deal_type],
                territory=listing.territory,
                field_of_use=listing.field_of_use,
                starts_on=starts,
                ends_on=listing.licence_ends_on,
            )
            for clash in clashes:
                reasons.append(
                    _(
                        "%(number)s already has a %(type)s licence to %(licensee)s in an "
                        "overlapping territory, field and time.",
                        number=label,
                        type=licence_type_label(clash.licence_type),
                        licensee=clash.licensee_name,
                    )
                )
            expiry = rights_services.expiry_of(right)
            if listing.licence_ends_on and expiry and listing.licence_ends_on > expiry:
                reasons.append(
                    _(
                        "The licence term outlives %(number)s, which ends on %(date)s.",
                        number=label,
                        date=expiry.isoformat(),
                    )
                )
        for check in EXTRA_CHECKS:
            reasons.extend(check(listing, right))
    return reasons


def licence_type_label(licence_type: LicenceType) -> str:
    from marketplace.listings.labels import LICENCE_TYPE_LABELS

    return str(LICENCE_TYPE_LABELS[licence_type])


def _missing_consents(listing: Listing, right: Right) -> list[Organisation]:
    others = [o for o in right.owners if o.organisation_id != listing.seller_org_id]
    if not others:
        return []
    consented = set(
        db.session.scalars(
            sa.select(CoOwnerConsent.organisation_id).where(
                CoOwnerConsent.listing_id == listing.id, CoOwnerConsent.right_id == right.id
            )
        )
    )
    return [o.organisation for o in others if o.organisation_id not in consented]


def check_listable(listing: Listing) -> None:
    """:raises ListingRefused: with every reason, in ``fields["rights"]``."""
    reasons = refusal_reasons(listing)
    if reasons:
        raise ListingRefused(
            _("This listing cannot be offered as it stands."), fields={"rights": reasons}
        )


# --- lifecycle ------------------------------------------------------------------------------


def move_listing(listing: Listing, new: ListingStatus, *, actor: User | None, **after: Any) -> None:
    if (listing.status, new) not in LISTING_TRANSITIONS:
        from marketplace.listings.labels import LISTING_STATUS_LABELS

        raise IllegalTransition(
            _(
                "A listing cannot go from %(old)s to %(new)s.",
                old=LISTING_STATUS_LABELS[listing.status],
                new=LISTING_STATUS_LABELS[new],
            )
        )
    before = listing.status
    listing.status = new
    audit.record(
        f"listing.{new.value}",
        listing,
        actor=actor,
        organisation=listing.seller_org,
        before={"status": before},
        after={"status": new, **after},
    )
    _reindex(listing)


def publish_listing(listing: Listing, *, actor: User) -> Listing:
    """:raises ListingRefused: every refusal reason. :raises IllegalTransition: wrong state."""
    check_listable(listing)
    move_listing(listing, ListingStatus.PUBLISHED, actor=actor)
    listing.published_at = utcnow()
    return listing


def withdraw_listing(listing: Listing, *, actor: User) -> None:
    move_listing(listing, ListingStatus.WITHDRAWN, actor=actor)


def start_negotiation(listing: Listing, *, actor: User) -> None:
    move_listing(listing, ListingStatus.UNDER_NEGOTIATION, actor=actor)


def expire_listings(on: date | None = None) -> int:
    """Published listings past their expiry date become expired; returns how many."""
    on = on or today()
    due = db.session.scalars(
        sa.select(Listing).where(
            Listing.status == ListingStatus.PUBLISHED,
            Listing.expires_on.is_not(None),
            Listing.expires_on < on,
        )
    ).all()
    for listing in due:
        move_listing(listing, ListingStatus.EXPIRED, actor=None, on=on)
    return len(due)


def lock_rights(rights: Iterable[Right]) -> None:
    """Serialise decisions about exclusivity on these rights: on PostgreSQL the rows are locked
    until the transaction ends, so two concurrent grants cannot both pass the conflict check."""
    ids = sorted(r.id for r in rights)
    if ids and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Right.id).where(Right.id.in_(ids)).with_for_update())
    for right in rights:
        db.session.refresh(right)


@dataclass(frozen=True)
class LicenceTerms:
    """The agreed terms of a licence, when a deal set them (otherwise the listing's)."""

    territory: str
    field_of_use: str
    starts_on: date
    ends_on: date | None


def _grant_licences(
    listing: Listing,
    licensee: Organisation,
    licence_type: LicenceType,
    *,
    actor: User | None,
    terms: LicenceTerms | None = None,
) -> list[Licence]:
    terms = terms or LicenceTerms(
        listing.territory,
        listing.field_of_use,
        listing.licence_starts_on or today(),
        listing.licence_ends_on,
    )
    lock_rights(listing.rights)
    reasons = refusal_reasons(listing)
    if reasons:
        raise ListingRefused(
            _("The licence cannot be granted as it stands."), fields={"rights": reasons}
        )
    licences = []
    for right in listing.rights:
        licence = Licence(
            right_id=right.id,
            licensee_org_id=licensee.id,
            licensee_name=licensee.name_zh,
            licence_type=licence_type,
            territory=terms.territory,
            field_of_use=terms.field_of_use,
            starts_on=terms.starts_on,
            ends_on=terms.ends_on,
            listing_id=listing.id,
        )
        db.session.add(licence)
        licences.append(licence)
    db.session.flush()
    for licence in licences:
        audit.record(
            "licence.granted",
            licence,
            actor=actor,
            organisation=listing.seller_org,
            after={
                "right_id": licence.right_id,
                "licensee": licensee.id,
                "type": licence_type,
                "territory": licence.territory,
                "field": licence.field_of_use,
                "starts_on": licence.starts_on,
                "ends_on": licence.ends_on,
                "listing_id": listing.id,
            },
        )
    return licences


def grant_licence(
    listing: Listing,
    licensee: Organisation,
    *,
    actor: User | None,
    terms: LicenceTerms | None = None,
) -> list[Licence]:
    """A licence deal on ``listing`` took effect: its licence is recorded on each right
    (exclusivity re-checked under a lock); the listing itself stays as it is.

    :raises ListingRefused: a conflict appeared meanwhile.
    """
    return _grant_licences(
        listing, licensee, LICENCE_OF[listing.deal_type], actor=actor, terms=terms
    )


def close_listing(
    listing: Listing,
    *,
    actor: User,
    buyer: Organisation,
    price: int | None,
    royalty_rate: int | None = None,
) -> Listing:
    """The deal is done: the outcome is recorded for price statistics, and a licence deal
    grants its licence (exclusivity re-checked under a lock).

    :raises ValidationFailed: no price and no royalty. :raises ListingRefused: a conflict.
    """
    if (price is not None and price <= 0) or (price is None and royalty_rate is None):
        message = _("Give the agreed price or royalty.")
        raise ValidationFailed(message, fields={"price": [message]})
    if listing.deal_type is DealType.OPEN_LICENCE:
        raise Conflict(_("An open licence is accepted, not closed."))
    if listing.deal_type.is_licence:
        _grant_licences(listing, buyer, LICENCE_OF[listing.deal_type], actor=actor)
    else:
        # An assignment is re-checked under the same row locks a pledge filing takes, so a
        # right cannot be pledged and assigned at once.
        lock_rights(listing.rights)
        reasons = refusal_reasons(listing)
        if reasons:
            raise ListingRefused(
                _("The assignment cannot close as it stands."), fields={"rights": reasons}
            )
    listing.closed_price = price
    listing.closed_royalty_rate = royalty_rate
    listing.closed_at = utcnow()
    move_listing(
        listing,
        ListingStatus.CLOSED,
        actor=actor,
        price=price,
        royalty_rate=royalty_rate,
        buyer=buyer.id,
    )
    return listing


def accept_open_licence(listing: Listing, licensee: Organisation, *, actor: User) -> Licence:
    """Accept an open licence at its published terms, in one step.

    :raises Conflict: not an open licence, not published, or the seller itself.
    :raises ListingRefused: the right can no longer carry it (e.g. an exclusive licence now).
    """
    if listing.deal_type is not DealType.OPEN_LICENCE or listing.status is not (
        ListingStatus.PUBLISHED
    ):
        raise Conflict(_("This listing is not an open licence on offer."))
    if licensee.id == listing.seller_org_id or not licensee.is_verified:
        raise Conflict(_("Only another verified organisation can take the licence."))
    already = db.session.scalar(
        sa.select(Licence.id).where(
            Licence.listing_id == listing.id, Licence.licensee_org_id == licensee.id
        )
    )
    if already:
        raise Conflict(_("Your organisation already holds this open licence."))
    return _grant_licences(listing, licensee, LicenceType.OPEN, actor=actor)[0]


def record_licence(
    right: Right,
    *,
    actor: User,
    licensee_name: str,
    licence_type: LicenceType,
    starts_on: date,
    ends_on: date | None = None,
    territory: str = EVERYWHERE,
    field_of_use: str = EVERYWHERE,
) -> Licence:
    """The owner records an existing licence granted outside the platform (for the conflict
    rules and the banks' dossiers)."""
    if not licensee_name.strip():
        message = _("Enter the licensee.")
        raise ValidationFailed(message, fields={"licensee_name": [message]})
    lock_rights([right])
    clashes = licence_conflicts(
        right,
        licence_type,
        territory=territory,
        field_of_use=field_of_use,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    if clashes:
        raise ListingRefused(
            _("This licence overlaps an exclusive or sole licence."),
            fields={"rights": [c.licensee_name for c in clashes]},
        )
    licence = Licence(
        right_id=right.id,
        licensee_name=licensee_name.strip(),
        licence_type=licence_type,
        territory=territory or EVERYWHERE,
        field_of_use=field_of_use or EVERYWHERE,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(licence)
    db.session.flush()
    audit.record(
        "licence.recorded",
        licence,
        actor=actor,
        after={
            "right_id": right.id,
            "licensee": licence.licensee_name,
            "type": licence_type,
            "starts_on": starts_on,
            "ends_on": ends_on,
        },
    )
    return licence


def contact_seller(listing: Listing, *, actor: User, message: str) -> None:
    """Send a visitor's question to the seller's members (inbox and email), with the
    visitor's name and email so the seller can answer.

    :raises ValidationFailed: an empty message.
    """
    text = message.strip()[:2000]
    if not text:
        problem = _("Write a message.")
        raise ValidationFailed(problem, fields={"message": [problem]})
    org = actor.organisation
    for user in listing.seller_org.members:
        if user.is_active:
            with force_locale(user_locale(user)):
                notify(
                    user,
                    title=_(
                        "%(org)s asks about your listing %(title)s",
                        org=org.name_zh if org else actor.name,
                        title=listing.title,
                    ),
                    body=f"{text}\n\n{actor.name} <{actor.email}>",
                    link=f"/listings/{listing.id}",
                )
    audit.record(
        "listing.contacted", listing, actor=actor, after={"from_org": actor.organisation_id}
    )


# --- NDA and consents -----------------------------------------------------------------------


def has_nda(listing: Listing, org: Organisation | None) -> bool:
    if org is None:
        return False
    if org.id == listing.seller_org_id:
        return True
    return (
        db.session.scalar(
            sa.select(NdaAcceptance.id).where(
                NdaAcceptance.listing_id == listing.id, NdaAcceptance.organisation_id == org.id
            )
        )
        is not None
    )


def accept_nda(listing: Listing, *, actor: User, ip_address: str | None) -> NdaAcceptance:
    """Record that the actor's organisation accepts the listing's NDA (once; kept forever)."""
    org = actor.organisation
    if org is None or not org.is_verified:
        raise Conflict(_("Only members of a verified organisation can sign the NDA."))
    existing = db.session.scalar(
        sa.select(NdaAcceptance).where(
            NdaAcceptance.listing_id == listing.id, NdaAcceptance.organisation_id == org.id
        )
    )
    if existing is not None:
        return existing
    acceptance = NdaAcceptance(
        listing_id=listing.id,
        organisation_id=org.id,
        user_id=actor.id,
        nda_version=NDA_VERSION,
        ip_address=ip_address,
    )
    db.session.add(acceptance)
    db.session.flush()
    audit.record(
        "listing.nda_accepted",
        acceptance,
        actor=actor,
        organisation=org,
        after={"listing_id": listing.id, "nda_version": NDA_VERSION, "ip": ip_address},
    )
    return acceptance


def consent_as_co_owner(listing: Listing, right: Right, *, actor: User) -> CoOwnerConsent:
    org = actor.organisation
    owner = right.owner_row(org) if org else None
    if owner is None or right not in listing.rights or org.id == listing.seller_org_id:
        raise Conflict(_("Only a co-owner of a listed right can consent."))
    consent = CoOwnerConsent(
        listing_id=listing.id, right_id=right.id, organisation_id=org.id, user_id=actor.id
    )
    db.session.add(consent)
    db.session.flush()
    audit.record(
        "listing.co_owner_consented",
        consent,
        actor=actor,
        organisation=org,
        after={"listing_id": listing.id, "right_id": right.id},
    )
    return consent


# --- demand posts and mandates --------------------------------------------------------------


@dataclass(frozen=True)
class DemandData:
    title: str
    description: str
    budget_min: int | None = None
    budget_max: int | None = None
    industry: str | None = None
    ipc_codes: tuple[str, ...] = field(default=())
    region: str = "长春新区"
    deadline: date | None = None
    visibility: DemandVisibility = DemandVisibility.PUBLIC


def post_demand(org: Organisation, data: DemandData, *, actor: User) -> Demand:
    """:raises ValidationFailed: every invalid field."""
    if not org.is_verified or org.category not in (OrgCategory.RIGHTS_HOLDER,):
        raise Conflict(_("Only verified companies and institutes post technology needs."))
    problems: dict[str, list[str]] = {}
    if not data.title.strip():
        problems["title"] = [_("Enter a title.")]
    if not data.description.strip():
        problems["description"] = [_("Describe the technology you need.")]
    if data.budget_min is not None and data.budget_min <= 0:
        problems["budget_min"] = [_("The budget must be more than zero.")]
    if (
        data.budget_min is not None
        and data.budget_max is not None
        and data.budget_min > data.budget_max
    ):
        problems["budget_max"] = [_("The maximum cannot be below the minimum.")]
    if data.deadline is not None and data.deadline < today():
        problems["deadline"] = [_("The deadline cannot be in the past.")]
    ipc = []
    for code in data.ipc_codes:
        try:
            ipc.append(rights_services.normalise_ipc(code))
        except ValueError:
            problems.setdefault("ipc_codes", []).append(
                _("%(code)s is not an IPC code like H01M 10/052.", code=code)
            )
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    demand = Demand(
        org_id=org.id,
        created_by_id=actor.id,
        title=data.title.strip(),
        description=data.description.strip(),
        budget_min=data.budget_min,
        budget_max=data.budget_max,
        industry=data.industry,
        ipc_codes=ipc,
        region=data.region,
        deadline=data.deadline,
        visibility=data.visibility,
    )
    db.session.add(demand)
    db.session.flush()
    audit.record(
        "demand.posted",
        demand,
        actor=actor,
        organisation=org,
        after={"title": demand.title, "visibility": demand.visibility},
    )
    _reindex(demand)
    return demand


def close_demand(demand: Demand, status: DemandStatus, *, actor: User) -> None:
    if demand.status is not DemandStatus.OPEN or status is DemandStatus.OPEN:
        raise IllegalTransition(_("This demand post is no longer open."))
    demand.status = status
    audit.record(f"demand.{status.value}", demand, actor=actor, after={"status": status})
    _reindex(demand)


def grant_mandate(
    *,
    actor: User,
    broker: Organisation,
    commission_rate: int,
    listing: Listing | None = None,
    demand: Demand | None = None,
) -> Mandate:
    """The seller (or the demand's poster) mandates a technology broker at a commission rate
    in basis points (at most 30 %), shown to both sides.

    :raises ValidationFailed: not a verified broker, or a rate outside (0, 30 %].
    """
    problems: dict[str, list[str]] = {}
    if broker.kind is not OrgKind.BROKER or not broker.is_verified:
        problems["broker_org_id"] = [_("Choose a verified technology broker.")]
    if not 0 < commission_rate <= 3_000:
        problems["commission_rate"] = [
            _("The commission lies between %(min)s and %(max)s.", min="0.01 %", max="30 %")
        ]
    if (listing is None) == (demand is None):
        problems["subject"] = [_("A mandate is for one listing or one demand post.")]
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    principal = listing.seller_org_id if listing else demand.org_id  # type: ignore[union-attr]
    if actor.organisation_id != principal:
        raise Conflict(_("Only the principal can grant a mandate."))
    mandate = Mandate(
        broker_org_id=broker.id,
        listing_id=listing.id if listing else None,
        demand_id=demand.id if demand else None,
        commission_rate=commission_rate,
        granted_by_id=actor.id,
    )
    db.session.add(mandate)
    db.session.flush()
    audit.record(
        "mandate.granted",
        mandate,
        actor=actor,
        after={
            "broker": broker.id,
            "commission_rate": commission_rate,
            "listing_id": mandate.listing_id,
            "demand_id": mandate.demand_id,
        },
    )
    return mandate


def end_mandate(mandate: Mandate, *, actor: User) -> None:
    if mandate.status is MandateStatus.ENDED:
        return
    mandate.status = MandateStatus.ENDED
    audit.record("mandate.ended", mandate, actor=actor, after={"status": MandateStatus.ENDED})


def active_mandates(
    *, listing: Listing | None = None, demand: Demand | None = None
) -> list[Mandate]:
    query = sa.select(Mandate).where(Mandate.status == MandateStatus.ACTIVE)
    if listing is not None:
        query = query.where(Mandate.listing_id == listing.id)
    if demand is not None:
        query = query.where(Mandate.demand_id == demand.id)
    return list(db.session.scalars(query))


# --- search index hook ----------------------------------------------------------------------


def _reindex(obj: Listing | Demand) -> None:
    """Queue the object for the search index; written only after the transaction commits."""
    from marketplace.search.indexing import queue_index

    doc_type = "listing" if isinstance(obj, Listing) else "demand"
    queue_index(doc_type, obj.id)
