"""Finance API, for the operator's finance users: escrow balances, payouts and their
confirmation with the bank's reference, custody statement import."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from marketplace.core import policy
from marketplace.core.api import accepts_multipart, api_user
from marketplace.core.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.payments import custody, schemas, services
from marketplace.payments.models import Payout, PayoutStatus
from marketplace.payments.views import escrow_rows

finance_bp = Blueprint(
    "api_finance",
    __name__,
    url_prefix="/finance",
    description="The platform's money: escrow, payouts, custody statements (operator finance).",
)
blueprints = [finance_bp]


def _finance_user() -> Any:
    user = api_user()
    policy.authorize(user, "payments.finance")
    return user


@finance_bp.route("/escrow")
class Escrow(MethodView):
    @finance_bp.response(200, schemas.EscrowSchema(many=True))
    def get(self) -> Any:
        """Every escrow account holding money."""
        _finance_user()
        return escrow_rows()


@finance_bp.route("/payouts")
class Payouts(MethodView):
    @finance_bp.arguments(schemas.PayoutQuerySchema, location="query")
    @finance_bp.response(200, schemas.PayoutSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Payouts: pending bank transfers by default, ``?status=paid`` or ``all``."""
        _finance_user()
        query = sa.select(Payout).order_by(Payout.id)
        if args["status"] in ("pending", "paid"):
            query = query.where(Payout.status == PayoutStatus(args["status"]))
        return list(db.session.scalars(query.limit(500)))


@finance_bp.route("/payouts/<int:payout_id>/confirmation")
class PayoutConfirmation(MethodView):
    @finance_bp.arguments(schemas.ConfirmationInSchema)
    @finance_bp.response(200, schemas.PayoutSchema)
    def post(self, data: dict[str, Any], payout_id: int) -> Any:
        """Confirm a bank-transfer payout with the bank's reference."""
        user = _finance_user()
        payout = services.confirm_payout(
            services.get_payout(payout_id), bank_reference=data["bank_reference"], actor=user
        )
        db.session.commit()
        return payout


@finance_bp.route("/statements")
class Statements(MethodView):
    @accepts_multipart
    @finance_bp.response(200, schemas.ImportReportSchema)
    def post(self) -> Any:
        """Import a custody-account statement: multipart form with one ``statement`` CSV file."""
        user = _finance_user()
        upload = request.files.get("statement")
        if upload is None or not upload.filename:
            raise ValidationFailed(
                _("Attach the statement as a CSV file."),
                fields={"statement": [_("Attach the statement as a CSV file.")]},
            )
        report = custody.import_statement(upload.read(), actor=user)
        db.session.commit()
        return report
