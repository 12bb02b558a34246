"""Display labels of the valuation workbench, in the UI's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.orders.models import OrderStatus, QuoteStatus, ServiceKind, ValuationPurpose
from marketplace.valuations.models import ValueBasis

METHOD_LABELS = {
    "relief_from_royalty": _l("Relief from royalty"),
    "profit_split": _l("Profit split"),
    "cost_approach": _l("Cost approach"),
}

INPUT_LABELS = {
    "revenue": _l("First-year revenue (yuan)"),
    "profit": _l("First-year profit attributable to the right (yuan)"),
    "growth": _l("Yearly growth"),
    "royalty_rate": _l("Royalty rate"),
    "split_rate": _l("Profit split rate"),
    "tax_rate": _l("Income tax rate"),
    "discount_rate": _l("Discount rate"),
    "years": _l("Years of income"),
    "replacement_cost": _l("Replacement cost (yuan)"),
    "developer_profit": _l("Developer's profit"),
    "physical": _l("Physical obsolescence"),
    "functional": _l("Functional obsolescence"),
    "economic": _l("Economic obsolescence"),
}

BASIS_LABELS = {
    ValueBasis.MARKET_VALUE: _l("Market value"),
    ValueBasis.PLEDGE_VALUE: _l("Pledge value (conservative percentile)"),
}

PURPOSE_LABELS = {
    ValuationPurpose.LICENCE_PRICING: _l("Licence pricing"),
    ValuationPurpose.ASSIGNMENT: _l("Assignment"),
    ValuationPurpose.PLEDGE: _l("Pledge financing"),
    ValuationPurpose.CAPITAL_CONTRIBUTION: _l("Capital contribution"),
}

SERVICE_LABELS = {
    ServiceKind.VALUATION: _l("Valuation"),
    ServiceKind.PATENT_NAVIGATION: _l("Patent navigation report"),
    ServiceKind.LEGAL_OPINION: _l("Legal opinion"),
    ServiceKind.FILING: _l("Filing and prosecution"),
    ServiceKind.BROKERAGE: _l("Technology brokerage"),
    ServiceKind.PLEDGE_FILING: _l("Pledge registration filing"),
}

ORDER_STATUS_LABELS = {
    OrderStatus.REQUESTED: _l("Waiting for quotes"),
    OrderStatus.QUOTED: _l("Quoted"),
    OrderStatus.ACCEPTED: _l("Quote accepted"),
    OrderStatus.IN_PROGRESS: _l("In progress"),
    OrderStatus.DELIVERED: _l("Delivered"),
    OrderStatus.COMPLETED: _l("Completed"),
    OrderStatus.DISPUTED: _l("Delivery disputed"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}

QUOTE_STATUS_LABELS = {
    QuoteStatus.OFFERED: _l("Offered"),
    QuoteStatus.ACCEPTED: _l("Accepted"),
    QuoteStatus.DECLINED: _l("Not chosen"),
    QuoteStatus.WITHDRAWN: _l("Withdrawn"),
}

#: Standard limiting conditions printed in every report (Chinese appraisal practice).
LIMITING_CONDITIONS = (
    _l("The value is stated as at the value date for the stated purpose and basis only."),
    _l(
        "Legal status, ownership and fees are taken from the platform's registry on the value "
        "date; the appraiser has not audited the registry."
    ),
    _l(
        "Revenue, profit and cost inputs were provided by the client or taken from the sources "
        "named beside each input; the appraiser has checked them for reasonableness only."
    ),
    _l(
        "The range is the P10–P90 of a Monte Carlo simulation over the inputs given with a low "
        "and a high; it is not a guarantee of any sale price."
    ),
    _l(
        "The report is valid for one year from the value date and may be relied on only by the "
        "client and the parties to whom the client submits it through the platform."
    ),
)
