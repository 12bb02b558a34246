"""Demo market: listings (one a lot, one an open licence), closed deals for price statistics,
demand posts, a broker's mandate and followed industries."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, OrgCategory
from marketplace.core.clock import today
from marketplace.demo.data import ORGANISATIONS
from marketplace.extensions import db
from marketplace.listings import services
from marketplace.listings.models import DealType, Demand, FieldFollow, Listing
from marketplace.rights import services as rights_services
from marketplace.rights.models import Licence, Right, RightStatus

TEASERS = {
    "automotive": "已在两款新能源车型上量产应用，可显著降低电池包温差，提升低温续航。",
    "optoelectronics": "光学设计成熟，已完成样机验证，适用于车载激光雷达与机器视觉。",
    "biomedicine": "工艺稳定、收率高，已完成中试，具备GMP车间放大条件。",
    "new_materials": "材料性能经第三方检测，适用于汽车轻量化与轨道交通部件。",
    "agriculture": "在吉林中部地区多点试验，增产效果稳定，适合东北春播区推广。",
    "equipment": "已在整车厂焊装线应用，节拍提升明显，维护成本低。",
    "big_data": "算法已在政务与金融场景落地，支持私有化部署。",
}

DEMANDS = [
    (
        "zhonggong",
        "寻求工程机械驾驶室热泵空调低温制热技术",
        "需要-20℃环境下制热效率高的热泵空调系统，用于工程机械驾驶室，可接受独占许可或转让。",
        2_000_000_00,
        8_000_000_00,
        "automotive",
        ["B60H 1/00"],
    ),
    (
        "xinchi",
        "求购激光焊接质量在线检测技术",
        "用于电池包焊装线的激光焊接焊缝质量在线检测，需提供检测装置及算法方案。",
        500_000_00,
        3_000_000_00,
        "equipment",
        ["B23K 37/02"],
    ),
    (
        "beichen",
        "寻求人参皂苷高效提取工艺",
        "希望提高Rg3收率，降低有机溶剂用量，可合作开发。",
        None,
        2_000_000_00,
        "biomedicine",
        ["A61K 36/258"],
    ),
    (
        "fenghe",
        "寻求玉米抗旱基因及育种技术",
        "面向东北干旱区的玉米新品种选育，需可转让的基因专利或品种权。",
        1_000_000_00,
        5_000_000_00,
        "agriculture",
        ["C12N 15/82", "A01H 1/02"],
    ),
    (
        "shuyun",
        "需要联邦学习隐私计算平台技术许可",
        "用于银行间联合风控建模，需支持国产化环境。",
        300_000_00,
        1_500_000_00,
        "big_data",
        ["G06N 3/08"],
    ),
    (
        "guanggu",
        "求购车载激光雷达光学发射模组专利",
        "用于自研激光雷达产品线，倾向专利转让。",
        1_000_000_00,
        6_000_000_00,
        "optoelectronics",
        ["G01J 3/28"],
    ),
]


def _org(key: str) -> Organisation | None:
    demo = next(d for d in ORGANISATIONS if d.key == key)
    return db.session.scalar(
        sa.select(Organisation).where(Organisation.identity_number == demo.identity_number)
    )


def _listable(org: Organisation, limit: int) -> list[Right]:
    rights = []
    query = rights_services.portfolio_query(org).where(Right.status == RightStatus.IN_FORCE)
    for right in db.session.scalars(query.order_by(Right.id)):
        if right.kind.rule.listable and rights_services.is_verified_for(right, org):
            rights.append(right)
        if len(rights) >= limit:
            break
    return rights


def seed_market() -> tuple[int, int]:
    """Idempotent: nothing happens once the demo has listings. Returns (listings, demands)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Listing)):
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) or 0,
            db.session.scalar(sa.select(sa.func.count()).select_from(Demand)) or 0,
        )
    holders = [d for d in ORGANISATIONS if d.kind.category is OrgCategory.RIGHTS_HOLDER]
    deal_types = [DealType.ASSIGNMENT, DealType.EXCLUSIVE, DealType.NON_EXCLUSIVE, DealType.SOLE]
    closed_buyers = [_org("zhonggong"), _org("shuyun"), _org("beichen")]
    for index, demo in enumerate(holders):
        org = _org(demo.key)
        if org is None or not org.members:
            continue
        actor = org.members[0]
        rights = _listable(org, 5)
        industry = demo.industry or "equipment"
        for position, right in enumerate(rights[:4]):
            deal_type = deal_types[(index + position) % len(deal_types)]
            licence = deal_type.is_licence
            listing = services.create_listing(
                org,
                services.ListingData(
                    title=right.title_zh + ("许可" if licence else "转让"),
                    teaser=TEASERS[industry],
                    details="技术交底书、实施例数据及量产工艺文件可在签署保密协议后提供。",
                    deal_type=deal_type,
                    right_ids=[right.id],
                    asking_price=(200_000 + 150_000 * ((index * 7 + position * 3) % 9)) * 100,
                    royalty_rate=300 if licence else None,
                    licence_starts_on=today() if licence else None,
                    licence_ends_on=min(
                        today() + timedelta(days=365 * 5),
                        rights_services.expiry_of(right) or today(),
                    )
                    if licence
                    else None,
                    industry=industry,
                    region=demo.region,
                ),
                actor=actor,
            )
            services.publish_listing(listing, actor=actor)
            listing.featured = position == 0
            # A few automotive and equipment deals close, so the price statistics have data.
            if position == 3 and industry in ("automotive", "equipment", "optoelectronics"):
                buyer = closed_buyers[index % len(closed_buyers)]
                if buyer is not None and buyer.id != org.id:
                    services.close_listing(
                        listing,
                        actor=actor,
                        buyer=buyer,
                        price=listing.asking_price,
                        royalty_rate=listing.royalty_rate,
                    )
        if len(rights) >= 5 and index == 0:
            lot = services.create_listing(
                org,
                services.ListingData(
                    title="动力电池热管理专利组合（打包转让）",
                    teaser=TEASERS[industry],
                    deal_type=DealType.ASSIGNMENT,
                    right_ids=[r.id for r in rights[3:5]],
                    asking_price=2_800_000_00,
                    industry=industry,
                    region=demo.region,
                ),
                actor=actor,
            )
            services.publish_listing(lot, actor=actor)
    # An open licence from the university.
    university = _org("ligong")
    if university is not None and university.members:
        rights = [
            r
            for r in _listable(university, 8)
            if not db.session.scalar(
                sa.select(sa.func.count()).select_from(Licence).where(Licence.right_id == r.id)
            )
        ]
        if rights:
            right = rights[-1]
            listing = services.create_listing(
                university,
                services.ListingData(
                    title=f"{right.title_zh}（开放许可）",
                    teaser="高校科技成果开放许可，中小企业可按公开条件一键获得普通许可。",
                    deal_type=DealType.OPEN_LICENCE,
                    right_ids=[right.id],
                    royalty_rate=200,
                    asking_price=20_000_00,
                    open_terms="入门费2万元，另按许可产品年净销售额的2%支付提成；许可期3年，不得转许可。",
                    licence_starts_on=today(),
                    licence_ends_on=min(
                        today() + timedelta(days=365 * 3),
                        rights_services.expiry_of(right) or today(),
                    ),
                    industry="optoelectronics",
                    region="长春新区",
                ),
                actor=university.members[0],
            )
            services.publish_listing(listing, actor=university.members[0])
    for key, title, description, low, high, industry, ipc in DEMANDS:
        org = _org(key)
        if org is None or not org.members:
            continue
        services.post_demand(
            org,
            services.DemandData(
                title=title,
                description=description,
                budget_min=low,
                budget_max=high,
                industry=industry,
                ipc_codes=tuple(ipc),
                region="长春新区",
                deadline=today() + timedelta(days=120),
            ),
            actor=org.members[0],
        )
    broker = _org("jizhuan")
    if broker is not None:
        for industry in ("automotive", "equipment", "agriculture"):
            db.session.add(FieldFollow(org_id=broker.id, industry=industry))
        first = db.session.scalar(sa.select(Listing).order_by(Listing.id).limit(1))
        if first is not None:
            services.grant_mandate(
                actor=first.seller_org.members[0], broker=broker, commission_rate=500, listing=first
            )
    db.session.flush()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) or 0,
        db.session.scalar(sa.select(sa.func.count()).select_from(Demand)) or 0,
    )
