"""Pages of the risk-sharing schemes, for the town operator: the list, creating and editing a
scheme, and a scheme's report for one calendar year (page and CSV)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, Optional

from marketplace.core import policy
from marketplace.core.clock import today
from marketplace.core.errors import DomainError
from marketplace.core.forms import FiniteDecimalField, show_error
from marketplace.extensions import db
from marketplace.pledges import risk
from marketplace.pledges import risk_policy as _risk_policy  # noqa: F401  (registers the rules)
from marketplace.pledges.models import RiskScheme, SchemeKind
from marketplace.valuations.indicative import INDUSTRY_LABELS

bp = Blueprint("risk_schemes", __name__, url_prefix="/risk-sharing")

#: Years a report may be asked for; anything else shows the current year.
FIRST_YEAR, LAST_YEAR = 2000, 2100
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class SchemeForm(FlaskForm):
    # Field names follow the service's (share_bp, annual_cap) so that its errors land on the
    # right input, although the operator types a percentage and yuan.
    kind = SelectField(
        _l("Kind of scheme"),
        choices=[SelectChoice(kind.value, label) for kind, label in risk.KIND_LABELS.items()],
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[Length(max=risk.NAME_LENGTH)])
    name_en = StringField(
        _l("Name (English, optional)"), validators=[Optional(), Length(max=risk.NAME_LENGTH)]
    )
    share_bp = FiniteDecimalField(_l("Share covered (%)"), validators=[InputRequired()])
    annual_cap = FiniteDecimalField(_l("Annual cap (yuan)"), validators=[InputRequired()])
    regions = StringField(
        _l("Eligible regions (separated by ;)"), validators=[Optional(), Length(max=2000)]
    )
    industries = SelectMultipleField(
        _l("Eligible industries (none chosen: all industries)"),
        choices=[SelectChoice(key, label) for key, label in INDUSTRY_LABELS.items()],
        validators=[Optional()],
    )
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save scheme"))


def split_regions(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[;；,，、\n]", text or "") if p.strip())


def _hundredths(value: Decimal | None) -> int | None:
    """A percentage as basis points, or yuan as fen: the value × 100, which must be whole."""
    if value is None:
        return None
    try:
        scaled = value * 100
        if not scaled.is_finite() or scaled != scaled.to_integral_value():
            return None
    except InvalidOperation:
        return None
    return int(scaled)


def percent(share_bp: int) -> str:
    """``4000`` → ``40%``, ``3333`` → ``33.33%``, in the UI's number format."""
    return f"{format_decimal(Decimal(share_bp) / 100, format='#,##0.##')}%"


def _scheme_data(form: SchemeForm) -> risk.SchemeData | None:
    """The form as service input; None (with the field errors set) when an amount has more
    than two decimals."""
    share_bp = _hundredths(form.share_bp.data)
    annual_cap = _hundredths(form.annual_cap.data)
    if share_bp is None:
        form.share_bp.errors = [_("Enter the share in percent, with at most two decimals.")]
    if annual_cap is None:
        form.annual_cap.errors = [_("Enter the amount in yuan, with at most two decimals.")]
    if share_bp is None or annual_cap is None:
        return None
    return risk.SchemeData(
        kind=SchemeKind(form.kind.data),
        name_zh=form.name_zh.data or "",
        name_en=form.name_en.data or None,
        share_bp=share_bp,
        annual_cap=annual_cap,
        regions=split_regions(form.regions.data),
        industries=tuple(form.industries.data or ()),
        active=bool(form.active.data),
    )


def _scheme_or_404(scheme_id: int, action: str) -> RiskScheme:
    scheme: RiskScheme = policy.get_visible_or_404(current_user, RiskScheme, scheme_id)
    policy.authorize(current_user, action, scheme)
    return scheme


def _page_helpers() -> dict[str, Any]:
    return {
        "percent": percent,
        "kind_labels": risk.KIND_LABELS,
        "reason_labels": risk.REASON_LABELS,
        "industry_labels": INDUSTRY_LABELS,
    }


