"""Rules of the rights registry: registering rights with validated numbers, computing legal
status, ownership claims with evidence, disputes.

Every function flushes and never commits; the caller commits once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, OrgCategory, OrgKind, OrgStatus, User
from marketplace.core import audit
from marketplace.core.clock import BEIJING, today
from marketplace.core.errors import Conflict, IllegalTransition, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.notifications.services import notify, user_locale
from marketplace.rights import numbers, terms
from marketplace.rights.errors import RightDisputed, RightNotVerified
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import (
    CLAIM_TRANSITIONS,
    FULL_SHARE,
    STICKY_STATUSES,
    ClaimStatus,
    Dispute,
    DisputeStatus,
    OwnershipClaim,
    Right,
    RightEvent,
    RightOwner,
    RightStatus,
)

#: Kinds that exist only once granted or registered (patents too).
GRANTED_KINDS = frozenset({RightKind.TRADEMARK, RightKind.PLANT_VARIETY})
IPC_RE = re.compile(r"^[A-H]\d{2}[A-Z] ?\d{1,4}/\d{1,6}$")
LOCARNO_RE = re.compile(r"^\d{2}-\d{2}$")
PLANT_VARIETY_RE = re.compile(r"^CNA\d{8,9}\.?[\dX]?$")
COPYRIGHT_RE = re.compile(r"^[\u4e00-\u9fa5A-Z]{2,8}-\d{4}-[A-Z]-\d{6,10}$")
GI_RE = re.compile(r"^[A-Z0-9-]{4,30}$")


# --- numbers and classification ------------------------------------------------------------


def canonical_number(kind: RightKind, text: str, *, filing_date: date | None = None) -> str:
    """The canonical number of a right of ``kind``.

    :raises numbers.InvalidIpNumber: with the exact reason (check digit, length, type digit...).
    """
    if kind.is_patent:
        parsed = numbers.parse_patent_number(text)
        numbers.check_number_agrees(parsed, kind=kind.value, filing_date=filing_date)
        return parsed.application_number
    if kind is RightKind.TRADEMARK:
        return numbers.parse_trademark_number(text).registration_number
    if kind is RightKind.SOFTWARE_COPYRIGHT:
        return numbers.parse_software_copyright_number(text).registration_number
    cleaned = re.sub(r"\s+", "", text).upper()
    pattern = {
        RightKind.PLANT_VARIETY: PLANT_VARIETY_RE,
        RightKind.COPYRIGHT: COPYRIGHT_RE,
        RightKind.GEOGRAPHICAL_INDICATION: GI_RE,
    }[kind]
    if not pattern.match(cleaned):
        raise numbers.InvalidIpNumber(text, "not a valid registration number for this kind")
    return cleaned


def normalise_ipc(code: str) -> str:
    """``h01m10/052`` → ``H01M 10/052``; raises ValueError when the shape is wrong."""
    compact = re.sub(r"\s+", "", code).upper()
    if not IPC_RE.match(compact):
        raise ValueError(code)
    return f"{compact[:4]} {compact[4:]}"


@dataclass(frozen=True)
class RightData:
    """Everything a person (or an import row) says about one right."""

    kind: RightKind
    number: str
    title_zh: str
    title_en: str | None = None
    filing_date: date | None = None
    grant_date: date | None = None
    registration_date: date | None = None
    publication_number: str | None = None
    abstract: str | None = None
    industry: str | None = None
    ipc_codes: tuple[str, ...] = ()
    locarno_class: str | None = None
    nice_classes: tuple[int, ...] = ()
    inventors: tuple[str, ...] = ()
    claim_count: int | None = None
    family_members: tuple[str, ...] = ()
    forward_citations: int = 0
    paid_through: date | None = None
    first_publication_date: date | None = None
    completion_date: date | None = None
    author_death_date: date | None = None
    author_is_natural_person: bool = False
    plant_category: str | None = None
    term_adjustment_days: int = 0
    term_extension_days: int = 0
    drug_approval_date: date | None = None
    renewal_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def validate_right_data(data: RightData) -> RightData:
    """Check every field and return the data with canonical number and codes.

    :raises ValidationFailed: listing every problem by field name.
    """
    problems: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    number = data.number
    try:
        number = canonical_number(data.kind, data.number, filing_date=data.filing_date)
    except numbers.InvalidIpNumber as exc:
        problem("number", str(exc))
    if not data.title_zh.strip():
        problem("title_zh", _("Enter the title."))
    ipc = []
    for code in data.ipc_codes:
        try:
            ipc.append(normalise_ipc(code))
        except ValueError:
            problem("ipc_codes", _("%(code)s is not an IPC code like H01M 10/052.", code=code))
    if data.nice_classes and data.kind is not RightKind.TRADEMARK:
        problem("nice_classes", _("Only trademarks have Nice classes."))
    for nice in data.nice_classes:
        if not 1 <= nice <= 45:
            problem("nice_classes", _("Nice classes run from 1 to 45, not %(n)d.", n=nice))
    if data.kind is RightKind.TRADEMARK and not data.nice_classes:
        problem("nice_classes", _("A trademark needs at least one Nice class."))
    if data.locarno_class and not LOCARNO_RE.match(data.locarno_class):
        problem("locarno_class", _("A Locarno class looks like 12-08."))
    if data.ipc_codes and data.kind not in (RightKind.INVENTION, RightKind.UTILITY_MODEL):
        problem("ipc_codes", _("Only inventions and utility models have IPC codes."))
    if data.kind.is_patent and data.filing_date is None:
        problem("filing_date", _("A patent needs its filing date."))
    if data.kind is RightKind.PLANT_VARIETY and data.grant_date is None:
        problem("grant_date", _("A plant variety right needs its grant date."))
    if data.filing_date and data.grant_date and data.grant_date < data.filing_date:
        problem("grant_date", _("The grant date cannot be before the filing date."))
    if data.filing_date and data.filing_date > today():
        problem("filing_date", _("The filing date cannot be in the future."))
    if data.claim_count is not None and data.claim_count < 0:
        problem("claim_count", _("The number of claims cannot be negative."))
    if data.forward_citations < 0:
        problem("forward_citations", _("Citations cannot be negative."))
    if data.paid_through is not None:
        if not data.kind.is_patent:
            problem("paid_through", _("Only patents have annual fees."))
        elif data.filing_date is not None:
            try:
                terms.fee_status(
                    data.kind.value,
                    filing_date=data.filing_date,
                    paid_through=data.paid_through,
                    on=today(),
                )
            except terms.InvalidTermFacts as exc:
                problem("paid_through", str(exc))
    if data.plant_category not in (None, "woody", "other"):
        problem("plant_category", _("The plant category is woody or other."))
    for name in _TEXT_LIMITS:
        value = getattr(data, name)
        limit = Right.__table__.c[name].type.length
        if value and len(value) > limit:
            problem(
                name, _("%(n)d characters is too long; at most %(max)d.", n=len(value), max=limit)
            )
    publication = data.publication_number
    if publication:
        publication = _publication_number(data, problem)
    if not problems:
        try:
            terms.expiry_date(_TermFacts(data))
        except terms.InvalidTermFacts as exc:
            problem("_schema", str(exc))
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    return replace(
        data,
        number=number,
        ipc_codes=tuple(ipc),
        title_zh=data.title_zh.strip(),
        publication_number=publication or None,
    )


_TEXT_LIMITS = ("title_zh", "title_en", "industry", "locarno_class", "publication_number")


def _publication_number(data: RightData, problem: Any) -> str:
    """The canonical publication number (``CN110013232B``), checked against the right's kind."""
    text = data.publication_number or ""
    if not data.kind.is_patent:
        problem("publication_number", _("Only patents have publication numbers."))
        return text
    try:
        parsed = numbers.parse_publication_number(text)
    except numbers.InvalidIpNumber as exc:
        problem("publication_number", str(exc))
        return text
    if parsed.kind != numbers.base_patent_kind(data.kind.value):
        problem(
            "publication_number",
            _("%(number)s is the publication number of another kind of patent.", number=text),
        )
    return parsed.publication_number


