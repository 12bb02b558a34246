"""The fictional organisations of the demo market. Names are invented; identity numbers are
made up but carry valid check characters."""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.cn import ric, uscc

from marketplace.accounts.models import OrgKind

DEMO_PASSWORD = "IPtown-demo-2026"
DEMO_DOMAIN = "iptown-demo.cn"


def demo_uscc(authority_and_type: str, serial: int) -> str:
    """A check-valid USCC registered in Changchun (region 220100) with a made-up serial."""
    base = f"{authority_and_type}220100MA{serial:07d}"
    return base + uscc.calc_check_digit(base)


def demo_ric(birth: str, serial: int) -> str:
    base = f"220100{birth}{serial:03d}"
    return base + ric.calc_check_digit(base + "0")  # stdnum wants a placeholder check digit


@dataclass(frozen=True)
class DemoOrg:
    key: str
    kind: OrgKind
    name_zh: str
    name_en: str
    region: str
    identity_number: str
    industry: str | None = None
    contact: str = "管理员"


ORGANISATIONS: list[DemoOrg] = [
    DemoOrg(
        "xinchi",
        OrgKind.ENTERPRISE,
        "长春新驰汽车热管理科技有限公司",
        "Changchun Xinchi Automotive Thermal Management Technology Co., Ltd.",
        "长春新区",
        demo_uscc("91", 1),
        "automotive",
        "李明轩",
    ),
    DemoOrg(
        "guanggu",
        OrgKind.ENTERPRISE,
        "吉林光谷精密光电有限公司",
        "Jilin Guanggu Precision Optoelectronics Co., Ltd.",
        "长春新区",
        demo_uscc("91", 2),
        "optoelectronics",
        "赵思远",
    ),
    DemoOrg(
        "beichen",
        OrgKind.ENTERPRISE,
        "长春北辰生物医药股份有限公司",
        "Changchun Beichen Biopharmaceutical Co., Ltd.",
        "长春新区",
        demo_uscc("91", 3),
        "biomedicine",
        "孙雅婷",
    ),
    DemoOrg(
        "huacai",
        OrgKind.ENTERPRISE,
        "吉林华材新材料科技有限公司",
        "Jilin Huacai New Materials Technology Co., Ltd.",
        "长春市",
        demo_uscc("91", 4),
        "new_materials",
        "周浩然",
    ),
    DemoOrg(
        "fenghe",
        OrgKind.ENTERPRISE,
        "吉林丰禾种业有限公司",
        "Jilin Fenghe Seed Co., Ltd.",
        "公主岭市",
        demo_uscc("91", 5),
        "agriculture",
        "吴建国",
    ),
    DemoOrg(
        "zhonggong",
        OrgKind.ENTERPRISE,
        "长春重工智能装备有限公司",
        "Changchun Heavy Industry Intelligent Equipment Co., Ltd.",
        "长春新区",
        demo_uscc("91", 6),
        "equipment",
        "郑国栋",
    ),
    DemoOrg(
        "shuyun",
        OrgKind.ENTERPRISE,
        "长春数云大数据科技有限公司",
        "Changchun Shuyun Big Data Technology Co., Ltd.",
        "长春新区",
        demo_uscc("91", 7),
        "big_data",
        "陈可欣",
    ),
    DemoOrg(
        "ligong",
        OrgKind.UNIVERSITY,
        "长春新区理工大学",
        "Changchun New Area University of Technology",
        "长春新区",
        demo_uscc("12", 8),
        "optoelectronics",
        "刘教授",
    ),
    DemoOrg(
        "nongke",
        OrgKind.RESEARCH_INSTITUTE,
        "吉林省现代农业生物技术研究院",
        "Jilin Institute of Modern Agricultural Biotechnology",
        "长春市",
        demo_uscc("12", 9),
        "agriculture",
        "高研究员",
    ),
    DemoOrg(
        "wangzy",
        OrgKind.INDIVIDUAL_INVENTOR,
        "王志远",
        "Wang Zhiyuan",
        "长春市",
        demo_ric("19820315", 123),
        "new_materials",
        "王志远",
    ),
    DemoOrg(
        "kenong",
        OrgKind.BANK,
        "长春新区科技农商银行",
        "Changchun New Area Technology Rural Commercial Bank",
        "长春新区",
        demo_uscc("91", 11),
        None,
        "信贷部",
    ),
    DemoOrg(
        "songhua",
        OrgKind.BANK,
        "吉林松花江银行长春新区支行",
        "Jilin Songhua River Bank, Changchun New Area Branch",
        "长春新区",
        demo_uscc("91", 12),
        None,
        "科技金融部",
    ),
    DemoOrg(
        "zhenxing",
        OrgKind.BANK,
        "北方振兴银行长春分行",
        "Northern Revitalisation Bank, Changchun Branch",
        "长春市",
        demo_uscc("91", 13),
        None,
        "普惠金融部",
    ),
    DemoOrg(
        "zhiheng",
        OrgKind.PATENT_AGENCY,
        "长春智衡专利代理事务所",
        "Changchun Zhiheng Patent Agency",
        "长春新区",
        demo_uscc("31", 14),
        None,
        "代理人",
    ),
    DemoOrg(
        "zhengyuan",
        OrgKind.APPRAISER,
        "吉林正元资产评估有限公司",
        "Jilin Zhengyuan Asset Appraisal Co., Ltd.",
        "长春市",
        demo_uscc("91", 15),
        None,
        "评估师",
    ),
    DemoOrg(
        "mingzheng",
        OrgKind.LAW_FIRM,
        "吉林明正律师事务所",
        "Jilin Mingzheng Law Firm",
        "长春市",
        demo_uscc("31", 16),
        None,
        "律师",
    ),
    DemoOrg(
        "jizhuan",
        OrgKind.BROKER,
        "长春技转通技术转移服务有限公司",
        "Changchun Jizhuantong Technology Transfer Services Co., Ltd.",
        "长春新区",
        demo_uscc("91", 17),
        None,
        "经纪人",
    ),
]
