"""The collateral dossier as a Chinese PDF for the bank's credit file: the application, every
right with its ownership, legal status, fees, licences, disputes, reports and registration
grounds, the collateral units with their factors, and the suggested loan with the risk grade.

The content comes from :func:`services.build_dossier`, whose messages are translated when it
runs: :func:`render_dossier` builds it under the Chinese locale."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.core.clock import today
from marketplace.core.money import format_money
from marketplace.pledges import documents, services
from marketplace.pledges.labels import APPLICATION_STATUS_LABELS, CONSENT_GROUND_LABELS
from marketplace.pledges.models import LoanReview
from marketplace.rights.labels import RIGHT_KIND_LABELS, RIGHT_STATUS_LABELS
from marketplace.rights.models import EXCLUSIVE_TYPES, FULL_SHARE, RightEvent, RightStatus
from marketplace.valuations.labels import BASIS_LABELS

OUTCOMES = {
    services.Outcome.PASS: "通过",
    services.Outcome.WARNING: "提示",
    services.Outcome.FAIL: "不通过",
}
LICENCE_TYPES = {
    "exclusive": "独占",
    "sole": "排他",
    "non_exclusive": "普通",
    "open_licence": "开放",
}


def event_label(event: RightEvent) -> str:
    """A right's register event in words (the rights pages' wording), in the current locale."""
    to = event.detail.get("to")
    if event.event == "status_changed" and to in {s.value for s in RightStatus}:
        return _("Status: %(status)s", status=RIGHT_STATUS_LABELS[RightStatus(to)])
    labels = {
        "fee_paid": _("Annual fee paid"),
        "invalidation_requested": _("Invalidation requested"),
        "invalidation_rejected": _("Invalidation request rejected"),
        "invalidated": _("Invalidated"),
        "partially_invalidated": _("Partially invalidated"),
        "suspended": _("Procedures suspended"),
        "suspension_lifted": _("Suspension lifted"),
        "granted": _("Granted"),
        "restored": _("Restored"),
    }
    return labels.get(event.event, event.event)


def _day(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def _share(share: int) -> str:
    return f"{share * 100 / FULL_SHARE:.2f}%"


def _bp(value: int | None) -> str:
    return "—" if value is None else f"{value / 100:.2f}%"


def _table(
    header: Sequence[str], rows: list[list[str]], widths: Sequence[float] = ()
) -> list[documents.Table]:
    """A table, or none when it would have no rows (an empty grid says less than "无")."""
    return [documents.Table(header=header, rows=rows, widths=widths)] if rows else []


def _application_section(dossier: services.Dossier) -> documents.Section:
    application = dossier.application
    org = application.applicant_org
    return documents.Section(
        "申请概况",
        pairs=[
            ("申请编号", application.number or "—"),
            ("申请人", org.name_zh),
            ("统一社会信用代码 / 身份证号", org.masked_identity_number),
            ("审查银行", dossier.bank.name_zh),
            ("申请金额", format_money(application.amount)),
            ("申请期限", f"{application.term_months} 个月"),
            ("审查期限", f"{dossier.loan_months} 个月，到期日 {_day(dossier.matures_on)}"),
            ("贷款用途", application.purpose),
            ("申请状态", str(APPLICATION_STATUS_LABELS[application.status])),
        ],
    )


def _right_section(file: services.RightDossier, dossier: services.Dossier) -> documents.Section:
    right = file.right
    labels = services.ground_labels()
    fee = file.fee
    fee_text = "无年费信息"
    if fee is not None:
        fee_text = f"下次缴费日 {_day(fee.next_due)}，应缴 {format_money(fee.amount_due)}"
        if fee.grace_ends:
            fee_text += f"，滞纳期至 {_day(fee.grace_ends)}"
    remaining = "无法定届满日" if file.remaining_years is None else f"{file.remaining_years:g} 年"
    tables = [
        *_table(
            ["权利人", "份额", "确权"],
            [
                [o.organisation.name_zh, _share(o.share), "已确权" if o.verified_at else "未确权"]
                for o in right.owners
            ],
            [3, 1, 1],
        ),
        *_table(
            ["同意方", "事由", "时间"],
            [
                [
                    c.organisation.name_zh,
                    str(CONSENT_GROUND_LABELS[c.ground]),
                    c.created_at.date().isoformat(),
                ]
                for c in file.consents
            ],
            [3, 2, 1.2],
        ),
        documents.Table(
            header=["登记审查项目", "结果", "说明"],
            rows=[
                [labels.get(g.code, g.code), OUTCOMES[g.outcome], g.message] for g in file.grounds
            ],
            widths=[2.2, 0.8, 4],
        ),
        *_table(
            ["评估报告", "价值类型", "评估结论", "保守价值", "有效期至", "哈希校验"],
            [
                [
                    check.report.number,
                    str(BASIS_LABELS[check.report.basis]),
                    format_money(check.report.concluded_value),
                    format_money(check.value),
                    _day(check.report.valid_until),
                    "一致" if check.intact else "不一致",
                ]
                for check in file.reports
            ],
            [2, 1.6, 1.4, 1.4, 1.2, 1],
        ),
        *_table(
            ["被许可人", "许可类型", "期间", "独占/排他"],
            [
                [
                    lic.licensee_name,
                    LICENCE_TYPES.get(lic.licence_type.value, lic.licence_type.value),
                    f"{_day(lic.starts_on)} 至 {_day(lic.ends_on)}",
                    "是" if lic.licence_type in EXCLUSIVE_TYPES else "否",
                ]
                for lic in file.licences
            ],
            [3, 1, 2.2, 1],
        ),
        *_table(
            ["现有质押", "质权人", "到期日"],
            [[p.number, p.pledgee_org.name_zh, _day(p.matures_on)] for p in file.pledges],
        ),
        *_table(
            ["日期", "年费与法律事件", "来源"],
            [
                [_day(e.occurred_on), event_label(e), e.source]
                for e in sorted(file.fee_events + file.legal_events, key=lambda e: e.occurred_on)
            ],
            [1.2, 2, 3],
        ),
    ]
    disputes = [f"权属争议（{_day(d.created_at.date())} 起）未结" for d in file.disputes]
    return documents.Section(
        f"质押物：{right.display_number}",
        pairs=[
            ("名称", right.title_zh),
            ("类型", str(RIGHT_KIND_LABELS[right.kind])),
            ("法律状态", str(RIGHT_STATUS_LABELS[file.status])),
            ("届满日", _day(file.expires_on)),
            ("剩余期限 / 贷款期限", f"{remaining} / {dossier.loan_months} 个月"),
            ("年费", fee_text),
            ("指数评分", "—" if file.index_score is None else f"{file.index_score:g}"),
            ("法律评分", "—" if file.legal_score is None else f"{file.legal_score:g}"),
        ],
        paragraphs=disputes,
        tables=tables,
    )


def _units_section(dossier: services.Dossier) -> documents.Section:
    rows = []
    for unit in dossier.units:
        notes = [f.explanation for f in unit.factors] + [f"不予采纳：{r}" for r in unit.refusals]
        rows.append(
            [
                unit.report.number if unit.report else "无评估报告",
                "、".join(r.display_number for r in unit.rights),
                format_money(unit.value),
                format_money(unit.amount),
                "是" if unit.eligible else "否",
                "\n".join(notes),
            ]
        )
    return documents.Section(
        "质押物估值与可贷额度",
        tables=[
            documents.Table(
                header=["评估报告", "权利", "保守价值", "可贷额度", "合格", "因子与说明"],
                rows=rows,
                widths=[1.6, 1.8, 1.2, 1.2, 0.6, 3.4],
            )
        ],
    )


def _conclusion_section(dossier: services.Dossier) -> documents.Section:
    return documents.Section(
        "审查结论",
        pairs=[
            ("合格质押物保守价值", format_money(dossier.value)),
            ("建议最高贷款额", format_money(dossier.suggested)),
            ("申请金额", format_money(dossier.requested)),
            ("贷款价值比", _bp(dossier.ltv_bp)),
            ("风险等级", dossier.grade),
        ],
        paragraphs=list(dossier.grade_reasons),
    )


def dossier_document(dossier: services.Dossier) -> documents.Document:
    """The dossier as a document; call it under the Chinese locale, as :func:`render_dossier`
    does, so that the ground and factor texts are Chinese."""
    number = dossier.application.number or f"L-{dossier.application.id}"
    return documents.Document(
        title="知识产权质押融资审查卷宗",
        number=number,
        subtitle=f"{dossier.bank.name_zh} · 生成于 {today().isoformat()}",
        sections=[
            _application_section(dossier),
            *(_right_section(file, dossier) for file in dossier.rights),
            _units_section(dossier),
            _conclusion_section(dossier),
        ],
        footer=f"IP Town 知识产权生态小镇 · {number} · 仅供授信审查使用",
    )


def render_dossier(review: LoanReview) -> bytes:
    """The review's dossier as of today, as PDF bytes, in Chinese."""
    with force_locale("zh"):
        return documents.render_document(dossier_document(services.build_dossier(review)))
