"""Demo portfolios: about 300 rights with valid numbers across Changchun's local industries."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Organisation, OrgKind, User
from marketplace.core.clock import today
from marketplace.demo.data import ORGANISATIONS, DemoOrg
from marketplace.extensions import db
from marketplace.rights import evidence, numbers, services, terms
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import ClaimStatus, OwnershipClaim, RightStatus

INDUSTRY_IPC: dict[str, list[str]] = {
    "automotive": ["B60H 1/00", "B60L 58/26", "H01M 10/613", "F28D 15/02", "B60K 11/02"],
    "optoelectronics": ["G02B 13/00", "H01L 33/00", "G01J 3/28", "H01S 5/00", "G02B 27/01"],
    "biomedicine": ["A61K 36/258", "C12N 15/11", "A61P 35/00", "C07K 16/28", "A61K 9/20"],
    "new_materials": ["C08L 63/00", "C04B 35/565", "C22C 21/00", "B82Y 30/00", "C08J 5/04"],
    "agriculture": ["A01H 1/02", "A01H 6/46", "C12N 15/82", "A01C 7/04", "A01G 22/20"],
    "equipment": ["B23K 37/02", "B25J 9/16", "G05B 19/418", "B23Q 17/00", "B21D 37/10"],
    "big_data": ["G06F 16/28", "G06N 3/08", "G06Q 10/06", "H04L 67/10", "G06F 21/62"],
}

INDUSTRY_TITLES: dict[str, list[str]] = {
    "automotive": [
        "一种动力电池液冷热管理系统",
        "车用热泵空调系统及其控制方法",
        "一种新能源汽车驱动电机冷却装置",
        "基于相变材料的电池包散热结构",
        "车载空调压缩机转速控制方法",
        "一种汽车座椅通风加热模块",
        "整车热管理集成阀组",
        "一种低温环境下动力电池预热方法",
        "汽车前端冷却模块及其装配工艺",
        "一种电动汽车余热回收系统",
    ],
    "optoelectronics": [
        "一种大视场光学成像镜头",
        "高功率半导体激光器封装结构",
        "一种微型光谱仪及其标定方法",
        "基于衍射光波导的增强现实显示装置",
        "一种红外热像仪非均匀性校正方法",
        "激光雷达光学发射模组",
        "一种高亮度Micro LED显示芯片",
        "精密光栅刻划机控制系统",
        "一种光纤光栅温度传感器",
        "空间相机主镜支撑结构",
    ],
    "biomedicine": [
        "一种人参皂苷Rg3的制备方法",
        "靶向PD-L1的单克隆抗体及其应用",
        "一种缓释口服片剂及其制备方法",
        "重组人生长激素注射液",
        "一种鹿茸多肽提取工艺",
        "用于肿瘤早筛的核酸检测试剂盒",
        "一种五味子提取物及其抗疲劳用途",
        "疫苗佐剂组合物",
        "一种中药配方颗粒质量控制方法",
        "细胞培养用无血清培养基",
    ],
    "new_materials": [
        "一种碳纤维增强环氧树脂复合材料",
        "高导热碳化硅陶瓷及其制备方法",
        "一种汽车轻量化铝合金",
        "石墨烯改性聚合物导电薄膜",
        "一种耐高温聚酰亚胺薄膜",
        "玄武岩纤维连续拉丝工艺",
        "一种可降解聚乳酸共混材料",
        "纳米二氧化钛光催化涂层",
        "一种稀土镁合金及其热处理方法",
        "高强度碳化硼防弹陶瓷",
    ],
    "agriculture": [
        "一种玉米单倍体诱导育种方法",
        "耐盐碱水稻品种选育方法",
        "一种大豆高产栽培技术",
        "玉米抗旱相关基因及其应用",
        "一种精量播种机排种器",
        "黑土地保护性耕作秸秆还田装置",
        "一种鲜食玉米保鲜加工方法",
        "水稻分子标记辅助选择方法",
        "一种人参林下种植方法",
        "智能温室环境调控系统",
    ],
    "equipment": [
        "一种轨道客车车体焊接工装",
        "六轴工业机器人关节减速器",
        "数控机床主轴热误差补偿方法",
        "一种汽车覆盖件冲压模具",
        "智能产线物料调度系统",
        "一种激光焊接质量在线检测装置",
        "重型卡车车架柔性装配线",
        "一种高精度伺服压力机",
        "工业机器人视觉引导抓取方法",
        "一种自动化立体仓库堆垛机",
    ],
    "big_data": [
        "一种基于知识图谱的专利价值评估方法",
        "政务数据共享交换平台",
        "一种工业设备故障预测方法",
        "基于联邦学习的信贷风控模型训练方法",
        "一种城市交通流量预测方法",
        "数据脱敏与隐私计算系统",
        "一种农业遥感影像识别方法",
        "分布式日志实时分析系统",
        "一种汽车供应链协同平台",
        "基于大模型的智能客服方法",
    ],
}

TRADEMARK_NICE: dict[str, list[int]] = {
    "automotive": [12, 11],
    "optoelectronics": [9],
    "biomedicine": [5, 44],
    "new_materials": [1, 17],
    "agriculture": [31, 30],
    "equipment": [7],
    "big_data": [9, 42],
}

#: A tiny valid PDF used as demo evidence (a placeholder certificate).
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _paid_through_now(kind: str, filing: date, on: date, years_behind: int = 0) -> date:
    fee_year = terms.fee_year_on(filing, on) - years_behind
    return terms.paid_through_for(filing, max(fee_year, 1))


def _patent(
    rng: random.Random, demo: DemoOrg, kind: RightKind, serial: int, title: str
) -> services.RightData:
    on = today()
    year = rng.randint(2010 if kind is RightKind.INVENTION else 2016, 2024)
    filing = date(year, rng.randint(1, 12), rng.randint(1, 28))
    number = numbers.build_patent_number(year, kind.value, serial).application_number
    granted = filing + timedelta(
        days=rng.randint(200, 1200) if kind is RightKind.INVENTION else rng.randint(150, 400)
    )
    pending = granted > on - timedelta(days=30) or rng.random() < 0.08
    industry = demo.industry or "equipment"
    paid_through = None
    if not pending:
        roll = rng.random()
        behind = 1 if roll < 0.06 else 0  # a few patents with an unpaid fee: grace or lapsed
        paid_through = _paid_through_now(kind.value, filing, on, behind)
        if paid_through < filing or paid_through > terms.patent_expiry(kind.value, filing):
            paid_through = None
    return services.RightData(
        kind=kind,
        number=number,
        title_zh=title,
        filing_date=filing,
        grant_date=None if pending else granted,
        ipc_codes=tuple(rng.sample(INDUSTRY_IPC[industry], k=2))
        if kind is not RightKind.DESIGN
        else (),
        locarno_class="12-16" if kind is RightKind.DESIGN else None,
        inventors=tuple(
            rng.sample(
                [
                    "李明轩",
                    "赵思远",
                    "孙雅婷",
                    "周浩然",
                    "吴建国",
                    "郑国栋",
                    "陈可欣",
                    "王志远",
                    "刘洋",
                    "高峰",
                ],
                k=rng.randint(1, 3),
            )
        ),
        claim_count=rng.randint(3, 20) if kind is not RightKind.DESIGN else 1,
        family_members=tuple(
            f"US{rng.randint(10_000_000, 11_999_999)}B2" for _ in range(rng.random() < 0.15)
        ),
        forward_citations=rng.randint(0, 25),
        paid_through=paid_through,
        industry=industry,
    )


def _rights_for(demo: DemoOrg, rng: random.Random, serial_base: int) -> list[services.RightData]:
    industry = demo.industry or "equipment"
    titles = INDUSTRY_TITLES[industry]
    count = 12 if demo.kind is OrgKind.INDIVIDUAL_INVENTOR else 32
    items: list[services.RightData] = []
    for i in range(count):
        title = titles[i % len(titles)] + (
            "" if i < len(titles) else f"（改进型{i // len(titles)}）"
        )
        roll = rng.random()
        serial = serial_base + i * 7
        if roll < 0.6:
            items.append(_patent(rng, demo, RightKind.INVENTION, serial, title))
        elif roll < 0.82:
            items.append(_patent(rng, demo, RightKind.UTILITY_MODEL, serial, title))
        elif roll < 0.87:
            items.append(
                _patent(rng, demo, RightKind.DESIGN, serial, title.replace("方法", "外观"))
            )
        elif roll < 0.93:
            reg = date(rng.randint(2012, 2023), rng.randint(1, 12), rng.randint(1, 28))
            items.append(
                services.RightData(
                    kind=RightKind.TRADEMARK,
                    number=str(20_000_000 + serial),
                    title_zh=f"{demo.name_zh[:4]}商标",
                    registration_date=reg,
                    nice_classes=tuple(TRADEMARK_NICE[industry]),
                    industry=industry,
                )
            )
        elif industry == "agriculture" and roll < 0.97:
            grant = date(rng.randint(2015, 2024), rng.randint(1, 12), rng.randint(1, 28))
            items.append(
                services.RightData(
                    kind=RightKind.PLANT_VARIETY,
                    number=f"CNA{grant.year}{serial % 10_000:04d}.{i % 10}",
                    title_zh=f"吉丰{300 + i}（玉米）",
                    grant_date=grant,
                    plant_category="other",
                    industry=industry,
                )
            )
        else:
            year = rng.randint(2015, 2024)
            items.append(
                services.RightData(
                    kind=RightKind.SOFTWARE_COPYRIGHT,
                    number=f"{year}SR{serial:07d}",
                    title_zh=title.replace("一种", "") + "软件V1.0",
                    first_publication_date=date(year - 1, rng.randint(1, 12), rng.randint(1, 28)),
                    industry=industry,
                )
            )
    return items


def seed_rights() -> int:
    """Register the demo portfolios and verify about half of them through the demo patent
    agency; idempotent. Returns how many rights the demo market holds."""
    rng = random.Random(2026)
    agency = db.session.scalar(
        sa.select(Organisation).where(Organisation.kind == OrgKind.PATENT_AGENCY)
    )
    agent = agency.members[0] if agency is not None and agency.members else None
    for index, demo in enumerate(ORGANISATIONS):
        if demo.kind.category.value != "rights_holder":
            continue
        org = db.session.scalar(
            sa.select(Organisation).where(Organisation.identity_number == demo.identity_number)
        )
        if org is None or not org.members:
            continue
        actor: User = org.members[0]
        for position, data in enumerate(_rights_for(demo, rng, 100_000 + index * 1_000)):
            right, _created = services.register_right(org, data, actor=actor)
            owner = right.owner_row(org)
            if agent is None or owner is None or owner.verified_at is not None:
                continue
            if position % 2 == 1 or db.session.scalar(
                sa.select(OwnershipClaim.id).where(OwnershipClaim.right_id == right.id)
            ):
                continue
            claim = services.file_claim(
                org,
                services.ClaimData(kind=right.kind, number=right.number, reviewer_org_id=agency.id),
                actor=actor,
                evidence=[evidence.Upload("证书.pdf", io.BytesIO(DEMO_PDF))],
            )
            if position % 10 != 0:  # leave a few claims waiting for the agency's review
                services.decide_claim(claim, actor=agent, verify=True)
    # A little legal history for the timeline.
    sample = db.session.scalars(
        sa.select(OwnershipClaim).where(OwnershipClaim.status == ClaimStatus.VERIFIED).limit(3)
    ).all()
    for claim in sample[:1]:
        right = claim.right
        if right.status is RightStatus.IN_FORCE:
            services.change_status(
                right,
                RightStatus.UNDER_INVALIDATION,
                on=today() - timedelta(days=20),
                source="demo",
            )
    from marketplace.rights.models import Right

    return db.session.scalar(sa.select(sa.func.count()).select_from(Right)) or 0
