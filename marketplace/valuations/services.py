"""Appraisal rules: the workbench draft, signing a report (frozen inputs, numbered, HTML and
PDF, SHA-256 in the audit trail), superseding it, and checking a downloaded file.

Every function flushes and never commits; the caller commits once.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from marketplace.accounts.models import User
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.core.money import fen_from_yuan, format_money
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import OrderStatus, ServiceKind, ServiceOrder
from marketplace.rights import services as rights_services
from marketplace.valuations import charts, workbench
from marketplace.valuations.models import Appraisal, Report, ReportStatus, ValueBasis

#: A report is valid for one year from its value date.
VALIDITY = timedelta(days=365)


def appraisal_for(order: ServiceOrder) -> Appraisal:
    """The order's appraisal, created with a starting draft the first time it is opened."""
    if order.kind is not ServiceKind.VALUATION:
        raise Conflict(_("Only valuation orders have an appraisal."))
    appraisal = db.session.query(Appraisal).filter_by(order_id=order.id).one_or_none()
    if appraisal is None:
        appraisal = Appraisal(order=order, inputs=starting_inputs(order), seed=1000 + order.id)
        db.session.add(appraisal)
        db.session.flush()
    return appraisal


def economic_life(order: ServiceOrder) -> float | None:
    """The shortest remaining legal term of the order's rights, in years."""
    years = []
    for right in order.rights:
        try:
            remaining = rights_services.remaining(right)
        except ValueError:
            continue
        if remaining is not None:
            years.append(round(remaining.days / 365.25, 2))
    return min(years) if years else None


def starting_inputs(order: ServiceOrder) -> dict[str, Any]:
    life = economic_life(order)
    years = max(1, min(int(life or 10), 20))
    return {
        "life_years": life,
        "methods": {
            "relief_from_royalty": {
                "weight": 1.0,
                "inputs": {
                    "tax_rate": {"value": 0.25, "source": "《企业所得税法》第四条 法定税率"},
                    "years": {"value": years, "source": "权利剩余法定期限"},
                },
            },
        },
    }


def workbench_input(
    appraisal: Appraisal, data: dict[str, Any] | None = None
) -> workbench.WorkbenchInput:
    """The stored (or given) draft as the workbench's typed input.

    :raises ValidationFailed: the draft cannot be valued; ``fields`` names ``method.input``.
    """
    data = appraisal.inputs if data is None else data
    methods = []
    problems: dict[str, list[str]] = {}
    for key, method in (data.get("methods") or {}).items():
        if key not in workbench.METHODS:
            problems[key] = [_("Unknown method.")]
            continue
        values = {}
        for spec in workbench.METHODS[key].inputs:
            raw = (method.get("inputs") or {}).get(spec.name)
            if raw is None or raw.get("value") in (None, ""):
                problems[f"{key}.{spec.name}"] = [_("Enter this input.")]
                continue
            values[spec.name] = workbench.InputValue(
                value=float(raw["value"]),
                source=str(raw.get("source") or ""),
                low=None if raw.get("low") in (None, "") else float(raw["low"]),
                high=None if raw.get("high") in (None, "") else float(raw["high"]),
            )
        methods.append(workbench.MethodInput(key, float(method.get("weight", 0)), values))
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    return workbench.WorkbenchInput(
        methods=tuple(methods),
        basis=appraisal.basis.value,  # type: ignore[arg-type]
        pledge_percentile=appraisal.pledge_percentile,
        life_years=data.get("life_years"),
        seed=appraisal.seed,
    )


def evaluate(appraisal: Appraisal, data: dict[str, Any] | None = None) -> workbench.WorkbenchResult:
    """:raises ValidationFailed: with the workbench's or the library's reason per field."""
    typed = workbench_input(appraisal, data)
    try:
        return workbench.evaluate(typed)
    except workbench.WorkbenchError as exc:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={name: [message] for name, message in exc.fields.items()},
        ) from None
    except ValueError as exc:
        raise ValidationFailed(str(exc), fields={"methods": [str(exc)]}) from None


def save_draft(
    appraisal: Appraisal,
    *,
    actor: User,
    inputs: dict[str, Any],
    basis: ValueBasis,
    pledge_percentile: int,
    value_date: date | None = None,
) -> workbench.WorkbenchResult | None:
    """Store the draft (even an incomplete one) and, when it can be valued, its result.

    The first save starts the work on an accepted order.
    """
    order = appraisal.order
    if order.status is OrderStatus.ACCEPTED:
        orders.start_work(order, actor=actor)
    if order.status is not OrderStatus.IN_PROGRESS:
        raise Conflict(_("The appraisal can be edited only while the order is in progress."))
    appraisal.inputs = inputs
    appraisal.basis = basis
    appraisal.pledge_percentile = pledge_percentile
    appraisal.value_date = value_date
    db.session.flush()
    return evaluate(appraisal)


