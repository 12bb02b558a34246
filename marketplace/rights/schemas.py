"""marshmallow schemas of the rights API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.rights.kinds import RightKind
from marketplace.rights.models import FULL_SHARE, ClaimStatus, EvidenceKind, RightStatus


class OwnerSchema(Schema):
    organisation_id = fields.Int()
    organisation = fields.Function(lambda o: o.organisation.name_zh)
    share = fields.Int(metadata={"description": "basis points; 10000 = 100 %"})
    verified = fields.Function(lambda o: o.verified_at is not None)


class RightSchema(Schema):
    """A right as its owners see it. Dates are ISO dates (Beijing calendar)."""

    id = fields.Int(dump_only=True)
    kind = fields.Enum(RightKind, by_value=True, required=True)
    number = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    title_zh = fields.Str(required=True, validate=validate.Length(min=1, max=300))
    title_en = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=300))
    abstract = fields.Str(load_default=None, allow_none=True)
    industry = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    filing_date = fields.Date(load_default=None, allow_none=True)
    grant_date = fields.Date(load_default=None, allow_none=True)
    registration_date = fields.Date(load_default=None, allow_none=True)
    publication_number = fields.Str(load_default=None, allow_none=True)
    paid_through = fields.Date(load_default=None, allow_none=True)
    ipc_codes = fields.List(fields.Str(), load_default=list)
    locarno_class = fields.Str(load_default=None, allow_none=True)
    nice_classes = fields.List(fields.Int(), load_default=list)
    inventors = fields.List(fields.Str(), load_default=list)
    claim_count = fields.Int(load_default=None, allow_none=True)
    family_members = fields.List(fields.Str(), load_default=list)
    forward_citations = fields.Int(load_default=0, validate=validate.Range(min=0))
    status = fields.Enum(RightStatus, by_value=True, dump_only=True)
    status_since = fields.Date(dump_only=True, allow_none=True)
    expires_on = fields.Method("_expires_on", dump_only=True)
    owners = fields.List(fields.Nested(OwnerSchema), dump_only=True)

    def _expires_on(self, right: object) -> str | None:
        from marketplace.rights import services

        try:
            end = services.expiry_of(right)  # type: ignore[arg-type]
        except ValueError:
            return None
        return end.isoformat() if end else None


class RightQuerySchema(Schema):
    kind = fields.Enum(RightKind, by_value=True, load_default=None)
    status = fields.Enum(RightStatus, by_value=True, load_default=None)
    q = fields.Str(load_default=None)
    page = fields.Int(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


class EvidenceSchema(Schema):
    id = fields.Int()
    kind = fields.Enum(EvidenceKind, by_value=True)
    filename = fields.Str()
    content_type = fields.Str()
    size = fields.Int()
    sha256 = fields.Str()


class ClaimSchema(Schema):
    id = fields.Int()
    right_id = fields.Int()
    number = fields.Function(lambda c: c.right.number)
    organisation_id = fields.Int()
    reviewer_org_id = fields.Int(allow_none=True)
    share = fields.Int()
    status = fields.Enum(ClaimStatus, by_value=True)
    reason = fields.Str(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceSchema))


class ClaimFormSchema(Schema):
    """Multipart form fields of a new claim; files go in ``evidence`` parts."""

    kind = fields.Enum(RightKind, by_value=True, required=True)
    number = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    title_zh = fields.Str(load_default="")
    reviewer_org_id = fields.Int(load_default=None, allow_none=True)
    share = fields.Int(load_default=FULL_SHARE, validate=validate.Range(min=1, max=FULL_SHARE))
    evidence_kind = fields.Enum(EvidenceKind, by_value=True, load_default=EvidenceKind.CERTIFICATE)
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class DecisionSchema(Schema):
    verify = fields.Bool(required=True)
    reason = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=1000))
