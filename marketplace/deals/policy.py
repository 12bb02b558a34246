"""Who sees a deal: its seller, buyer and broker, and the operator; anyone else gets a 404 for
the deal, its documents and its contract. The parties negotiate and sign; the broker reads and
writes messages and documents."""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import OrgCategory, User
from marketplace.core import policy
from marketplace.deals.models import Contract, Deal, DealDocument


def _org_id(user: Any) -> int | None:
    org = getattr(user, "organisation", None)
    return org.id if org is not None and org.is_verified else None


def deal_visible(user: Any, deal: Deal) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_operator) or _org_id(user) in deal.party_ids()


def _is_party(user: User, deal: Deal) -> bool:
    return _org_id(user) in (deal.seller_org_id, deal.buyer_org_id)


@policy.visibility(Deal)
def _deal_visible(user: User, deal: Deal) -> bool:
    return deal_visible(user, deal)


@policy.visibility(DealDocument)
def _document_visible(user: User, document: DealDocument) -> bool:
    from marketplace.extensions import db

    deal = db.session.get(Deal, document.deal_id)
    return deal is not None and deal_visible(user, deal)


@policy.visibility(Contract)
def _contract_visible(user: User, contract: Contract) -> bool:
    return deal_visible(user, contract.deal)


@policy.action(Deal, "view")
def _view(user: User, deal: Deal) -> bool:
    return True


@policy.action(Deal, "offer", "counter", "accept", "reject", "withdraw", "sign")
def _negotiate(user: User, deal: Deal) -> bool:
    return _is_party(user, deal)


@policy.action(Deal, "cancel")
def _cancel(user: User, deal: Deal) -> bool:
    return _is_party(user, deal) or bool(user.is_operator)


@policy.action(Deal, "message", "upload")
def _participate(user: User, deal: Deal) -> bool:
    return _org_id(user) in deal.party_ids()


@policy.action(DealDocument, "download")
def _download(user: User, document: DealDocument) -> bool:
    return True


@policy.action(Contract, "download")
def _contract_download(user: User, contract: Contract) -> bool:
    return True


@policy.action(None, "deals.list")
def _list(user: User, _: None) -> bool:
    org = user.organisation
    return (
        org is not None
        and org.is_verified
        and org.category in (OrgCategory.RIGHTS_HOLDER, OrgCategory.AGENCY, OrgCategory.OPERATOR)
    )


@policy.action(None, "deals.open")
def _open(user: User, _: None) -> bool:
    org = user.organisation
    return org is not None and org.is_verified and org.category is OrgCategory.RIGHTS_HOLDER
