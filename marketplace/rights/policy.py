"""Who may see and do what in the rights registry.

A right is visible to its owners, to the patent agencies asked to review a claim on it, and to
the operator. A claimant that is not an owner sees its own claim, not the right's record:
filing a claim must not become a way to read someone else's portfolio.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import OrgCategory, OrgKind, User
from marketplace.core import policy
from marketplace.extensions import db
from marketplace.rights.models import (
    ClaimStatus,
    Dispute,
    EvidenceFile,
    OwnershipClaim,
    Right,
)


def _org_id(user: User) -> int | None:
    return user.organisation_id if user.organisation and user.organisation.is_verified else None


def _is_rights_holder(user: User) -> bool:
    org = user.organisation
    return org is not None and org.is_verified and org.category is OrgCategory.RIGHTS_HOLDER


def _is_patent_agency(user: User) -> bool:
    org = user.organisation
    return org is not None and org.is_verified and org.kind is OrgKind.PATENT_AGENCY


@policy.visibility(Right)
def _right_visible(user: User, right: Right) -> bool:
    if user.is_operator:
        return True
    org_id = _org_id(user)
    if org_id is None:
        return False
    if right.owner_row(org_id) is not None:
        return True
    return (
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    OwnershipClaim.right_id == right.id, OwnershipClaim.reviewer_org_id == org_id
                )
            )
        )
        or False
    )


@policy.action(Right, "view")
def _right_view(user: User, right: Right) -> bool:
    return True


@policy.action(Right, "edit")
def _right_edit(user: User, right: Right) -> bool:
    return _is_rights_holder(user) and right.owner_row(user.organisation_id) is not None


@policy.action(None, "rights.portfolio", "rights.claim", "rights.import")
def _portfolio(user: User, _: None) -> bool:
    return _is_rights_holder(user)


@policy.action(None, "claims.review_queue")
def _review_queue(user: User, _: None) -> bool:
    return user.is_operator or _is_patent_agency(user)


@policy.action(None, "disputes.list")
def _disputes(user: User, _: None) -> bool:
    return user.is_operator


@policy.visibility(OwnershipClaim)
def _claim_visible(user: User, claim: OwnershipClaim) -> bool:
    if user.is_operator:
        return True
    org_id = _org_id(user)
    return org_id is not None and org_id in (claim.organisation_id, claim.reviewer_org_id)


@policy.action(OwnershipClaim, "view")
def _claim_view(user: User, claim: OwnershipClaim) -> bool:
    return True


@policy.action(OwnershipClaim, "decide")
def _claim_decide(user: User, claim: OwnershipClaim) -> bool:
    if claim.status is not ClaimStatus.SUBMITTED:
        return False
    if user.is_operator:
        return True
    return _is_patent_agency(user) and claim.reviewer_org_id == user.organisation_id


@policy.action(OwnershipClaim, "withdraw")
def _claim_withdraw(user: User, claim: OwnershipClaim) -> bool:
    return claim.is_open and user.organisation_id == claim.organisation_id


@policy.visibility(EvidenceFile)
def _evidence_visible(user: User, record: EvidenceFile) -> bool:
    return _claim_visible(user, record.claim)


@policy.action(EvidenceFile, "download")
def _evidence_download(user: User, record: EvidenceFile) -> bool:
    return True


@policy.visibility(Dispute)
def _dispute_visible(user: User, dispute: Dispute) -> bool:
    if user.is_operator:
        return True
    org_id = _org_id(user)
    return org_id is not None and org_id in (dispute.holder_org_id, dispute.claim.organisation_id)


@policy.action(Dispute, "view")
def _dispute_view(user: User, dispute: Dispute) -> bool:
    return True


@policy.action(Dispute, "resolve")
def _dispute_resolve(user: User, dispute: Dispute) -> bool:
    return user.is_operator
