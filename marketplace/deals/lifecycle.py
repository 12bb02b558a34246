"""The deal's state machine: one function moves a deal, refuses an illegal step and writes the
audit trail. Every deals module (room, contracts, recordals, settlement) moves deals through it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.core import audit
from marketplace.core.errors import IllegalTransition
from marketplace.deals.models import DEAL_TRANSITIONS, Deal, DealStatus


def move_deal(deal: Deal, new: DealStatus, *, actor: User | None, **after: Any) -> None:
    """:raises IllegalTransition: ``(deal.status, new)`` is not in :data:`DEAL_TRANSITIONS`."""
    if (deal.status, new) not in DEAL_TRANSITIONS:
        raise IllegalTransition(_("The deal cannot make that step now."))
    before = deal.status
    deal.status = new
    audit.record(
        f"deal.{new.value}",
        deal,
        actor=actor,
        organisation=actor.organisation if actor is not None else None,
        before={"status": before},
        after={"status": new, **after},
    )