class _TermFacts:
    """Adapts :class:`RightData` to :class:`terms.RightDates` for validation."""

    def __init__(self, data: RightData) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._data, name)
        return value.value if name == "kind" else value


# --- legal status --------------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    """The Beijing calendar date of a stored UTC timestamp."""
    return moment.astimezone(BEIJING).date()


def expiry_of(right: Right) -> date | None:
    return terms.expiry_date(right)


def remaining(right: Right, *, on: date | None = None) -> terms.RemainingTerm | None:
    return terms.remaining_term(right, on=on or today())


def fee_standing(right: Right, *, on: date | None = None) -> terms.FeeStatus | None:
    """The annual-fee standing of a granted patent with a known paid-through date."""
    if not right.kind.is_patent or right.filing_date is None or right.paid_through is None:
        return None
    return terms.fee_status(
        right.kind.value,
        filing_date=right.filing_date,
        paid_through=right.paid_through,
        on=on or today(),
        term_ends=expiry_of(right),
    )


def computed_status(
    right: Right, *, on: date | None = None, ignore_hold: bool = False
) -> RightStatus:
    """The status the clock gives ``right`` on ``on``.

    Sticky statuses (invalidation, suspension) and a lapse hold until a legal-status update
    ends them; ``ignore_hold=True`` asks what the clock says once such a hold ends.
    """
    on = on or today()
    held = right.status in STICKY_STATUSES or right.status is RightStatus.LAPSED
    if held and not ignore_hold:
        return right.status
    granted = right.grant_date or right.registration_date
    needs_grant = right.kind.is_patent or right.kind in GRANTED_KINDS
    if needs_grant and granted is None:
        return RightStatus.PENDING
    end = expiry_of(right)
    if right.kind is RightKind.TRADEMARK and end is not None:
        return RightStatus(terms.trademark_renewal(end, on=on).status)
    standing = fee_standing(right, on=on)
    if standing is not None:
        return RightStatus(standing.status)
    if end is not None and on > end:
        return RightStatus.EXPIRED
    return RightStatus.IN_FORCE


