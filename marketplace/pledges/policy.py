"""Who sees and acts on pledge financing.

An application is seen by the applicant, the banks it was sent to (once sent) and the co-owners
of its rights (who must consent); a bank's review by the applicant and that bank only; a pledge
by the pledgor, the pledgee and the operator (who administers the risk-sharing schemes); a
lending policy by its bank. No bank ever sees another bank's review or policy.
"""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import Organisation, OrgCategory, User
from marketplace.core import policy
from marketplace.pledges.models import (
    ApplicationStatus,
    LendingPolicy,
    LoanApplication,
    LoanReview,
    Pledge,
    PledgeAlert,
    PledgeFiling,
    PledgeStatus,
    ReviewStatus,
)


def _org(user: Any) -> Organisation | None:
    org = getattr(user, "organisation", None)
    return org if org is not None and org.is_verified else None


def _bank(user: Any) -> Organisation | None:
    org = _org(user)
    return org if org is not None and org.category is OrgCategory.BANK else None


def is_co_owner(org: Organisation, application: LoanApplication) -> bool:
    return org.id != application.applicant_org_id and any(
        r.owner_row(org) is not None for r in application.rights
    )


@policy.visibility(LoanApplication)
def _application_visible(user: User, application: LoanApplication) -> bool:
    org = _org(user)
    if org is None:
        return False
    if org.id == application.applicant_org_id or is_co_owner(org, application):
        return True
    return application.status is not ApplicationStatus.DRAFT and any(
        r.bank_org_id == org.id for r in application.reviews
    )


@policy.action(LoanApplication, "view")
def _application_view(user: User, application: LoanApplication) -> bool:
    return True


@policy.action(LoanApplication, "submit", "withdraw")
def _application_manage(user: User, application: LoanApplication) -> bool:
    return user.organisation_id == application.applicant_org_id


@policy.action(LoanApplication, "consent")
def _application_consent(user: User, application: LoanApplication) -> bool:
    org = _org(user)
    return org is not None and (
        is_co_owner(org, application)
        or org.id == application.applicant_org_id
        or any(r.bank_org_id == org.id for r in application.reviews)
    )


@policy.action(None, "pledges.apply")
def _apply(user: User, _: None) -> bool:
    org = _org(user)
    return org is not None and org.category is OrgCategory.RIGHTS_HOLDER


@policy.action(None, "pledges.bank")
def _bank_pages(user: User, _: None) -> bool:
    return _bank(user) is not None


@policy.visibility(LoanReview)
def _review_visible(user: User, review: LoanReview) -> bool:
    org = _org(user)
    if org is None or review.application.status is ApplicationStatus.DRAFT:
        return False
    return org.id in (review.bank_org_id, review.application.applicant_org_id)


@policy.action(LoanReview, "view")
def _review_view(user: User, review: LoanReview) -> bool:
    return True


@policy.action(LoanReview, "decide", "dossier")
def _review_decide(user: User, review: LoanReview) -> bool:
    return user.organisation_id == review.bank_org_id


@policy.action(LoanReview, "answer", "accept")
def _review_answer(user: User, review: LoanReview) -> bool:
    return user.organisation_id == review.application.applicant_org_id and review.status in (
        ReviewStatus.INFO_REQUESTED,
        ReviewStatus.APPROVED,
    )


@policy.visibility(Pledge)
def _pledge_visible(user: User, pledge: Pledge) -> bool:
    org = _org(user)
    if org is None:
        return False
    return org.is_operator or org.id in (pledge.pledgor_org_id, pledge.pledgee_org_id)


@policy.action(Pledge, "view", "download")
def _pledge_view(user: User, pledge: Pledge) -> bool:
    return True


@policy.action(Pledge, "manage")
def _pledge_manage(user: User, pledge: Pledge) -> bool:
    return user.organisation_id == pledge.pledgee_org_id and pledge.status not in (
        PledgeStatus.RELEASED,
        PledgeStatus.DISPOSED,
        PledgeStatus.CANCELLED,
    )


@policy.visibility(PledgeFiling)
def _filing_visible(user: User, filing: PledgeFiling) -> bool:
    return _pledge_visible(user, filing.pledge)


@policy.action(PledgeFiling, "view", "download")
def _filing_view(user: User, filing: PledgeFiling) -> bool:
    return True


@policy.action(PledgeFiling, "record")
def _filing_record(user: User, filing: PledgeFiling) -> bool:
    return user.organisation_id == filing.pledge.pledgee_org_id


@policy.visibility(PledgeAlert)
def _alert_visible(user: User, alert: PledgeAlert) -> bool:
    return user.organisation_id == alert.pledge.pledgee_org_id


@policy.action(PledgeAlert, "resolve")
def _alert_resolve(user: User, alert: PledgeAlert) -> bool:
    return alert.resolved_at is None


@policy.visibility(LendingPolicy)
def _policy_visible(user: User, lending_policy: LendingPolicy) -> bool:
    return user.organisation_id == lending_policy.bank_org_id


@policy.action(LendingPolicy, "edit")
def _policy_edit(user: User, lending_policy: LendingPolicy) -> bool:
    return _bank(user) is not None
