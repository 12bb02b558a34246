"""The payments package's domain errors."""

from __future__ import annotations

from marketplace.core.errors import Conflict
from marketplace.payments.gateway import PaymentProviderError
from marketplace.payments.ledger import NegativeBalance

__all__ = [
    "EscrowProblem",
    "NegativeBalance",
    "PaymentConflict",
    "PaymentProviderError",
    "RefundTooLarge",
]


class PaymentConflict(Conflict):
    """An idempotent repeat with different terms, or a payment in the wrong state."""

    code = "payment_conflict"


class RefundTooLarge(Conflict):
    """More than what is left of the payment, or in its escrow."""

    code = "refund_too_large"


class EscrowProblem(Conflict):
    """Nothing to release, or splits that do not add up to the escrow balance."""

    code = "escrow_problem"
