"""Who handles the platform's money: the operator's finance users (members of the verified
operator organisation) see escrow balances, confirm bank-transfer payouts, import custody
statements and read the reconciliation. Nobody else, whatever their role elsewhere."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.core import policy
from marketplace.payments.models import Payment, PaymentStatus


@policy.action(None, "payments.finance")
def _finance(user: User, _: None) -> bool:
    return bool(user.is_operator)


@policy.visibility(Payment)
def _payment_visible(user: User, payment: Payment) -> bool:
    org = user.organisation
    return org is not None and (org.is_operator or org.id == payment.payer_org_id)


@policy.action(Payment, "pay")
def _pay(user: User, payment: Payment) -> bool:
    """Only the payer confirms a card, and only while nothing has been received."""
    return user.organisation_id == payment.payer_org_id and payment.status in (
        PaymentStatus.CREATED,
        PaymentStatus.FAILED,
    )
