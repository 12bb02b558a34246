"""The deal's contract, in Chinese, from versioned templates: an assignment contract (转让合同) or a
licence contract (实施许可合同) by licence type, titled by the kind of right.

It carries what a recordal or registration asks for: both parties with their Unified Social
Credit Code (resident identity number for an individual), each right's number and title, the
licence type, territory, field and term, the price and payment terms, and the refund share.
The PDF is rendered once with :func:`marketplace.pledges.documents.render_document` and kept;
its SHA-256 is what the parties sign.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from flask_babel import force_locale

from marketplace.accounts.models import Organisation, User
from marketplace.core import audit
from marketplace.core.money import format_money
from marketplace.deals.models import (
    Contract,
    Deal,
    Offer,
    PaymentStructure,
    ReportingPeriod,
)
from marketplace.extensions import db
from marketplace.listings.models import DealType
from marketplace.pledges import documents
from marketplace.rights import services as rights_services
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import EVERYWHERE, Right

#: Bump when a clause changes; a contract records the version it was generated from.
TEMPLATE_VERSION = "2026-11"

LICENCE_TYPE_ZH = {
    DealType.EXCLUSIVE: "独占实施许可",
    DealType.SOLE: "排他实施许可",
    DealType.NON_EXCLUSIVE: "普通实施许可",
    DealType.OPEN_LICENCE: "开放许可",
}
_LICENCE_SCOPE_ZH = {
    DealType.EXCLUSIVE: "许可方在上述许可范围内不得自行实施，也不得许可任何第三方实施本合同标的。",
    DealType.SOLE: "许可方在上述许可范围内可以自行实施，但不得许可任何第三方实施本合同标的。",
    DealType.NON_EXCLUSIVE: "许可方在上述许可范围内可以自行实施，并可以许可第三方实施本合同标的。",
    DealType.OPEN_LICENCE: "本许可为依公告的开放许可条件取得的普通许可；许可方可以自行实施，"
    "并可以许可其他第三方实施本合同标的（《专利法》第五十条、第五十一条）。",
}
_ASSIGNMENT_TITLES = {
    RightKind.TRADEMARK: "注册商标转让合同",
    RightKind.SOFTWARE_COPYRIGHT: "计算机软件著作权转让合同",
    RightKind.COPYRIGHT: "著作权转让合同",
    RightKind.PLANT_VARIETY: "植物新品种权转让合同",
}
_LICENCE_TITLES = {
    RightKind.TRADEMARK: "注册商标使用许可合同",
    RightKind.SOFTWARE_COPYRIGHT: "计算机软件著作权许可使用合同",
    RightKind.COPYRIGHT: "著作权许可使用合同",
    RightKind.PLANT_VARIETY: "植物新品种实施许可合同",
}
_PERIOD_ZH = {
    ReportingPeriod.QUARTER: "每季度",
    ReportingPeriod.HALF_YEAR: "每半年",
    ReportingPeriod.YEAR: "每年度",
}
_STRUCTURE_ZH = {
    PaymentStructure.LUMP_SUM: "一次总付",
    PaymentStructure.INSTALMENTS: "分期支付",
    PaymentStructure.UPFRONT_AND_ROYALTY: "入门费加提成",
    PaymentStructure.MILESTONES: "按里程碑支付",
}


def template_of(deal: Deal) -> str:
    """``assignment`` or ``licence_<type>``: the template a deal's contract comes from."""
    if deal.deal_type is DealType.ASSIGNMENT:
        return "assignment"
    return f"licence_{deal.deal_type.value}"


def title_of(deal: Deal) -> str:
    rights = deal.listing.rights
    kinds = {r.kind for r in rights}
    patents = all(k.is_patent for k in kinds)
    if deal.deal_type is DealType.ASSIGNMENT:
        if patents:
            granted = all(r.grant_date for r in rights)
            return "专利权转让合同" if granted else "专利申请权转让合同"
        return (
            _ASSIGNMENT_TITLES.get(next(iter(kinds)), "知识产权转让合同")
            if len(kinds) == 1
            else ("知识产权转让合同")
        )
    if patents:
        return "专利实施许可合同"
    if len(kinds) == 1:
        return _LICENCE_TITLES.get(next(iter(kinds)), "知识产权许可使用合同")
    return "知识产权许可使用合同"


def _yuan(amount: int) -> str:
    return f"人民币{format_money(amount)}"


def _percent(bp: int) -> str:
    return f"{bp / 100:.2f}%"


def _party(org: Organisation) -> list[tuple[str, str]]:
    label = "居民身份证号码" if org.kind.is_individual else "统一社会信用代码"
    return [("名称", org.name_zh), (label, org.identity_number), ("住所地", org.region)]


