"""The appraiser's workbench and the report pages (HTML, PDF download, hash check)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.forms import ConfirmForm
from marketplace.core import policy
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.core.forms import show_error
from marketplace.extensions import db
from marketplace.orders.models import ServiceOrder
from marketplace.valuations import services, workbench
from marketplace.valuations.labels import BASIS_LABELS, INPUT_LABELS, METHOD_LABELS
from marketplace.valuations.models import Report, ValueBasis

bp = Blueprint("valuations", __name__)

#: Rates are typed as percentages in the form and stored as fractions.
PERCENT = 100.0


def _number(text: str | None) -> float | None:
    text = (text or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(text) from None


def parse_form(form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The workbench form as the stored draft (fractions for rates), and any unreadable field."""
    problems: dict[str, list[str]] = {}
    methods: dict[str, Any] = {}
    for key, spec in workbench.METHODS.items():
        if not form.get(f"{key}.enabled"):
            continue
        weight = form.get(f"{key}.weight")
        try:
            weight_value = (_number(weight) or 0.0) / PERCENT
        except ValueError:
            problems[f"{key}.weight"] = [_("Enter a number.")]
            weight_value = 0.0
        inputs: dict[str, Any] = {}
        for item in spec.inputs:
            entry: dict[str, Any] = {
                "source": (form.get(f"{key}.{item.name}.source") or "").strip()
            }
            for part in ("value", "low", "high"):
                try:
                    number = _number(form.get(f"{key}.{item.name}.{part}"))
                except ValueError:
                    problems[f"{key}.{item.name}"] = [_("Enter a number.")]
                    number = None
                if number is not None and item.kind == "rate":
                    number /= PERCENT
                entry[part] = number
            inputs[item.name] = entry
        methods[key] = {"weight": weight_value, "inputs": inputs}
    try:
        life = _number(form.get("life_years"))
    except ValueError:
        problems["life_years"] = [_("Enter a number.")]
        life = None
    return {"methods": methods, "life_years": life}, problems


def _display(value: Any, kind: str) -> str:
    if value is None or value == "":
        return ""
    number = float(value) * (PERCENT if kind == "rate" else 1)
    return f"{number:.10g}"


@bp.route("/orders/<int:order_id>/workbench", methods=["GET", "POST"])
@login_required
def workbench_page(order_id: int) -> Any:
    order = policy.get_visible_or_404(current_user, ServiceOrder, order_id)
    policy.authorize(current_user, "appraise", order)  # before the appraisal is created
    appraisal = services.appraisal_for(order)
    result = None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        ConfirmForm().validate_on_submit()  # CSRF checked by the extension before this view
        draft, errors = parse_form(request.form)
        basis = ValueBasis(request.form.get("basis", "market_value"))
        try:
            percentile = int(request.form.get("pledge_percentile") or 20)
        except ValueError:
            percentile = 20
        value_date = None
        if request.form.get("value_date"):
            try:
                value_date = date.fromisoformat(request.form["value_date"])
            except ValueError:
                errors["value_date"] = [_("Enter a date.")]
        if not errors:
            try:
                result = services.save_draft(
                    appraisal,
                    actor=current_user,
                    inputs=draft,
                    basis=basis,
                    pledge_percentile=percentile,
                    value_date=value_date,
                )
                if request.form.get("action") == "sign":
                    report = services.sign_report(appraisal, actor=current_user)
                    db.session.commit()
                    flash(
                        _("Report %(number)s is signed and delivered.", number=report.number),
                        "success",
                    )
                    return redirect(url_for("valuations.report_page", report_id=report.id))
            except ValidationFailed as exc:
                # Keep the draft the appraiser typed even when it cannot be valued yet.
                errors = exc.fields
                db.session.commit()
                flash(exc.message, "error")
            except DomainError as exc:
                db.session.rollback()
                show_error(None, exc)
            else:
                db.session.commit()
                flash(_("Draft saved."), "success")
        else:
            flash(_("Please correct the highlighted fields."), "error")
    elif appraisal.inputs.get("methods"):
        try:
            result = services.evaluate(appraisal)
        except ValidationFailed:
            result = None  # an unfinished draft: its problems show when it is saved
    return render_template(
        "valuations/workbench.html",
        order=order,
        appraisal=appraisal,
        methods=workbench.METHODS,
        method_labels=METHOD_LABELS,
        input_labels=INPUT_LABELS,
        basis_labels=BASIS_LABELS,
        display=_display,
        result=result,
        charts=services.svg_charts(result) if result else [],
        input_label=services.input_label,
        errors=errors,
        confirm_form=ConfirmForm(),
    ), (422 if errors and request.method == "POST" else 200)


@bp.post("/orders/<int:order_id>/revise")
@login_required
def revise(order_id: int) -> Any:
    order = policy.get_visible_or_404(current_user, ServiceOrder, order_id)
    appraisal = services.appraisal_for(order)
    policy.authorize(current_user, "revise", appraisal)
    services.revise(appraisal, actor=current_user)
    db.session.commit()
    flash(_("The appraisal is open again; signing it will supersede the earlier report."), "info")
    return redirect(url_for("valuations.workbench_page", order_id=order_id))


@bp.get("/reports/<int:report_id>")
@login_required
def report_page(report_id: int) -> Any:
    report = policy.get_visible_or_404(current_user, Report, report_id)
    return render_template(
        "valuations/report.html",
        report=report,
        order=report.appraisal.order,
        confirm_form=ConfirmForm(),
        basis_labels=BASIS_LABELS,
        check=None,
    )


@bp.get("/reports/<int:report_id>/pdf")
@login_required
def report_pdf(report_id: int) -> Response:
    report = policy.get_visible_or_404(current_user, Report, report_id)
    policy.authorize(current_user, "download", report)
    return Response(
        report.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{report.number}.pdf"',
            "X-Content-SHA256": report.sha256,
        },
    )


@bp.post("/reports/<int:report_id>/verify")
@login_required
def verify(report_id: int) -> Any:
    """Does a file someone holds match the signed report? Compared by SHA-256."""
    report = policy.get_visible_or_404(current_user, Report, report_id)
    policy.authorize(current_user, "verify", report)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose the file to check."), "error")
        return redirect(url_for("valuations.report_page", report_id=report_id))
    data = upload.read()
    check = {
        "matches": services.matches(report, data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "filename": upload.filename,
    }
    return render_template(
        "valuations/report.html",
        report=report,
        order=report.appraisal.order,
        confirm_form=ConfirmForm(),
        basis_labels=BASIS_LABELS,
        check=check,
    )
