"""Who sees and manages the risk-sharing schemes.

A scheme is published government policy, so any signed-in member of a verified organisation
may know it exists (a pledge's page may name the schemes that support it). Configuring schemes
and reading their reports, which list every supported loan with its pledgor and amounts, is the
town operator's alone: anyone else is refused (403).
"""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.core import policy
from marketplace.pledges.models import RiskScheme


def _verified_member(user: User) -> bool:
    org = user.organisation
    return org is not None and org.is_verified


@policy.visibility(RiskScheme)
def _scheme_visible(user: User, scheme: RiskScheme) -> bool:
    return _verified_member(user)


@policy.action(RiskScheme, "edit", "report")
def _scheme_manage(user: User, scheme: RiskScheme) -> bool:
    return user.is_operator


@policy.action(None, "risk_schemes.manage")
def _manage(user: User, _: None) -> bool:
    return user.is_operator
