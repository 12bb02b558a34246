"""Demo agency services: what the town's four demo agencies offer, at realistic Changchun prices."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, Role, User
from marketplace.agencies import services
from marketplace.agencies.models import AgencyService
from marketplace.demo.data import ORGANISATIONS
from marketplace.extensions import db
from marketplace.orders.models import ServiceKind

YUAN = 100  # fen


@dataclass(frozen=True)
class DemoService:
    agency: str  # DemoOrg key
    kind: ServiceKind
    title_zh: str
    title_en: str
    description: str
    price: tuple[int, int] | None  # yuan; None: quote on request
    days: tuple[int, int]
    regions: tuple[str, ...]
    industries: tuple[str, ...] = ()


DEMO_SERVICES: list[DemoService] = [
    DemoService(
        "zhiheng",
        ServiceKind.FILING,
        "发明专利申请撰写与代理",
        "Invention patent drafting and filing",
        "技术交底沟通、现有技术检索、权利要求书与说明书撰写、电子申请提交，"
        "并代理实质审查阶段的审查意见答复直至授权或驳回。官费另计。",
        (6_000, 12_000),
        (20, 30),
        ("长春新区", "长春市", "吉林省"),
        ("automotive", "optoelectronics", "equipment", "new_materials"),
    ),
    DemoService(
        "zhiheng",
        ServiceKind.FILING,
        "实用新型专利申请代理",
        "Utility model application",
        "结构类改进的快速保护：附图整理、权利要求撰写与申请提交，一般6至10个月授权。官费另计。",
        (2_500, 4_000),
        (10, 15),
        ("长春新区", "长春市", "吉林省"),
    ),
    DemoService(
        "zhiheng",
        ServiceKind.PATENT_NAVIGATION,
        "产业专利导航分析报告",
        "Industry patent navigation report",
        "按《专利导航指南》（GB/T 39551）开展产业专利导航：专利态势、技术路线、创新主体、"
        "协同创新与人才分析，提出产业链补链强链与招商引才建议，适用于园区和产业主管部门。",
        (50_000, 200_000),
        (45, 90),
        ("吉林省", "全国"),
        ("automotive", "optoelectronics", "biomedicine", "agriculture"),
    ),
    DemoService(
        "zhiheng",
        ServiceKind.PATENT_NAVIGATION,
        "企业专利布局导航",
        "Company patent portfolio navigation",
        "面向企业研发立项与上市前的专利导航：竞争对手专利布局、侵权风险热点、"
        "可规避设计方向与未来三年的专利申请布局规划。",
        (30_000, 80_000),
        (30, 45),
        ("长春新区", "长春市"),
    ),
    DemoService(
        "zhiheng",
        ServiceKind.PLEDGE_FILING,
        "专利权质押登记代办",
        "Patent pledge registration filing",
        "准备质押合同、专利权质押登记申请表与身份证明，向国家知识产权局办理质押登记，"
        "跟进至取得《专利权质押登记通知书》；也代办变更与注销登记。",
        (2_000, 5_000),
        (5, 10),
        ("长春新区", "长春市", "吉林省"),
    ),
    DemoService(
        "zhengyuan",
        ServiceKind.VALUATION,
        "知识产权质押融资评估",
        "Valuation for IP pledge financing",
        "依据《资产评估执业准则——知识产权》出具质押用途评估报告，"
        "采用收益法为主、成本法校核，报告可供合作银行审贷使用。",
        (8_000, 30_000),
        (10, 20),
        ("吉林省", "全国"),
    ),
    DemoService(
        "zhengyuan",
        ServiceKind.VALUATION,
        "专利转让与许可定价评估",
        "Valuation for patent assignment and licence pricing",
        "为专利转让、独占或普通许可确定价格区间：许可费率比较、收益分成与敏感性分析，"
        "附可比交易说明。",
        (10_000, 30_000),
        (15, 25),
        ("吉林省", "全国"),
    ),
    DemoService(
        "zhengyuan",
        ServiceKind.VALUATION,
        "知识产权作价出资评估",
        "Valuation for capital contribution of IP",
        "知识产权作价入股、增资所需的评估报告，满足市场监管部门登记要求。"
        "费用视评估对象数量与复杂程度报价。",
        None,
        (20, 30),
        ("吉林省",),
    ),
    DemoService(
        "mingzheng",
        ServiceKind.LEGAL_OPINION,
        "专利侵权风险分析法律意见书",
        "Legal opinion on patent infringement risk",
        "针对拟上市产品或拟受让专利，比对目标专利权利要求，出具侵权风险与稳定性法律意见书，"
        "并提出规避设计或无效宣告建议。",
        (15_000, 50_000),
        (15, 30),
        ("长春市", "吉林省"),
    ),
    DemoService(
        "mingzheng",
        ServiceKind.LEGAL_OPINION,
        "技术转让与许可合同审查",
        "Review of technology assignment and licence contracts",
        "审查专利转让、许可合同的许可类型、地域与期限、费用支付、改进技术归属和违约条款，"
        "出具修改意见，并提示合同备案要求。",
        (5_000, 20_000),
        (5, 10),
        ("长春新区", "长春市", "吉林省"),
    ),
    DemoService(
        "mingzheng",
        ServiceKind.PLEDGE_FILING,
        "知识产权质押登记代办（含合同审查）",
        "IP pledge registration filing with contract review",
        "审查质押合同条款后代办专利、商标质押登记，适合首次办理知识产权质押融资的企业。",
        (3_000, 5_000),
        (7, 12),
        ("长春市", "吉林省"),
    ),
    DemoService(
        "jizhuan",
        ServiceKind.BROKERAGE,
        "专利转让与许可撮合",
        "Brokering patent assignments and licences",
        "技术经纪人梳理可交易专利、匹配需求方、组织洽谈并协助签约与备案；"
        "按成交额收取佣金，佣金比例随项目报价。",
        None,
        (30, 180),
        ("长春新区", "长春市"),
        ("automotive", "equipment", "new_materials"),
    ),
    DemoService(
        "jizhuan",
        ServiceKind.PATENT_NAVIGATION,
        "高校院所成果转化专利导航",
        "Patent navigation for university technology transfer",
        "为高校和科研院所的专利组合做转化潜力分级，筛选可许可、可作价入股的专利包并形成推介材料。",
        (20_000, 60_000),
        (20, 40),
        ("长春新区", "长春市", "吉林省"),
        ("optoelectronics", "biomedicine", "agriculture"),
    ),
]


def _agency(key: str) -> Organisation | None:
    demo = next(d for d in ORGANISATIONS if d.key == key)
    return db.session.scalar(
        sa.select(Organisation).where(Organisation.identity_number == demo.identity_number)
    )


def _actor(org: Organisation) -> User | None:
    members = [u for u in org.members if u.is_active]
    return next((u for u in members if u.role is Role.ADMIN), members[0] if members else None)


def seed_agency_services() -> int:
    """Publish the demo agencies' services that are missing (matched by agency and Chinese
    title); returns how many were published. Safe to run again."""
    published = 0
    for demo in DEMO_SERVICES:
        org = _agency(demo.agency)
        actor = _actor(org) if org is not None else None
        if org is None or actor is None:
            continue
        exists = db.session.scalar(
            sa.select(AgencyService.id).where(
                AgencyService.provider_org_id == org.id, AgencyService.title_zh == demo.title_zh
            )
        )
        if exists is not None:
            continue
        low, high = demo.price if demo.price else (None, None)
        services.publish_service(
            org,
            services.ServiceData(
                kind=demo.kind,
                title_zh=demo.title_zh,
                title_en=demo.title_en,
                description=demo.description,
                price_min=low * YUAN if low else None,
                price_max=high * YUAN if high else None,
                days_min=demo.days[0],
                days_max=demo.days[1],
                regions=demo.regions,
                industries=demo.industries,
            ),
            actor=actor,
        )
        published += 1
    return published
