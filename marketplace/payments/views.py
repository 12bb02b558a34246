"""Payments on the web: Stripe's webhook, and the operator's finance pages (escrow balances,
payouts to confirm, custody statement import, reconciliation)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.accounts.models import Organisation
from marketplace.core import policy
from marketplace.core.errors import DomainError
from marketplace.core.forms import commit_step, show_error
from marketplace.extensions import db
from marketplace.payments import custody, gateway, services
from marketplace.payments.forms import ConfirmPayoutForm, StatementForm
from marketplace.payments.models import LedgerAccount, Payout, PayoutStatus

bp = Blueprint("payments", __name__, url_prefix="/finance")
#: Separate so that only the webhook is exempt from CSRF (Stripe signs it instead).
webhook_bp = Blueprint("payments_webhook", __name__, url_prefix="/payments")


@webhook_bp.post("/stripe/webhook")
def stripe_webhook() -> tuple[Response, int]:
    """Verify Stripe's signature, apply the event at most once, answer at once."""
    try:
        event = gateway.construct_event(
            request.get_data(cache=False), request.headers.get("Stripe-Signature")
        )
    except gateway.BadSignature as exc:
        current_app.logger.warning("Refused a Stripe webhook: %s", exc)
        return jsonify({"error": {"code": "bad_signature", "message": "bad signature"}}), 400
    outcome = services.handle_event(event)
    db.session.commit()
    return jsonify({"outcome": outcome}), 200


#: Why a statement line matched nothing (``custody.ReportLine.reason``).
REASON_LABELS = {
    "no_reference": _l("no payment reference in the memo"),
    "unknown_reference": _l("no payment has this reference"),
    "amount_differs": _l("the amount differs from the payment's"),
    "currency_differs": _l("the currency differs from the payment's"),
    "already_paid": _l("the payment was already received"),
    "unreadable": _l("the date or amount cannot be read"),
}


def _finance() -> None:
    policy.authorize(current_user, "payments.finance")


def escrow_rows() -> list[dict[str, Any]]:
    """Every escrow account holding money, with its deal's number where it is a deal's."""
    from marketplace.deals.models import Deal

    rows = []
    accounts = db.session.scalars(
        sa.select(LedgerAccount)
        .where(LedgerAccount.code.like("escrow:%"), LedgerAccount.balance != 0)
        .order_by(LedgerAccount.code)
    )
    for account in accounts:
        _escrow, subject, raw_id = account.code.split(":")
        deal = db.session.get(Deal, int(raw_id)) if subject == "deal" else None
        rows.append(
            {
                "code": account.code,
                "subject": subject,
                "subject_id": int(raw_id),
                "deal_number": deal.number if deal is not None else None,
                "balance": account.balance,
                "currency": account.currency,
            }
        )
    return rows


def pending_payouts() -> list[Payout]:
    return list(
        db.session.scalars(
            sa.select(Payout).where(Payout.status == PayoutStatus.PENDING).order_by(Payout.id)
        )
    )


def _page(statement_form: StatementForm | None = None, report: Any = None) -> str:
    payouts = pending_payouts()
    org_names = {
        org.id: org.name_zh
        for org in db.session.scalars(
            sa.select(Organisation).where(Organisation.id.in_({p.payee_org_id for p in payouts}))
        )
    }
    return render_template(
        "payments/finance.html",
        escrows=escrow_rows(),
        payouts=payouts,
        org_names=org_names,
        confirm_forms={p.id: ConfirmPayoutForm(prefix=f"payout-{p.id}") for p in payouts},
        statement_form=statement_form or StatementForm(),
        report=report,
        reason_labels=REASON_LABELS,
    )


@bp.get("")
@login_required
def finance() -> str:
    _finance()
    return _page()


@bp.post("/payouts/<int:payout_id>/confirm")
@login_required
def confirm_payout(payout_id: int) -> Any:
    _finance()
    payout = services.get_payout(payout_id)
    form = ConfirmPayoutForm(prefix=f"payout-{payout_id}")
    if form.validate_on_submit():
        commit_step(
            lambda: services.confirm_payout(
                payout, bank_reference=form.bank_reference.data or "", actor=current_user
            ),
            _("Payout confirmed."),
            form,
        )
    else:
        flash(_("Enter the bank's reference of the transfer."), "error")
    return redirect(url_for("payments.finance"))


@bp.post("/statements")
@login_required
def import_statement() -> Any:
    _finance()
    form = StatementForm()
    report = None
    if form.validate_on_submit():
        try:
            report = custody.import_statement(form.statement.data.read(), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            if report.already_imported:
                flash(_("This statement was imported before; nothing changed."), "info")
            else:
                flash(
                    _(
                        "Statement imported: %(matched)d matched, %(unmatched)d unmatched.",
                        matched=len(report.matched),
                        unmatched=len(report.unmatched),
                    ),
                    "success",
                )
    return _page(form, report)


@bp.get("/reconciliation")
@login_required
def reconciliation() -> str:
    _finance()
    try:
        differences = services.reconcile()
        error = None
    except DomainError as exc:
        differences, error = [], exc.message
    return render_template("payments/reconciliation.html", differences=differences, error=error)