def current_status(right: Right, *, on: date | None = None) -> RightStatus:
    """The status to act on today: the recorded one, except that a right recorded in force is
    re-checked against the clock (a fee may have fallen due since the daily job ran)."""
    if right.status is RightStatus.IN_FORCE:
        return computed_status(right, on=on)
    return right.status


def change_status(
    right: Right,
    new: RightStatus,
    *,
    on: date,
    source: str,
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Move ``right`` to ``new``: event, audit entry, and the owners are told. False when
    the status is already ``new``."""
    if right.status is new:
        return False
    old = right.status
    right.status = new
    right.status_since = on
    db.session.add(
        RightEvent(
            right=right,
            occurred_on=on,
            event="status_changed",
            source=source,
            detail={"from": old.value, "to": new.value, **(detail or {})},
        )
    )
    audit.record(
        "right.status_changed",
        right,
        actor=actor,
        organisation=None,
        before={"status": old},
        after={"status": new, "on": on, "source": source},
    )
    for user in owner_users(right):
        with force_locale(user_locale(user)):
            notify(
                user,
                title=_(
                    "%(title)s is now %(status)s",
                    title=right.title_zh,
                    status=status_label(new),
                ),
                link=f"/rights/{right.id}",
            )
    return True


def status_label(status: RightStatus) -> str:
    from marketplace.rights.labels import RIGHT_STATUS_LABELS

    return str(RIGHT_STATUS_LABELS[status])


def owner_users(right: Right) -> list[User]:
    org_ids = [o.organisation_id for o in right.owners]
    if not org_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(User).where(
                User.organisation_id.in_(org_ids),
                User.active.is_(True),
                User.deleted_at.is_(None),
            )
        )
    )


# --- registering rights --------------------------------------------------------------------

_RIGHT_FIELDS = [f.name for f in fields(RightData) if f.name not in ("kind", "number", "extra")]


def find_right(kind: RightKind, number: str) -> Right | None:
    return db.session.scalar(sa.select(Right).where(Right.kind == kind, Right.number == number))


def right_state(right: Right) -> dict[str, Any]:
    state = {name: getattr(right, name) for name in _RIGHT_FIELDS}
    state.update(kind=right.kind, number=right.number, status=right.status)
    return state


def register_right(org: Organisation, data: RightData, *, actor: User) -> tuple[Right, bool]:
    """Add a right to ``org``'s portfolio (unverified until a claim is verified), or update it
    when ``org`` already owns it. Returns the right and whether it was created.

    :raises ValidationFailed: any invalid field, all listed.
    :raises Conflict: another organisation has already registered this right.
    """
    if org.category is not OrgCategory.RIGHTS_HOLDER:
        raise Conflict(_("Only rights holders keep a portfolio."))
    data = validate_right_data(data)
    right = find_right(data.kind, data.number)
    created = right is None
    if right is None:
        right = Right(kind=data.kind, number=data.number)
        db.session.add(right)
        right.owners.append(RightOwner(organisation_id=org.id, share=FULL_SHARE))
        before = None
    elif right.owner_row(org) is None:
        message = _(
            "%(number)s is already registered by another organisation. File an ownership "
            "claim with evidence instead.",
            number=data.number,
        )
        raise Conflict(message, fields={"number": [message]})
    else:
        before = right_state(right)
    for name in _RIGHT_FIELDS:
        value = getattr(data, name)
        setattr(right, name, list(value) if isinstance(value, tuple) else value)
    db.session.flush()
    after = right_state(right)
    if before != after:
        audit.record(
            "right.registered" if created else "right.updated",
            right,
            actor=actor,
            organisation=org,
            before=None if created else _diff(before, after)[0],
            after=after if created else _diff(before, after)[1],
        )
    status = computed_status(right)
    if created:
        right.status = status  # "since" is known only from later status changes
    elif status is not right.status:
        change_status(right, status, on=today(), source="user", actor=actor)
    return right, created


def _diff(before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[dict, dict]:
    before = before or {}
    changed = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def portfolio_query(org: Organisation) -> sa.Select[tuple[Right]]:
    return sa.select(Right).join(RightOwner).where(RightOwner.organisation_id == org.id)


# --- verification gates used by listings, valuations and pledges ---------------------------


def open_dispute(right: Right) -> Dispute | None:
    return db.session.scalar(
        sa.select(Dispute).where(Dispute.right_id == right.id, Dispute.status == DisputeStatus.OPEN)
    )


def require_verified(right: Right, org: Organisation) -> None:
    """Only rights whose ownership by ``org`` is verified, with no open dispute, can be listed,
    valued for a bank, or pledged.

    :raises RightDisputed: an ownership dispute is open.
    :raises RightNotVerified: ``org`` is not a verified owner.
    """
    if open_dispute(right) is not None:
        raise RightDisputed(_("An ownership dispute about this right is open."))
    owner = right.owner_row(org)
    if owner is None or owner.verified_at is None:
        raise RightNotVerified(
            _("Ownership of %(number)s has not been verified.", number=right.number)
        )


def is_verified_for(right: Right, org: Organisation) -> bool:
    try:
        require_verified(right, org)
    except (RightDisputed, RightNotVerified):
        return False
    return True


# --- ownership claims (确权) ---------------------------------------------------------------


def reviewer_agencies() -> list[Organisation]:
    """Verified patent agencies, which may review ownership claims."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.kind == OrgKind.PATENT_AGENCY,
                Organisation.status == OrgStatus.VERIFIED,
            )
            .order_by(Organisation.name_zh)
        )
    )


