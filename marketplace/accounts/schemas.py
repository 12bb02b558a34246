"""marshmallow schemas for the accounts API. Unknown fields are refused (422)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.accounts.models import OrgKind, OrgStatus, Role


class OrganisationSchema(Schema):
    id = fields.Int(dump_only=True)
    kind = fields.Enum(OrgKind, by_value=True, required=True)
    name_zh = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=200))
    region = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    identity_number = fields.Str(required=True, load_only=True, validate=validate.Length(max=30))
    masked_identity_number = fields.Str(dump_only=True, data_key="identity_number_display")
    status = fields.Enum(OrgStatus, by_value=True, dump_only=True)
    category = fields.Str(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class MemberSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)
    email = fields.Str(dump_only=True)
    role = fields.Enum(Role, by_value=True, dump_only=True)


class MeSchema(MemberSchema):
    locale = fields.Str(dump_only=True, allow_none=True)
    organisation = fields.Nested(OrganisationSchema, dump_only=True, allow_none=True)


class OrganisationDecisionSchema(Schema):
    status = fields.Enum(
        OrgStatus,
        by_value=True,
        required=True,
        validate=validate.OneOf([OrgStatus.VERIFIED, OrgStatus.REJECTED, OrgStatus.SUSPENDED]),
    )
    reason = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))


class InvitationCreateSchema(Schema):
    email = fields.Email(required=True)
    role = fields.Enum(Role, by_value=True, load_default=Role.MEMBER)


class InvitationSchema(Schema):
    id = fields.Int()
    email = fields.Str()
    role = fields.Enum(Role, by_value=True)
    expires_at = fields.DateTime()


class TokenCreateSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    days = fields.Int(load_default=None, validate=validate.Range(min=1, max=365))


class TokenSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    prefix = fields.Str()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    #: Shown once, in the response to the create call; only its hash is stored.
    token = fields.Str(attribute="secret")
