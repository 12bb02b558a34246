"""marshmallow schemas of the deal API. Money in fen, rates and shares in basis points."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.deals.models import DealStatus, OfferStatus, PaymentStructure, ReportingPeriod
from marketplace.listings.models import DealType


class DealInstalmentSchema(Schema):
    amount = fields.Int(required=True)
    due_on = fields.Date(load_default=None, allow_none=True)
    milestone = fields.Str(load_default="", validate=validate.Length(max=200))


class DealOfferInSchema(Schema):
    price = fields.Int(required=True)
    payment_structure = fields.Enum(
        PaymentStructure, by_value=True, load_default=PaymentStructure.LUMP_SUM
    )
    schedule = fields.List(fields.Nested(DealInstalmentSchema), load_default=list)
    royalty_rate_bp = fields.Int(load_default=None, allow_none=True)
    reporting_period = fields.Enum(
        ReportingPeriod, by_value=True, load_default=None, allow_none=True
    )
    territory = fields.Str(load_default="all", validate=validate.Length(max=100))
    field_of_use = fields.Str(load_default="all", validate=validate.Length(max=100))
    starts_on = fields.Date(load_default=None, allow_none=True)
    ends_on = fields.Date(load_default=None, allow_none=True)
    refund_on_cancel_bp = fields.Int(load_default=10_000)
    note = fields.Str(load_default="", validate=validate.Length(max=2000))


class DealOpenSchema(Schema):
    listing_id = fields.Int(required=True)
    demand_id = fields.Int(load_default=None, allow_none=True)
    #: The first offer; omitted for an open licence, which is taken at its published terms.
    offer = fields.Nested(DealOfferInSchema, load_default=None, allow_none=True)


class OfferRejectionInSchema(Schema):
    reason = fields.Str(load_default="", validate=validate.Length(max=500))


class DealMessageInSchema(Schema):
    body = fields.Str(required=True, validate=validate.Length(min=1, max=5000))


class ContractSignatureInSchema(Schema):
    password = fields.Str(required=True, load_only=True)


def _org(org: object | None) -> dict[str, object] | None:
    if org is None:
        return None
    return {"id": org.id, "name_zh": org.name_zh}  # type: ignore[attr-defined]


class DealOfferOutSchema(Schema):
    id = fields.Int()
    by_org = fields.Function(lambda o: _org(o.by_org))
    status = fields.Enum(OfferStatus, by_value=True)
    counters_id = fields.Int(allow_none=True)
    price = fields.Int()
    payment_structure = fields.Enum(PaymentStructure, by_value=True)
    schedule = fields.Raw()
    royalty_rate_bp = fields.Int(allow_none=True)
    reporting_period = fields.Enum(ReportingPeriod, by_value=True, allow_none=True)
    territory = fields.Str()
    field_of_use = fields.Str()
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    refund_on_cancel_bp = fields.Int()
    note = fields.Str()
    created_at = fields.DateTime()


class ContractSignatureOutSchema(Schema):
    id = fields.Int()
    organisation = fields.Function(lambda s: _org(s.organisation))
    user_id = fields.Int()
    ip_address = fields.Str(allow_none=True)
    sha256 = fields.Str()
    signed_at = fields.DateTime()


class DealContractOutSchema(Schema):
    id = fields.Int()
    deal_id = fields.Int()
    template = fields.Str()
    version = fields.Str()
    sha256 = fields.Str()
    size = fields.Function(lambda c: len(c.pdf))
    created_at = fields.DateTime()
    signatures = fields.List(fields.Nested(ContractSignatureOutSchema))


class DealMessageOutSchema(Schema):
    id = fields.Int()
    user_id = fields.Int()
    body = fields.Str()
    created_at = fields.DateTime()


class DealDocumentOutSchema(Schema):
    id = fields.Int()
    original_name = fields.Str()
    content_type = fields.Str()
    size = fields.Int()
    sha256 = fields.Str()
    created_at = fields.DateTime()


class DealOutSchema(Schema):
    id = fields.Int()
    number = fields.Str()
    listing_id = fields.Int()
    listing_title = fields.Function(lambda d: d.listing.title)
    demand_id = fields.Int(allow_none=True)
    deal_type = fields.Enum(DealType, by_value=True)
    status = fields.Enum(DealStatus, by_value=True)
    seller = fields.Function(lambda d: _org(d.seller_org))
    buyer = fields.Function(lambda d: _org(d.buyer_org))
    broker = fields.Function(lambda d: _org(d.broker_org), allow_none=True)
    commission_bp = fields.Int()
    platform_fee_bp = fields.Int()
    currency = fields.Str()
    price = fields.Int(allow_none=True)
    holds_listing = fields.Bool()
    agreed_at = fields.DateTime(allow_none=True)
    cancelled_reason = fields.Str(allow_none=True)
    created_at = fields.DateTime()


class DealDetailSchema(DealOutSchema):
    offers = fields.List(fields.Nested(DealOfferOutSchema))
    messages = fields.List(fields.Nested(DealMessageOutSchema))
    documents = fields.List(fields.Nested(DealDocumentOutSchema))
    contract = fields.Nested(DealContractOutSchema, allow_none=True)