def _rights_table(rights: Sequence[Right]) -> documents.Table:
    from marketplace.rights.labels import RIGHT_KIND_LABELS

    rows = []
    for right in rights:
        expires_on = rights_services.expiry_of(right)
        rows.append(
            [
                right.display_number,
                str(RIGHT_KIND_LABELS[right.kind]),
                right.title_zh,
                right.filing_date.isoformat() if right.filing_date else "",
                (right.grant_date or right.registration_date or "").__str__(),
                expires_on.isoformat() if expires_on else "",
            ]
        )
    return documents.Table(
        header=["号码", "类型", "名称", "申请日", "授权/登记日", "届满日"],
        rows=rows,
        widths=[2.2, 1.2, 3.2, 1.3, 1.3, 1.3],
    )


def _scope(text: str, everything: str) -> str:
    return everything if not text or text == EVERYWHERE else text


def _payment_section(deal: Deal, offer: Offer, payer: str) -> documents.Section:
    pairs = [
        ("支付方式", _STRUCTURE_ZH[offer.payment_structure]),
        ("入门费" if offer.royalty_rate_bp is not None else "合同总价款", _yuan(offer.price)),
    ]
    tables = []
    paragraphs = []
    if offer.payment_structure is PaymentStructure.LUMP_SUM:
        paragraphs.append(
            f"{payer}应于本合同生效之日起十五日内，将全部价款{_yuan(offer.price)}一次性支付至"
            "IP Town 平台资金监管账户。"
        )
    elif offer.payment_structure is PaymentStructure.INSTALMENTS:
        tables.append(
            documents.Table(
                header=["期次", "付款日期", "金额"],
                rows=[
                    [f"第{i}期", str(item.get("due_on") or ""), _yuan(int(item["amount"]))]
                    for i, item in enumerate(offer.schedule, start=1)
                ],
                widths=[1, 2, 2],
            )
        )
        paragraphs.append(f"{payer}应按上表所列日期和金额，分期将价款支付至平台资金监管账户。")
    elif offer.payment_structure is PaymentStructure.MILESTONES:
        tables.append(
            documents.Table(
                header=["序号", "里程碑", "金额"],
                rows=[
                    [str(i), str(item.get("milestone") or ""), _yuan(int(item["amount"]))]
                    for i, item in enumerate(offer.schedule, start=1)
                ],
                widths=[1, 3, 2],
            )
        )
        paragraphs.append(f"{payer}应于上表所列各里程碑达成后十五日内，支付相应金额。")
    else:
        assert offer.royalty_rate_bp is not None and offer.reporting_period is not None
        period = _PERIOD_ZH[offer.reporting_period]
        pairs += [
            ("提成费率", f"净销售额的{_percent(offer.royalty_rate_bp)}"),
            ("报告及支付周期", period),
        ]
        paragraphs.append(
            f"{payer}应于本合同生效之日起十五日内支付入门费{_yuan(offer.price)}；并按{period}"
            f"向许可方报告实施本合同标的的产品数量及净销售额，于每一报告期届满后三十日内按净销售额的"
            f"{_percent(offer.royalty_rate_bp)}支付提成费。许可方有权查阅与提成费计算有关的账目。"
        )
    pairs.append(("合同解除时退还比例", _percent(offer.refund_on_cancel_bp)))
    return documents.Section("价款及支付方式", pairs=pairs, paragraphs=paragraphs, tables=tables)


