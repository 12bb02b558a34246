"""Agency fixtures: a patent agency, an appraiser and a rights holder, each with a member."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.accounts.models import OrgKind
from tests.factories import make_org, make_user


@pytest.fixture
def parties(db: Any) -> dict[str, Any]:
    agency = make_org(OrgKind.PATENT_AGENCY, name_zh="长春测试专利代理事务所")
    appraiser = make_org(OrgKind.APPRAISER, name_zh="吉林测试资产评估有限公司")
    holder = make_org(OrgKind.ENTERPRISE, name_zh="长春测试汽车零部件有限公司")
    return {
        "agency": agency,
        "agency_user": make_user(agency),
        "appraiser": appraiser,
        "appraiser_user": make_user(appraiser),
        "holder": holder,
        "holder_user": make_user(holder),
    }