@dataclass(frozen=True)
class ClaimData:
    kind: RightKind
    number: str
    title_zh: str = ""
    reviewer_org_id: int | None = None
    share: int = FULL_SHARE
    note: str | None = None


def file_claim(
    org: Organisation,
    data: ClaimData,
    *,
    actor: User,
    evidence: Iterable[Any] = (),
) -> OwnershipClaim:
    """File ``org``'s ownership claim on the right ``data`` names, with evidence files.

    The right is found by kind and number (registered first if nobody has). If another
    organisation already holds it verified, the claim opens a dispute that blocks the right for
    both until the operator resolves it.

    :raises ValidationFailed: bad number or share, no evidence, unknown reviewer.
    :raises Conflict: ``org`` already has an open claim on this right or is its verified owner.
    :raises EvidenceRejected: a file that is not a PDF, PNG or JPEG, or is too large.
    """
    from marketplace.rights import evidence as evidence_store

    if not org.is_verified or org.category is not OrgCategory.RIGHTS_HOLDER:
        raise Conflict(_("Only verified rights holders can file ownership claims."))
    problems: dict[str, list[str]] = {}
    number = data.number
    try:
        number = canonical_number(data.kind, data.number)
    except numbers.InvalidIpNumber as exc:
        problems["number"] = [str(exc)]
    if not 0 < data.share <= FULL_SHARE:
        problems["share"] = [
            _("The share is between %(min)s and %(max)s.", min="0.01 %", max="100 %")
        ]
    reviewer = None
    if data.reviewer_org_id is not None:
        reviewer = db.session.get(Organisation, data.reviewer_org_id)
        if reviewer is None or reviewer not in reviewer_agencies():
            problems["reviewer_org_id"] = [_("Choose a verified patent agency.")]
    files = list(evidence)
    if not files:
        problems["evidence"] = [_("Attach at least one evidence document.")]
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)

    right = find_right(data.kind, number)
    if right is None:
        title = data.title_zh.strip()
        if not title:
            raise ValidationFailed(
                _("Please correct the highlighted fields."),
                fields={"title_zh": [_("This right is new to the registry: enter its title.")]},
            )
        right = Right(kind=data.kind, number=number, title_zh=title, status=RightStatus.PENDING)
        db.session.add(right)
        db.session.flush()
        audit.record(
            "right.registered",
            right,
            actor=actor,
            organisation=org,
            after={"kind": data.kind, "number": number, "title_zh": title},
        )
    owner = right.owner_row(org)
    if owner is not None and owner.verified_at is not None:
        raise Conflict(_("Your organisation's ownership of this right is already verified."))
    if db.session.scalar(
        sa.select(OwnershipClaim.id).where(
            OwnershipClaim.right_id == right.id,
            OwnershipClaim.organisation_id == org.id,
            OwnershipClaim.status.in_([ClaimStatus.SUBMITTED, ClaimStatus.DISPUTED]),
        )
    ):
        raise Conflict(_("Your organisation already has an open claim on this right."))

    claim = OwnershipClaim(
        right=right,
        organisation_id=org.id,
        reviewer_org_id=reviewer.id if reviewer else None,
        share=data.share,
        note=(data.note or "").strip() or None,
        submitted_by_id=actor.id,
    )
    db.session.add(claim)
    db.session.flush()
    for upload in files:
        evidence_store.store(claim, upload, actor=actor)
    audit.record(
        "claim.submitted",
        claim,
        actor=actor,
        organisation=org,
        after={"right_id": right.id, "share": data.share, "status": claim.status},
    )

    holders = [o for o in right.owners if o.verified_at is not None and o.organisation_id != org.id]
    if holders:
        _move_claim(claim, ClaimStatus.DISPUTED, actor=actor)
        dispute = Dispute(right=right, claim=claim, holder_org_id=holders[0].organisation_id)
        db.session.add(dispute)
        db.session.flush()
        audit.record(
            "dispute.opened",
            dispute,
            actor=actor,
            organisation=org,
            after={"right_id": right.id, "claimant": org.id, "holder": holders[0].organisation_id},
        )
        _tell_org(
            holders[0].organisation,
            lambda: _("An ownership dispute was opened on %(number)s.", number=number),
            f"/rights/{right.id}",
        )
        _tell_operators(
            lambda: _("New ownership dispute on %(number)s.", number=number),
            f"/disputes/{dispute.id}",
        )
    else:
        if reviewer is not None:
            _tell_org(
                reviewer,
                lambda: _("New ownership claim to review: %(number)s", number=number),
                f"/claims/{claim.id}",
            )
        else:
            _tell_operators(
                lambda: _("New ownership claim to review: %(number)s", number=number),
                f"/claims/{claim.id}",
            )
    return claim