@bp.get("")
@login_required
def schemes() -> Any:
    policy.authorize(current_user, "risk_schemes.manage")
    return render_template(
        "pledges/risk_schemes.html",
        schemes=risk.all_schemes(),
        year=today().year,
        **_page_helpers(),
    )


def _save(form: SchemeForm, scheme: RiskScheme | None) -> RiskScheme | None:
    """Run the service for a valid form; the scheme saved, or None with the errors shown."""
    data = _scheme_data(form)
    if data is None:
        return None
    try:
        if scheme is None:
            scheme = risk.create_scheme(data, actor=current_user)
        else:
            risk.update_scheme(scheme, data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        show_error(form, exc)
        return None
    db.session.commit()
    return scheme


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_scheme() -> Any:
    policy.authorize(current_user, "risk_schemes.manage")
    form = SchemeForm()
    if form.validate_on_submit() and _save(form, None) is not None:
        flash(_("The scheme is saved."), "success")
        return redirect(url_for("risk_schemes.schemes"))
    return render_template("pledges/risk_scheme_form.html", form=form, scheme=None), (
        422 if form.errors else 200
    )


@bp.route("/<int:scheme_id>/edit", methods=["GET", "POST"])
@login_required
def edit_scheme(scheme_id: int) -> Any:
    scheme = _scheme_or_404(scheme_id, "edit")
    form = SchemeForm()
    form.submit.label.text = _("Save changes")
    if request.method == "GET":
        form.kind.data = scheme.kind.value
        form.name_zh.data = scheme.name_zh
        form.name_en.data = scheme.name_en
        form.share_bp.data = Decimal(scheme.share_bp) / 100
        form.annual_cap.data = Decimal(scheme.annual_cap) / 100
        form.regions.data = "; ".join(scheme.regions)
        form.industries.data = list(scheme.industries)
        form.active.data = scheme.active
    if form.validate_on_submit() and _save(form, scheme) is not None:
        flash(_("The scheme is updated."), "success")
        return redirect(url_for("risk_schemes.schemes"))
    return render_template("pledges/risk_scheme_form.html", form=form, scheme=scheme), (
        422 if form.errors else 200
    )


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else today().year


@bp.get("/<int:scheme_id>/report")
@login_required
def report(scheme_id: int) -> Any:
    scheme = _scheme_or_404(scheme_id, "report")
    year = _year()
    lines = risk.scheme_report(scheme, year)
    return render_template(
        "pledges/risk_report.html",
        scheme=scheme,
        year=year,
        lines=lines,
        totals=risk.totals(lines, scheme.annual_cap),
        **_page_helpers(),
    )


def _yuan_text(fen: int) -> str:
    """Exact yuan with two decimals, without floats: ``123456`` → ``1234.56``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _defuse(text: str) -> str:
    """Quote text a spreadsheet would run as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


CSV_COLUMNS = (
    "pledge_number",
    "pledgor",
    "eligible",
    "reasons",
    "event_on",
    "basis_yuan",
    "claim_yuan",
    "paid_yuan",
    "cap_left_yuan",
)


def report_csv(lines: list[risk.SupportLine]) -> bytes:
    """The report's lines as CSV, UTF-8 with a BOM so that Excel shows the Chinese correctly;
    amounts in yuan with two decimals, reasons as readable text."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow(
            [
                _defuse(line.number),
                _defuse(line.pledgor),
                "yes" if line.eligible else "no",
                "; ".join(str(risk.REASON_LABELS[r]) for r in line.reasons),
                line.event_on.isoformat() if line.event_on else "",
                _yuan_text(line.basis),
                _yuan_text(line.claim),
                _yuan_text(line.paid),
                _yuan_text(line.cap_left),
            ]
        )
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


@bp.get("/<int:scheme_id>/report.csv")
@login_required
def report_download(scheme_id: int) -> Response:
    scheme = _scheme_or_404(scheme_id, "report")
    year = _year()
    return Response(
        report_csv(risk.scheme_report(scheme, year)),
        mimetype="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="risk-scheme-{scheme.id}-{year}.csv"'
        },
    )
