"""What every template can use: navigation for the user's kind of organisation, the unread
count, the language switch, and date formatting in Beijing time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.accounts.models import OrgCategory
from marketplace.core.money import fen_from_yuan, format_money


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    #: A global policy action the user must be allowed, if any.
    permission: str | None = None


#: Navigation by organisation category; later capabilities add their own entries here.
MY_ORG = NavItem("accounts.organisation", _l("My organisation"))
MARKET = NavItem("listings.market", _l("IP market"))
DIRECTORY = NavItem("agencies.directory", _l("Agency directory"), "agencies.directory")
NAVIGATION: dict[OrgCategory | None, list[NavItem]] = {
    None: [NavItem("accounts.create_organisation", _l("Register your organisation")), MARKET],
    OrgCategory.RIGHTS_HOLDER: [
        MARKET,
        NavItem("listings.my_listings", _l("My listings"), "listings.create"),
        NavItem("rights.portfolio", _l("IP portfolio"), "rights.portfolio"),
        NavItem("rights.claims", _l("Ownership claims"), "rights.claim"),
        NavItem("orders.orders", _l("Service orders"), "orders.list"),
        NavItem("loan_applications.applications", _l("Pledge loans"), "pledges.apply"),
        NavItem("pledges.mine", _l("My pledges"), "pledges.apply"),
        NavItem("deals.my_deals", _l("Deals"), "deals.list"),
        DIRECTORY,
        MY_ORG,
    ],
    OrgCategory.BANK: [
        MARKET,
        NavItem("loan_applications.reviews", _l("Loan applications"), "pledges.bank"),
        NavItem("loan_applications.lending_policy", _l("Lending policy"), "pledges.bank"),
        NavItem("pledges.portfolio", _l("Pledge portfolio"), "pledges.bank"),
        DIRECTORY,
        MY_ORG,
    ],
    OrgCategory.AGENCY: [
        MARKET,
        NavItem("rights.claims", _l("Claims to review"), "claims.review_queue"),
        NavItem("orders.orders", _l("Service orders"), "orders.list"),
        NavItem("agencies.mine", _l("Your services"), "agencies.manage"),
        NavItem("deals.my_deals", _l("Deals"), "deals.list"),
        MY_ORG,
    ],
    OrgCategory.OPERATOR: [
        MARKET,
        NavItem("accounts.review_organisations", _l("Organisations to verify")),
        NavItem("rights.claims", _l("Ownership claims")),
        NavItem("rights.disputes", _l("Ownership disputes")),
        NavItem("deals.my_deals", _l("Deals"), "deals.list"),
        NavItem("payments.finance", _l("Finance"), "payments.finance"),
        NavItem("risk_schemes.schemes", _l("Risk sharing"), "risk_schemes.manage"),
        MY_ORG,
    ],
}


def navigation() -> list[NavItem]:
    from marketplace.core import policy

    if not current_user.is_authenticated:
        return [MARKET]
    org = current_user.organisation
    return [
        item
        for item in NAVIGATION[org.category if org else None]
        if item.permission is None or policy.can(current_user, item.permission)
    ]


def _context() -> dict[str, Any]:
    from marketplace.accounts import forms
    from marketplace.notifications.services import unread_count

    if not has_request_context():  # emails rendered from services and CLI commands
        return {"current_locale": str(get_locale())}
    unread = unread_count(current_user) if current_user.is_authenticated else 0
    return {
        "org_status_labels": forms.ORG_STATUS_LABELS,
        "role_labels": forms.ROLE_LABELS,
        "kind_labels": forms.ORG_KIND_LABELS,
        "nav_items": navigation(),
        "unread_count": unread,
        "languages": current_app.config["LANGUAGES"],
        "current_locale": str(get_locale()),
        "show_dev_outbox": current_app.config.get("SHOW_DEV_OUTBOX", False),
        "next_url": request.full_path.rstrip("?") if request else "/",
    }


def init_app(app: Flask) -> None:
    app.context_processor(_context)
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else "—"
    )
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["yuan"] = lambda value: format_money(fen_from_yuan(float(value)))
    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else "—"
    )
