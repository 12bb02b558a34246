"""Demo appraisals: one signed report the holder has accepted, and one order open for quotes."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Organisation
from marketplace.core.clock import today
from marketplace.demo.data import ORGANISATIONS
from marketplace.extensions import db
from marketplace.orders import services as orders
from marketplace.orders.models import ServiceKind, ServiceOrder, ValuationPurpose
from marketplace.rights import services as rights_services
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import Right, RightStatus
from marketplace.valuations import services as valuations
from marketplace.valuations.models import ValueBasis


def _org(key: str) -> Organisation | None:
    demo = next(d for d in ORGANISATIONS if d.key == key)
    return db.session.scalar(
        sa.select(Organisation).where(Organisation.identity_number == demo.identity_number)
    )


def _verified_invention(org: Organisation) -> Right | None:
    """The organisation's first verified invention patent in force."""
    query = rights_services.portfolio_query(org).where(
        Right.kind == RightKind.INVENTION, Right.status == RightStatus.IN_FORCE
    )
    for right in db.session.scalars(query.order_by(Right.id)):
        if rights_services.is_verified_for(right, org):
            return right
    return None


DEMO_INPUTS = {
    "methods": {
        "relief_from_royalty": {
            "weight": 0.8,
            "inputs": {
                "revenue": {
                    "value": 36_000_000,
                    "low": 30_000_000,
                    "high": 42_000_000,
                    "source": "委托方2025年度审计报告：热管理产品线销售收入",
                },
                "growth": {
                    "value": 0.06,
                    "low": 0.02,
                    "high": 0.10,
                    "source": "中国汽车工业协会新能源汽车热管理市场预测",
                },
                "royalty_rate": {
                    "value": 0.035,
                    "low": 0.025,
                    "high": 0.05,
                    "source": "汽车零部件行业专利许可费率统计（2019–2024）",
                },
                "tax_rate": {"value": 0.15, "source": "高新技术企业所得税优惠税率"},
                "discount_rate": {
                    "value": 0.13,
                    "low": 0.11,
                    "high": 0.16,
                    "source": "CAPM：无风险利率2.1%＋行业β1.2×风险溢价6.5%＋特定风险3%",
                },
                "years": {"value": 10, "source": "剩余法定期限与技术更新周期孰短"},
            },
        },
        "cost_approach": {
            "weight": 0.2,
            "inputs": {
                "replacement_cost": {
                    "value": 4_200_000,
                    "source": "研发项目台账（人工、材料、试验）",
                },
                "developer_profit": {"value": 0.10, "source": "行业平均成本利润率"},
                "physical": {"value": 0.0, "source": "无形资产不适用"},
                "functional": {"value": 0.15, "source": "新一代热泵技术替代风险"},
                "economic": {"value": 0.05, "source": "整车降价压力"},
            },
        },
    },
    "life_years": 10,
}


def seed_valuations() -> int:
    """Idempotent: does nothing when the demo orders exist. Returns the number of orders."""
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(ServiceOrder)) or 0
    if existing:
        return existing
    holder, appraiser = _org("xinchi"), _org("zhengyuan")
    if holder is None or appraiser is None or not holder.members or not appraiser.members:
        return 0
    right = _verified_invention(holder)
    if right is None:
        return 0
    holder_user, appraiser_user = holder.members[0], appraiser.members[0]
    order = orders.create_order(
        holder,
        orders.OrderRequest(
            kind=ServiceKind.VALUATION,
            right_ids=[right.id],
            purpose=ValuationPurpose.PLEDGE,
            description="拟向银行申请知识产权质押融资，需出具质押价值评估报告。",
            wanted_by=today() + timedelta(days=20),
        ),
        actor=holder_user,
    )
    quote = orders.submit_quote(
        order,
        appraiser,
        actor=appraiser_user,
        fee=1_200_000,
        delivery_date=today() + timedelta(days=10),
        note="含现场尽调一次，10个工作日内出具报告。",
    )
    orders.accept_quote(quote, actor=holder_user)
    appraisal = valuations.appraisal_for(order)
    valuations.save_draft(
        appraisal,
        actor=appraiser_user,
        inputs=DEMO_INPUTS,
        basis=ValueBasis.PLEDGE_VALUE,
        pledge_percentile=20,
    )
    valuations.sign_report(appraisal, actor=appraiser_user)
    orders.accept_delivery(order, actor=holder_user)
    orders.rate_order(order, actor=holder_user, rating=5, comment="参数来源清楚，出具及时。")

    other = _org("guanggu")
    other_right = _verified_invention(other) if other else None
    if other is not None and other_right is not None and other.members:
        orders.create_order(
            other,
            orders.OrderRequest(
                kind=ServiceKind.VALUATION,
                right_ids=[other_right.id],
                purpose=ValuationPurpose.LICENCE_PRICING,
                description="拟对外独占许可，需评估许可定价参考值。",
            ),
            actor=other.members[0],
        )
    return db.session.scalar(sa.select(sa.func.count()).select_from(ServiceOrder)) or 0
