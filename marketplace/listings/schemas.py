"""marshmallow schemas of the market API. Money in fen, rates in basis points."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.listings.models import DealType, DemandStatus, DemandVisibility, ListingStatus


class ListingInSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    teaser = fields.Str(required=True, validate=validate.Length(min=1, max=2000))
    details = fields.Str(load_default="", validate=validate.Length(max=10000))
    deal_type = fields.Enum(DealType, by_value=True, required=True)
    right_ids = fields.List(fields.Int(), required=True, validate=validate.Length(min=1))
    asking_price = fields.Int(load_default=None, allow_none=True)
    royalty_rate = fields.Int(load_default=None, allow_none=True)
    territory = fields.Str(load_default="all")
    field_of_use = fields.Str(load_default="all")
    licence_starts_on = fields.Date(load_default=None, allow_none=True)
    licence_ends_on = fields.Date(load_default=None, allow_none=True)
    open_terms = fields.Str(load_default=None, allow_none=True)
    industry = fields.Str(load_default=None, allow_none=True)
    region = fields.Str(load_default="长春新区")
    expires_on = fields.Date(load_default=None, allow_none=True)
    publish = fields.Bool(load_default=False)


class ListingOutSchema(Schema):
    id = fields.Int()
    title = fields.Str()
    teaser = fields.Str()
    deal_type = fields.Enum(DealType, by_value=True)
    status = fields.Enum(ListingStatus, by_value=True)
    asking_price = fields.Int(allow_none=True)
    currency = fields.Str()
    royalty_rate = fields.Int(allow_none=True)
    territory = fields.Str()
    field_of_use = fields.Str()
    licence_starts_on = fields.Date(allow_none=True)
    licence_ends_on = fields.Date(allow_none=True)
    industry = fields.Str(allow_none=True)
    region = fields.Str()
    seller = fields.Function(lambda lst: lst.seller_org.name_zh)
    rights = fields.Function(
        lambda lst: [
            {
                "id": r.id,
                "kind": r.kind.value,
                "number": r.number,
                "title_zh": r.title_zh,
                "status": r.status.value,
            }
            for r in lst.rights
        ]
    )
    published_at = fields.DateTime(allow_none=True)


class ListingDetailSchema(ListingOutSchema):
    #: Only present when the caller's organisation accepted the NDA (or is the seller).
    details = fields.Str(attribute="visible_details", allow_none=True)


class DemandInSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    description = fields.Str(required=True, validate=validate.Length(min=1, max=5000))
    budget_min = fields.Int(load_default=None, allow_none=True)
    budget_max = fields.Int(load_default=None, allow_none=True)
    industry = fields.Str(load_default=None, allow_none=True)
    ipc_codes = fields.List(fields.Str(), load_default=list)
    region = fields.Str(load_default="长春新区")
    deadline = fields.Date(load_default=None, allow_none=True)
    visibility = fields.Enum(DemandVisibility, by_value=True, load_default=DemandVisibility.PUBLIC)


class DemandOutSchema(Schema):
    id = fields.Int()
    title = fields.Str()
    description = fields.Str()
    budget_min = fields.Int(allow_none=True)
    budget_max = fields.Int(allow_none=True)
    industry = fields.Str(allow_none=True)
    ipc_codes = fields.List(fields.Str())
    region = fields.Str()
    deadline = fields.Date(allow_none=True)
    visibility = fields.Enum(DemandVisibility, by_value=True)
    status = fields.Enum(DemandStatus, by_value=True)
    created_at = fields.DateTime()


class MatchSchema(Schema):
    listing_id = fields.Function(lambda m: m.listing.id)
    demand_id = fields.Function(lambda m: m.demand.id)
    score = fields.Int()
    reasons = fields.List(fields.Str())


class SearchArgsSchema(Schema):
    q = fields.Str(load_default="")
    type = fields.Str(load_default="listing", validate=validate.OneOf(["listing", "demand"]))
    kind = fields.Str(load_default=None)
    deal_type = fields.Str(load_default=None)
    status = fields.Str(load_default=None)
    region = fields.Str(load_default=None)
    industry = fields.Str(load_default=None)
    ipc = fields.Str(load_default=None)
    price_min = fields.Int(load_default=None)
    price_max = fields.Int(load_default=None)
    sort = fields.Str(
        load_default="relevance",
        validate=validate.OneOf(["relevance", "price_asc", "price_desc", "newest"]),
    )
    page = fields.Int(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Int(load_default=20, validate=validate.Range(min=1, max=100))


class SearchHitSchema(Schema):
    doc_type = fields.Str()
    doc_id = fields.Int()
    score = fields.Float()
    title_html = fields.Str()
    snippet_html = fields.Str()


class SearchResultSchema(Schema):
    hits = fields.List(fields.Nested(SearchHitSchema))
    total = fields.Int()
    page = fields.Int()
    pages = fields.Int()
    facets = fields.Dict(
        keys=fields.Str(), values=fields.Dict(keys=fields.Str(), values=fields.Int())
    )