def _move_claim(
    claim: OwnershipClaim, new: ClaimStatus, *, actor: User, reason: str | None = None
) -> None:
    if (claim.status, new) not in CLAIM_TRANSITIONS:
        raise IllegalTransition(
            _(
                "A claim cannot go from %(old)s to %(new)s.",
                old=claim_status_label(claim.status),
                new=claim_status_label(new),
            )
        )
    before = claim.status
    claim.status = new
    claim.reason = reason or claim.reason
    if new in (ClaimStatus.VERIFIED, ClaimStatus.REJECTED):
        claim.decided_by_id = actor.id
        claim.decided_at = utcnow()
    audit.record(
        f"claim.{new.value}",
        claim,
        actor=actor,
        before={"status": before},
        after={"status": new, "reason": reason},
    )


def claim_status_label(status: ClaimStatus) -> str:
    from marketplace.rights.labels import CLAIM_STATUS_LABELS

    return str(CLAIM_STATUS_LABELS[status])


def decide_claim(
    claim: OwnershipClaim, *, actor: User, verify: bool, reason: str | None = None
) -> OwnershipClaim:
    """A reviewer verifies or rejects a submitted claim.

    :raises IllegalTransition: the claim is not awaiting review (disputes are the operator's).
    :raises ValidationFailed: a rejection without a reason.
    """
    if claim.status is not ClaimStatus.SUBMITTED:
        raise IllegalTransition(_("This claim is not awaiting review."))
    if not verify and not (reason or "").strip():
        message = _("Give the reason for the rejection.")
        raise ValidationFailed(message, fields={"reason": [message]})
    if verify:
        _grant_ownership(claim, actor=actor)
    _move_claim(
        claim,
        ClaimStatus.VERIFIED if verify else ClaimStatus.REJECTED,
        actor=actor,
        reason=(reason or "").strip() or None,
    )
    _tell_org(
        claim.organisation,
        (lambda: _("Your ownership of %(number)s has been verified.", number=claim.right.number))
        if verify
        else (
            lambda: _("Your ownership claim on %(number)s was rejected.", number=claim.right.number)
        ),
        f"/claims/{claim.id}",
    )
    return claim


