"""marshmallow schemas of the finance API. Money is in fen (integers) with its currency."""

from __future__ import annotations

from marshmallow import Schema, fields

FEN = {"description": "fen (1/100 yuan)"}


class EscrowSchema(Schema):
    code = fields.Str(metadata={"description": "ledger account, e.g. escrow:deal:12"})
    subject = fields.Str(metadata={"description": "deal, order or royalty"})
    subject_id = fields.Int()
    deal_number = fields.Str(allow_none=True)
    balance = fields.Int(metadata=FEN)
    currency = fields.Str()


class PayoutSchema(Schema):
    id = fields.Int()
    deal_id = fields.Int(allow_none=True)
    payee_org_id = fields.Int()
    role = fields.Str()
    amount = fields.Int(metadata=FEN)
    currency = fields.Str()
    method = fields.Function(lambda p: p.method.value)
    status = fields.Function(lambda p: p.status.value)
    provider_ref = fields.Str(allow_none=True)
    bank_reference = fields.Str(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class PayoutQuerySchema(Schema):
    status = fields.Str(load_default="pending", metadata={"description": "pending, paid or all"})


class ConfirmationInSchema(Schema):
    bank_reference = fields.Str(required=True)


class ReportLineSchema(Schema):
    line_number = fields.Int()
    booked_on = fields.Date(allow_none=True)
    amount = fields.Int(allow_none=True, metadata=FEN)
    currency = fields.Str()
    reference = fields.Str()
    counterparty = fields.Str()
    payment_id = fields.Int(allow_none=True)
    reason = fields.Str(allow_none=True)


class ImportReportSchema(Schema):
    sha256 = fields.Str()
    already_imported = fields.Bool()
    matched = fields.List(fields.Nested(ReportLineSchema))
    unmatched = fields.List(fields.Nested(ReportLineSchema))
    skipped = fields.List(fields.Nested(ReportLineSchema))
