"""Appraisals and reports are seen by the orderer and the appraiser, and nobody else (a bank
will see a report the holder submits with a pledge application, once pledges exist)."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.core import policy
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


@policy.visibility(Report)
def _report_visible(user: User, report: Report) -> bool:
    return _party(user, report.appraisal.order)


@policy.action(Report, "view", "download", "verify")
def _report_view(user: User, report: Report) -> bool:
    return True