def _grant_ownership(claim: OwnershipClaim, *, actor: User) -> None:
    right = claim.right
    owner = right.owner_row(claim.organisation_id)
    if owner is None:
        owner = RightOwner(organisation_id=claim.organisation_id, share=claim.share)
        right.owners.append(owner)
    owner.share = claim.share
    owner.verified_at = utcnow()
    db.session.flush()
    audit.record(
        "right.ownership_verified",
        right,
        actor=actor,
        organisation=claim.organisation,
        after={
            "organisation_id": claim.organisation_id,
            "share": claim.share,
            "claim_id": claim.id,
        },
    )


def transfer_ownership(
    right: Right, seller: Organisation, buyer: Organisation, *, actor: User | None, source: str
) -> None:
    """An assignment took effect (registered or approved by the authority): the seller's share
    passes to the buyer, verified by that registration, with a timeline event and an audit entry.

    :raises Conflict: the seller owns no share of the right.
    """
    owner = right.owner_row(seller)
    if owner is None:
        raise Conflict(_("The seller does not own %(number)s.", number=right.number))
    share = owner.share
    right.owners.remove(owner)
    existing = right.owner_row(buyer)
    if existing is None:
        right.owners.append(RightOwner(organisation_id=buyer.id, share=share, verified_at=utcnow()))
    else:
        existing.share += share
        existing.verified_at = utcnow()
    db.session.add(
        RightEvent(
            right_id=right.id,
            occurred_on=today(),
            event="assigned",
            source=source,
            detail={"from": seller.id, "to": buyer.id, "share": share},
        )
    )
    db.session.flush()
    audit.record(
        "right.assigned",
        right,
        actor=actor,
        organisation=buyer,
        before={"owner": seller.id},
        after={"owner": buyer.id, "share": share, "source": source},
    )