def sign_report(appraisal: Appraisal, *, actor: User) -> Report:
    """Freeze the draft into a numbered report (HTML and PDF), record its SHA-256 in the audit
    trail, supersede the previous version, and deliver the order.

    :raises Conflict: the order is not in progress.
    :raises ValidationFailed: the draft cannot be valued.
    """
    order = appraisal.order
    if order.status is not OrderStatus.IN_PROGRESS:
        raise Conflict(_("A report can be signed only while the order is in progress."))
    result = evaluate(appraisal)
    previous = appraisal.current_report
    version = len(appraisal.reports) + 1
    value_date = appraisal.value_date or today()
    report = Report(
        appraisal=appraisal,
        number=f"IPT-V-{value_date.year}-{order.id:06d}-{version}",
        version=version,
        supersedes=previous,
        basis=appraisal.basis,
        concluded_value=fen_from_yuan(result.concluded),
        low=fen_from_yuan(result.low),
        mid=fen_from_yuan(result.mid),
        high=fen_from_yuan(result.high),
        value_date=value_date,
        valid_until=value_date + VALIDITY,
        inputs=audit.jsonable(appraisal.inputs),
        results=summary(result),
        signed_by=actor,
        signed_at=utcnow(),
        html="",
        pdf=b"",
        sha256="",
    )
    # Reports are written in Chinese; nothing is flushed until the report is complete.
    with force_locale("zh"), db.session.no_autoflush:
        report.html = render_report_html(report, order, result)
        report.pdf = render_report_pdf(report, order, result)
    report.sha256 = hashlib.sha256(report.pdf).hexdigest()
    db.session.add(report)
    if previous is not None:
        previous.status = ReportStatus.SUPERSEDED
        audit.record(
            "report.superseded", previous, actor=actor, after={"superseded_by": report.number}
        )
    db.session.flush()
    audit.record(
        "report.signed",
        report,
        actor=actor,
        organisation=actor.organisation,
        after={
            "number": report.number,
            "sha256": report.sha256,
            "concluded_value": report.concluded_value,
            "low": report.low,
            "high": report.high,
            "basis": report.basis,
        },
    )
    orders.deliver(order, actor=actor, report=report.number)
    return report


def revise(appraisal: Appraisal, *, actor: User) -> None:
    """After the client disputes a delivery, the appraiser reopens the work; signing again
    supersedes the earlier report (which itself never changes)."""
    orders.resume_work(appraisal.order, actor=actor)


def matches(report: Report, data: bytes) -> bool:
    """Whether ``data`` is exactly the signed PDF (by SHA-256)."""
    return hashlib.sha256(data).hexdigest() == report.sha256


def summary(result: workbench.WorkbenchResult) -> dict[str, Any]:
    """The computed figures to freeze with the report (fen for money)."""
    distribution = result.distribution
    return {
        "methods": [
            {"key": m.key, "weight": m.weight, "value": fen_from_yuan(m.value)}
            for m in result.methods
        ],
        "reconciled": fen_from_yuan(result.reconciled),
        "concluded": fen_from_yuan(result.concluded),
        "percentiles": None
        if distribution is None
        else {name: fen_from_yuan(value) for name, value in distribution.percentiles().items()},
        "trials": None if distribution is None else distribution.trials,
        "seed": None if distribution is None else distribution.seed,
        "tornado": [asdict(row) for row in result.tornado],
        "notes": list(result.notes),
    }


def report_charts(result: workbench.WorkbenchResult) -> list[charts.Chart]:
    from marketplace.valuations.labels import METHOD_LABELS

    items: list[charts.Chart] = []
    if result.distribution is not None:
        items.append(charts.histogram_chart(result.distribution, title=_("Value distribution")))
    if result.tornado:
        labels = {row.name: input_label(row.name) for row in result.tornado}
        items.append(
            charts.tornado_chart(
                result.tornado,
                base=result.tornado_base,
                title=_("Sensitivity (tornado)"),
                labels=labels,
            )
        )
    for method in result.methods:
        if method.schedule is not None:
            items.append(
                charts.cash_flow_chart(
                    method.schedule,
                    title=_("Cash flows: %(method)s", method=METHOD_LABELS[method.key]),
                )
            )
            break
    return items


def input_label(name: str) -> str:
    """``relief_from_royalty__royalty_rate`` → "Relief from royalty: Royalty rate"."""
    from marketplace.valuations.labels import INPUT_LABELS, METHOD_LABELS

    method, _sep, item = name.partition("__")
    return _("%(method)s: %(input)s", method=METHOD_LABELS[method], input=INPUT_LABELS[item])


def _limiting_conditions() -> list[str]:
    from marketplace.valuations.labels import LIMITING_CONDITIONS

    return [str(text) for text in LIMITING_CONDITIONS]


