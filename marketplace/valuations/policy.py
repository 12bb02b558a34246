"""Appraisals and reports are seen by the orderer and the appraiser, and nobody else -- except
that a bank sees a report the holder attached to a pledge application sent to it."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.core import policy
from marketplace.extensions import db
from marketplace.orders.models import OrderStatus, ServiceOrder
from marketplace.valuations.models import Appraisal, Report


def _party(user: User, order: ServiceOrder) -> bool:
    org = user.organisation
    return (
        org is not None
        and org.is_verified
        and org.id in (order.orderer_org_id, order.provider_org_id)
    )


@policy.visibility(Appraisal)
def _appraisal_visible(user: User, appraisal: Appraisal) -> bool:
    return _party(user, appraisal.order)


@policy.action(Appraisal, "edit", "sign")
def _appraisal_edit(user: User, appraisal: Appraisal) -> bool:
    return policy.can(user, "appraise", appraisal.order)


@policy.action(Appraisal, "revise")
def _appraisal_revise(user: User, appraisal: Appraisal) -> bool:
    order = appraisal.order
    return user.organisation_id == order.provider_org_id and order.status is OrderStatus.DISPUTED


def _submitted_to(user: User, report: Report) -> bool:
    from marketplace.pledges.models import (
        ApplicationStatus,
        LoanApplication,
        LoanReview,
        application_reports,
    )

    org = user.organisation
    if org is None or not org.is_verified:
        return False
    found = db.session.scalar(
        sa.select(LoanReview.id)
        .join(LoanApplication)
        .join(application_reports)
        .where(
            application_reports.c.report_id == report.id,
            LoanReview.bank_org_id == org.id,
            LoanApplication.status != ApplicationStatus.DRAFT,
        )
        .limit(1)
    )
    return found is not None


@policy.visibility(Report)
def _report_visible(user: User, report: Report) -> bool:
    return _party(user, report.appraisal.order) or _submitted_to(user, report)


@policy.action(Report, "view", "download", "verify")
def _report_view(user: User, report: Report) -> bool:
    return True