def _clauses(deal: Deal, offer: Offer, seller: str, buyer: str) -> list[str]:
    rights = deal.listing.rights
    authorities = "、".join(sorted({r.kind.rule.authority_zh for r in rights}))
    effect = "".join(sorted({r.kind.rule.note_zh for r in rights}))
    clauses = []
    if deal.deal_type is DealType.ASSIGNMENT:
        clauses += [
            f"第一条 {seller}同意将本合同附表所列知识产权转让给{buyer}，"
            f"{buyer}同意受让并支付价款。",
            f"第二条 双方应于价款存入平台资金监管账户之日起三十日内，共同向{authorities}"
            f"办理转让登记（核准）手续。{effect}",
            f"第三条 转让登记前{seller}已许可他人实施的，原许可合同继续有效，"
            f"由{seller}如实告知{buyer}。",
        ]
    else:
        clauses += [
            f"第一条 {seller}许可{buyer}在本合同约定的范围和期限内实施本合同附表所列知识产权，"
            f"{buyer}支付许可使用费。{_LICENCE_SCOPE_ZH[deal.deal_type]}",
            f"第二条 {seller}应自本合同生效之日起三个月内向{authorities}办理合同备案手续，"
            f"{buyer}予以配合。{effect}",
            "第三条 许可期限不得超过本合同标的的权利有效期；本合同标的权利终止或被宣告无效的，"
            "本合同自该日起终止。",
        ]
    clauses += [
        f"第四条 {seller}保证其为本合同标的的合法权利人，本合同标的不存在权属争议；"
        "共有的权利已取得全体共有人同意，已出质的权利已取得质权人同意。",
        f"第五条 价款由{buyer}支付至 IP Town 平台资金监管账户，于登记或备案完成后，"
        f"扣除平台服务费（价款的{_percent(deal.platform_fee_bp)}）"
        + (
            f"及技术经纪人佣金（价款的{_percent(deal.commission_bp)}）"
            if deal.broker_org_id
            else ""
        )
        + f"后支付给{seller}。",
        f"第六条 本合同在价款支付后、登记或备案完成前解除的，平台按已付价款的"
        f"{_percent(offer.refund_on_cancel_bp)}退还{buyer}。",
        "第七条 双方对在订立和履行本合同过程中知悉的对方技术秘密和商业秘密负有保密义务。",
        "第八条 任何一方违反本合同约定的，应当承担继续履行、采取补救措施或者赔偿损失等违约责任。",
        "第九条 本合同适用中华人民共和国法律。因本合同发生的争议，双方应协商解决；"
        "协商不成的，任何一方可向吉林省长春市有管辖权的人民法院提起诉讼。",
        "第十条 本合同以数据电文形式订立，双方在 IP Town 平台重新验证身份后签署，"
        "签署记录包括签署人、时间、IP 地址及本合同文件的 SHA-256 摘要；"
        "本合同自双方均签署之日起生效。",
    ]
    if offer.note.strip():
        clauses.append(f"第十一条 其他约定：{offer.note.strip()}")
    return clauses


def contract_document(deal: Deal, offer: Offer) -> documents.Document:
    """The contract of ``deal`` at the terms of ``offer`` (template :data:`TEMPLATE_VERSION`)."""
    licence = deal.deal_type.is_licence
    seller_role, buyer_role = ("许可方", "被许可方") if licence else ("转让方", "受让方")
    sections = [
        documents.Section(f"{seller_role}（甲方）", pairs=_party(deal.seller_org)),
        documents.Section(f"{buyer_role}（乙方）", pairs=_party(deal.buyer_org)),
    ]
    if deal.broker_org is not None:
        sections.append(
            documents.Section(
                "技术经纪人",
                pairs=[*_party(deal.broker_org), ("佣金", f"价款的{_percent(deal.commission_bp)}")],
            )
        )
    sections.append(documents.Section("合同标的", tables=[_rights_table(deal.listing.rights)]))
    if licence:
        expiry = min(
            (e for r in deal.listing.rights if (e := rights_services.expiry_of(r))), default=None
        )
        ends = offer.ends_on or expiry
        sections.append(
            documents.Section(
                "许可范围",
                pairs=[
                    ("许可类型", LICENCE_TYPE_ZH[deal.deal_type]),
                    ("地域范围", _scope(offer.territory, "不限地域")),
                    ("实施领域", _scope(offer.field_of_use, "不限领域")),
                    (
                        "许可期限",
                        f"{offer.starts_on.isoformat() if offer.starts_on else ''} 至 "
                        f"{ends.isoformat() if ends else '权利有效期届满之日'}",
                    ),
                ],
            )
        )
    sections.append(_payment_section(deal, offer, "乙方"))
    sections.append(documents.Section("合同条款", paragraphs=_clauses(deal, offer, "甲方", "乙方")))
    return documents.Document(
        title=title_of(deal),
        number=deal.number,
        subtitle=f"合同模板 {template_of(deal)} · 版本 {TEMPLATE_VERSION}",
        sections=sections,
        signatures=[
            (f"甲方（{seller_role}）", deal.seller_org.name_zh),
            (f"乙方（{buyer_role}）", deal.buyer_org.name_zh),
        ],
        footer=f"IP Town 知识产权生态小镇 · {deal.number}",
    )


def generate_contract(deal: Deal, offer: Offer, *, actor: User | None) -> Contract:
    """Render, hash and keep the contract; its SHA-256 goes into the audit trail."""
    with force_locale("zh"):
        pdf = documents.render_document(contract_document(deal, offer))
    contract = Contract(
        deal=deal,
        template=template_of(deal),
        version=TEMPLATE_VERSION,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    db.session.add(contract)
    db.session.flush()
    audit.record(
        "contract.generated",
        contract,
        actor=actor,
        organisation=deal.seller_org,
        after={
            "deal": deal.id,
            "offer": offer.id,
            "template": contract.template,
            "version": contract.version,
            "sha256": contract.sha256,
        },
    )
    return contract
