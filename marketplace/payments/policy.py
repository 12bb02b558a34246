"""Who handles the platform's money: the operator's finance users (members of the verified
operator organisation) see escrow balances, confirm bank-transfer payouts, import custody
statements and read the reconciliation. Nobody else, whatever their role elsewhere."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.core import policy


@policy.action(None, "payments.finance")
def _finance(user: User, _: None) -> bool:
    return bool(user.is_operator)
