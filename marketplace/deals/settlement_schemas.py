"""marshmallow schemas of the settlement API: payments into escrow, recordal filings and the
authority's answers, payouts, royalty reports. Money in fen (integers) with its currency."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.deals.models import RecordalKind, RecordalStatus, RoyaltyReportStatus
from marketplace.payments.models import PaymentProvider, PaymentPurpose, PaymentStatus

FEN = {"description": "fen (1/100 yuan)"}
#: The largest net sales one report takes: ¥100 billion, as on the HTML form.
MAX_NET_SALES = 10**13


class DealPaymentStartSchema(Schema):
    """What the payer's browser needs to confirm the card with Stripe.js (card data goes from
    the browser to Stripe only)."""

    payment_id = fields.Function(lambda r: r["payment"].id)
    amount = fields.Function(lambda r: r["payment"].amount, metadata=FEN)
    currency = fields.Function(lambda r: r["payment"].currency)
    status = fields.Function(lambda r: r["payment"].status.value)
    client_secret = fields.Str()
    publishable_key = fields.Str()


class DealPaymentSchema(Schema):
    id = fields.Int()
    purpose = fields.Enum(PaymentPurpose, by_value=True)
    provider = fields.Enum(PaymentProvider, by_value=True)
    royalty_report_id = fields.Int(allow_none=True)
    payer_org_id = fields.Int()
    amount = fields.Int(metadata=FEN)
    refunded = fields.Int(metadata=FEN)
    currency = fields.Str()
    status = fields.Enum(PaymentStatus, by_value=True)
    created_at = fields.DateTime()
    succeeded_at = fields.DateTime(allow_none=True)


class RecordalSchema(Schema):
    id = fields.Int()
    deal_id = fields.Int()
    kind = fields.Enum(RecordalKind, by_value=True)
    authority = fields.Str()
    status = fields.Enum(RecordalStatus, by_value=True)
    #: Licence recordals only: 3 months after the contract takes effect.
    due_on = fields.Date(allow_none=True)
    data = fields.Dict(metadata={"description": "what is filed with the authority"})
    sha256 = fields.Str()
    export_certificate = fields.Str(allow_none=True)
    filed_at = fields.DateTime(allow_none=True)
    accepted_number = fields.Str(allow_none=True)
    accepted_on = fields.Date(allow_none=True)
    refusal = fields.Str(allow_none=True)
    created_at = fields.DateTime()


class RecordalFilingInSchema(Schema):
    #: Only a foreign assignee or licensee needs it (technology-export licence or certificate).
    export_certificate = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )


class RecordalAcceptanceInSchema(Schema):
    number = fields.Str(required=True, validate=validate.Length(min=1, max=60))
    on = fields.Date(required=True, metadata={"description": "the authority's date"})


class RecordalRefusalInSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=1000))


class DealPayoutSchema(Schema):
    id = fields.Int()
    payee_org_id = fields.Int()
    role = fields.Str(metadata={"description": "seller, broker, pledgee or licensor"})
    amount = fields.Int(metadata=FEN)
    currency = fields.Str()
    method = fields.Function(lambda p: p.method.value)
    status = fields.Function(lambda p: p.status.value)
    paid_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class RoyaltyReportSchema(Schema):
    id = fields.Int()
    deal_id = fields.Int()
    period_start = fields.Date()
    period_end = fields.Date()
    due_on = fields.Date()
    status = fields.Enum(RoyaltyReportStatus, by_value=True)
    units = fields.Int(allow_none=True)
    net_sales = fields.Int(allow_none=True, metadata=FEN)
    royalty = fields.Int(
        allow_none=True, metadata={"description": "fen: net sales × rate, rounded down"}
    )
    reported_at = fields.DateTime(allow_none=True)


class RoyaltyReportInSchema(Schema):
    units = fields.Int(required=True, strict=True, validate=validate.Range(min=0))
    net_sales = fields.Int(
        required=True, strict=True, validate=validate.Range(min=0, max=MAX_NET_SALES), metadata=FEN
    )
