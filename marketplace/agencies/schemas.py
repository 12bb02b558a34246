"""marshmallow schemas of the agencies API. Money is in fen (integers), days are whole days."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from marketplace.accounts.models import OrgKind
from marketplace.agencies import services
from marketplace.agencies.models import AgencyService
from marketplace.agencies.services import AgencyProfile, DirectoryEntry
from marketplace.orders.models import ServiceKind

FEN = {"description": "fen (1/100 yuan); null with price_max null: quote on request"}


class AgencyServiceInSchema(Schema):
    """A service as its agency publishes it; PATCH takes any subset of these fields."""

    kind = fields.Enum(ServiceKind, by_value=True, required=True)
    title_zh = fields.Str(required=True)
    title_en = fields.Str(load_default=None, allow_none=True)
    description = fields.Str(required=True)
    price_min = fields.Int(strict=True, load_default=None, allow_none=True, metadata=FEN)
    price_max = fields.Int(strict=True, load_default=None, allow_none=True, metadata=FEN)
    days_min = fields.Int(strict=True, required=True)
    days_max = fields.Int(strict=True, required=True)
    regions = fields.List(fields.Str(), required=True, metadata={"description": "全国: anywhere"})
    industries = fields.List(
        fields.Str(validate=validate.OneOf(services.INDUSTRIES)),
        load_default=list,
        metadata={"description": "empty: every industry"},
    )


class AgencyServicePatchSchema(AgencyServiceInSchema):
    """Any subset of the publishing fields (load it with ``partial=True``)."""


class AgencyServiceSchema(Schema):
    """A service in the directory with its agency's rating."""

    id = fields.Int(attribute="service.id")
    provider_org_id = fields.Int(attribute="service.provider_org_id")
    provider = fields.Str(attribute="service.provider_org.name_zh")
    provider_kind = fields.Enum(OrgKind, by_value=True, attribute="service.provider_org.kind")
    kind = fields.Enum(ServiceKind, by_value=True, attribute="service.kind")
    title_zh = fields.Str(attribute="service.title_zh")
    title_en = fields.Str(attribute="service.title_en", allow_none=True)
    description = fields.Str(attribute="service.description")
    price_min = fields.Int(attribute="service.price_min", allow_none=True, metadata=FEN)
    price_max = fields.Int(attribute="service.price_max", allow_none=True, metadata=FEN)
    currency = fields.Str(attribute="service.currency")
    quote_on_request = fields.Bool(attribute="service.quote_on_request")
    days_min = fields.Int(attribute="service.days_min")
    days_max = fields.Int(attribute="service.days_max")
    regions = fields.List(fields.Str(), attribute="service.regions")
    industries = fields.List(fields.Str(), attribute="service.industries")
    active = fields.Bool(attribute="service.active")
    rating = fields.Float(allow_none=True, metadata={"description": "average stars, 1–5"})
    rating_count = fields.Int()
    created_at = fields.DateTime(attribute="service.created_at")
    updated_at = fields.DateTime(attribute="service.updated_at")

    @pre_dump
    def _with_rating(self, obj: Any, **_: Any) -> DirectoryEntry:
        return services.entry_for(obj) if isinstance(obj, AgencyService) else obj


class AgencyServiceQuerySchema(Schema):
    kind = fields.Enum(ServiceKind, by_value=True, load_default=None)
    industry = fields.Str(load_default=None, validate=validate.OneOf(services.INDUSTRIES))
    region = fields.Str(load_default=None, validate=validate.Length(max=services.REGION_LENGTH))
    max_price = fields.Int(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "fen: services whose lowest price is at most this"},
    )
    sort = fields.Str(load_default="rating", validate=validate.OneOf(services.SORTS))
    mine = fields.Bool(
        load_default=False,
        metadata={"description": "the caller's agency's own services, deactivated ones too"},
    )
    page = fields.Int(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


class AgencyProfileSchema(Schema):
    id = fields.Int(attribute="org.id")
    name_zh = fields.Str(attribute="org.name_zh")
    name_en = fields.Str(attribute="org.name_en", allow_none=True)
    kind = fields.Enum(OrgKind, by_value=True, attribute="org.kind")
    region = fields.Str(attribute="org.region")
    rating = fields.Float(allow_none=True)
    rating_count = fields.Int()
    completed_orders = fields.Int()
    services = fields.Method("_services")

    def _services(self, profile: AgencyProfile) -> list[dict[str, Any]]:
        return [
            AgencyServiceSchema().dump(DirectoryEntry(s, profile.rating, profile.rating_count))
            for s in profile.services
        ]