def render_report_html(
    report: Report, order: ServiceOrder, result: workbench.WorkbenchResult
) -> str:
    from marketplace.valuations.labels import BASIS_LABELS, INPUT_LABELS, METHOD_LABELS

    return render_template(
        "valuations/report_body.html",
        report=report,
        order=order,
        result=result,
        charts=report_charts(result),
        to_svg=charts.to_svg,
        methods=workbench.METHODS,
        method_labels=METHOD_LABELS,
        input_labels=INPUT_LABELS,
        basis_labels=BASIS_LABELS,
        format_input=format_input,
        limiting_conditions=_limiting_conditions(),
    )


def render_report_pdf(
    report: Report, order: ServiceOrder, result: workbench.WorkbenchResult
) -> bytes:
    from marketplace.rights.labels import RIGHT_KIND_LABELS
    from marketplace.valuations import report_pdf
    from marketplace.valuations.labels import (
        BASIS_LABELS,
        INPUT_LABELS,
        METHOD_LABELS,
        PURPOSE_LABELS,
    )

    methods = []
    inputs = report.inputs.get("methods", {})
    for method in result.methods:
        spec = workbench.METHODS[method.key]
        lines = tuple(
            report_pdf.InputLine(
                label=str(INPUT_LABELS[item.name]),
                value=format_input(item, inputs[method.key]["inputs"][item.name]),
                source=str(inputs[method.key]["inputs"][item.name].get("source", "")),
            )
            for item in spec.inputs
        )
        schedule: tuple[tuple[str, ...], ...] = ()
        if method.schedule is not None:
            schedule = (
                ("年度", "收益", "折现系数", "现值"),
                *tuple(
                    (
                        str(row.year),
                        format_money(fen_from_yuan(row.cash_flow)),
                        f"{row.discount_factor:.4f}",
                        format_money(fen_from_yuan(row.present_value)),
                    )
                    for row in method.schedule.schedule
                ),
            )
        methods.append(
            report_pdf.MethodSection(
                name=str(METHOD_LABELS[method.key]),
                formula=spec.formula,
                inputs=lines,
                result=format_money(fen_from_yuan(method.value)),
                weight=f"{method.weight:.0%}",
                schedule=schedule,
            )
        )
    right_lines = tuple(
        (str(RIGHT_KIND_LABELS[right.kind]), f"{right.display_number} {right.title_zh}")
        for right in order.rights
    )
    content = report_pdf.ReportContent(
        number=report.number,
        version=report.version,
        supersedes=report.supersedes.number if report.supersedes else None,
        title="知识产权价值评估报告",
        right_lines=right_lines,
        orderer=order.orderer_org.name_zh,
        appraiser_org=order.provider_org.name_zh if order.provider_org else "",
        appraiser_person=report.signed_by.name,
        purpose=str(PURPOSE_LABELS[order.purpose]) if order.purpose else "",
        basis=str(BASIS_LABELS[report.basis]),
        value_date=report.value_date.isoformat(),
        signed_at=report.signed_at.astimezone(rights_services.BEIJING).strftime("%Y-%m-%d %H:%M"),
        valid_until=report.valid_until.isoformat(),
        concluded_value=format_money(report.concluded_value),
        value_range=f"{format_money(report.low)} – {format_money(report.high)}（P10–P90）",
        methods=tuple(methods),
        reconciliation=reconciliation_text(report, result),
        charts=tuple(report_charts(result)),
        limiting_conditions=tuple(_limiting_conditions()),
    )
    return report_pdf.render_pdf(content)


def format_input(spec: workbench.InputSpec, raw: dict[str, Any]) -> str:
    def one(value: Any) -> str:
        number = float(value)
        if spec.kind == "rate":
            return f"{number:.2%}"
        if spec.kind == "money":
            return format_money(fen_from_yuan(number))
        return f"{number:g}"

    text = one(raw["value"])
    if raw.get("low") not in (None, "") and raw.get("high") not in (None, ""):
        text += f"（{one(raw['low'])} – {one(raw['high'])}）"
    return text


def reconciliation_text(report: Report, result: workbench.WorkbenchResult) -> str:
    from marketplace.valuations.labels import METHOD_LABELS

    parts = "；".join(
        f"{METHOD_LABELS[m.key]} {format_money(fen_from_yuan(m.value))} × {m.weight:.0%}"
        for m in result.methods
    )
    text = f"加权结果：{parts}，合计 {format_money(fen_from_yuan(result.reconciled))}。"
    if report.basis is ValueBasis.PLEDGE_VALUE:
        text += (
            f"质押价值取模拟分布的 P{result.pledge_percentile} 与加权结果中的较低者："
            f"{format_money(report.concluded_value)}。"
        )
    return text


def svg_charts(result: workbench.WorkbenchResult) -> list[Markup]:
    return [charts.to_svg(chart) for chart in report_charts(result)]