def resolve_dispute(dispute: Dispute, *, actor: User, upheld: str, resolution: str) -> Dispute:
    """The operator decides whose ownership stands.

    ``upheld="claimant"``: the claim is verified and the former holder loses its ownership;
    ``upheld="holder"``: the claim is rejected.

    :raises Conflict: the dispute is already resolved.
    :raises ValidationFailed: no resolution text or an unknown choice.
    """
    if dispute.status is not DisputeStatus.OPEN:
        raise Conflict(_("This dispute is already resolved."))
    problems = {}
    if upheld not in ("claimant", "holder"):
        problems["upheld"] = [_("Choose whose ownership stands.")]
    if not resolution.strip():
        problems["resolution"] = [_("Explain the resolution.")]
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    claim = dispute.claim
    right = dispute.right
    if upheld == "claimant":
        holder = right.owner_row(dispute.holder_org_id)
        if holder is not None:
            right.owners.remove(holder)
            audit.record(
                "right.ownership_removed",
                right,
                actor=actor,
                organisation=dispute.holder_org,
                before={"organisation_id": dispute.holder_org_id, "share": holder.share},
                after={"dispute_id": dispute.id},
            )
        _grant_ownership(claim, actor=actor)
        _move_claim(claim, ClaimStatus.VERIFIED, actor=actor, reason=resolution.strip())
    else:
        _move_claim(claim, ClaimStatus.REJECTED, actor=actor, reason=resolution.strip())
    dispute.status = DisputeStatus.RESOLVED
    dispute.upheld = upheld
    dispute.resolution = resolution.strip()
    dispute.resolved_by_id = actor.id
    dispute.resolved_at = utcnow()
    audit.record(
        "dispute.resolved",
        dispute,
        actor=actor,
        before={"status": DisputeStatus.OPEN},
        after={"status": DisputeStatus.RESOLVED, "upheld": upheld},
    )
    for org in (claim.organisation, dispute.holder_org):
        _tell_org(
            org,
            lambda: _(
                "The ownership dispute on %(number)s has been resolved.", number=right.number
            ),
            f"/rights/{right.id}",
        )
    return dispute


def withdraw_claim(claim: OwnershipClaim, *, actor: User) -> None:
    _move_claim(claim, ClaimStatus.WITHDRAWN, actor=actor)
    dispute = db.session.scalar(sa.select(Dispute).where(Dispute.claim_id == claim.id))
    if dispute is not None and dispute.status is DisputeStatus.OPEN:
        dispute.status = DisputeStatus.RESOLVED
        dispute.upheld = "holder"
        dispute.resolution = "claim withdrawn"
        dispute.resolved_at = utcnow()
        audit.record(
            "dispute.resolved",
            dispute,
            actor=actor,
            after={"status": DisputeStatus.RESOLVED, "upheld": "holder", "reason": "withdrawn"},
        )


def _tell_org(org: Organisation, title: Any, link: str) -> None:
    for user in org.members:
        if user.is_active:
            with force_locale(user_locale(user)):
                notify(user, title=title(), link=link)


def _tell_operators(title: Any, link: str) -> None:
    from marketplace.accounts.services import operators

    for user in operators():
        with force_locale(user_locale(user)):
            notify(user, title=title(), link=link)
