"""marshmallow schemas of the risk-sharing API. Money is in fen (integers), shares in basis
points (10 000 = 100 %)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.pledges import risk
from marketplace.pledges.models import SchemeKind

FEN = {"description": "fen (1/100 yuan)"}
BP = {"description": "basis points: 4000 = 40 %"}


class RiskSchemeInSchema(Schema):
    """A scheme as the operator configures it; the service checks ranges and industries."""

    kind = fields.Enum(SchemeKind, by_value=True, required=True)
    name_zh = fields.Str(required=True)
    name_en = fields.Str(load_default=None, allow_none=True)
    share_bp = fields.Int(
        strict=True,
        required=True,
        metadata={
            "description": "share of the principal lost (compensation) or of the "
            "interest paid (subsidy), in basis points: 4000 = 40 %"
        },
    )
    annual_cap = fields.Int(
        strict=True, required=True, metadata={"description": "fen paid at most per calendar year"}
    )
    regions = fields.List(
        fields.Str(),
        load_default=list,
        metadata={"description": "a pledgor qualifies when its region contains one; empty: all"},
    )
    industries = fields.List(
        fields.Str(),
        load_default=list,
        metadata={"description": f"any of {', '.join(risk.INDUSTRIES)}; empty: all"},
    )
    active = fields.Bool(load_default=True)


class RiskSchemeSchema(Schema):
    id = fields.Int()
    kind = fields.Enum(SchemeKind, by_value=True)
    name_zh = fields.Str()
    name_en = fields.Str(allow_none=True)
    share_bp = fields.Int(metadata=BP)
    annual_cap = fields.Int(metadata=FEN)
    currency = fields.Constant(risk.SCHEME_CURRENCY)
    regions = fields.List(fields.Str())
    industries = fields.List(fields.Str())
    active = fields.Bool()
    created_at = fields.DateTime()


class ReportQuerySchema(Schema):
    year = fields.Int(
        load_default=None,
        validate=validate.Range(min=2000, max=2100),
        metadata={"description": "calendar year; default: the current year (Beijing)"},
    )


class SupportLineSchema(Schema):
    pledge_id = fields.Int()
    number = fields.Str()
    pledgor = fields.Str()
    eligible = fields.Bool()
    reasons = fields.List(
        fields.Str(),
        metadata={"description": f"why not eligible: {', '.join(r.value for r in risk.Reason)}"},
    )
    event_on = fields.Date(
        allow_none=True,
        metadata={"description": "first interest payment of the year, or default day"},
    )
    basis = fields.Int(metadata=FEN)
    claim = fields.Int(metadata={"description": "fen: basis × share, rounded down"})
    paid = fields.Int(metadata={"description": "fen: the claim as far as the annual cap lasts"})
    cap_left = fields.Int(metadata={"description": "fen of the annual cap left after this line"})
    capped = fields.Bool()


class SchemeReportSchema(Schema):
    """A scheme's report for one year: totals and one line per loan with something that year,
    in the order the annual cap pays them."""

    scheme_id = fields.Int(attribute="scheme.id")
    kind = fields.Enum(SchemeKind, by_value=True, attribute="scheme.kind")
    share_bp = fields.Int(attribute="scheme.share_bp", metadata=BP)
    year = fields.Int()
    annual_cap = fields.Int(attribute="totals.annual_cap", metadata=FEN)
    basis = fields.Int(attribute="totals.basis", metadata=FEN)
    claim = fields.Int(attribute="totals.claim", metadata=FEN)
    paid = fields.Int(attribute="totals.paid", metadata=FEN)
    cap_used = fields.Int(attribute="totals.cap_used", metadata=FEN)
    cap_left = fields.Int(attribute="totals.cap_left", metadata=FEN)
    lines = fields.List(fields.Nested(SupportLineSchema))
