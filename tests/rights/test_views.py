"""Portfolio and right pages."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.accounts.models import OrgKind
from marketplace.rights import services
from marketplace.rights.models import RightStatus
from tests.factories import make_operator, make_org, make_right, make_user


@pytest.fixture
def holder(db):
    org = make_org(OrgKind.ENTERPRISE)
    return org, make_user(org)


def test_portfolio_filters_and_badges(client, login_as, holder):
    org, user = holder
    make_right(org, title_zh="动力电池热管理系统")
    make_right(org, title_zh="失效的专利", status=RightStatus.LAPSED, verified=False)
    login_as(user)
    html = client.get("/rights").get_data(as_text=True)
    assert html.count('data-testid="portfolio-row"') == 2
    lapsed = client.get("/rights?status=lapsed").get_data(as_text=True)
    assert "失效的专利" in lapsed and "动力电池热管理系统" not in lapsed
    found = client.get("/rights?q=热管理").get_data(as_text=True)
    assert found.count('data-testid="portfolio-row"') == 1


def test_right_page_shows_term_fees_and_timeline(client, login_as, holder):
    org, user = holder
    right = make_right(
        org,
        filing_date=date(2019, 5, 10),
        grant_date=date(2021, 3, 2),
        number="201910349801.1",
        paid_through=date(2026, 5, 9),
    )
    services.change_status(
        right, RightStatus.UNDER_INVALIDATION, on=date(2025, 3, 1), source="import:cnipa.csv"
    )
    login_as(user)
    html = client.get(f"/rights/{right.id}").get_data(as_text=True)
    assert "ZL201910349801.1" in html
    assert "2039" in html  # expiry year of a 2019 invention
    timeline = html.split('data-testid="timeline"')[1]
    assert timeline.index("2019") < timeline.index("2021") < timeline.index("2025")


def test_new_right_form_shows_field_errors(client, login_as, holder):
    _org, user = holder
    login_as(user)
    response = client.post(
        "/rights/new", data={"kind": "invention", "number": "123", "title_zh": "测试"}
    )
    assert response.status_code == 422
    assert 'id="number-error"' in response.get_data(as_text=True)


def test_new_right_form_registers(client, login_as, holder):
    _org, user = holder
    login_as(user)
    response = client.post(
        "/rights/new",
        data={
            "kind": "invention",
            "number": "ZL201811564288.X",
            "title_zh": "一种光学镜头",
            "filing_date": "2018-12-20",
            "grant_date": "2020-07-01",
            "ipc_codes": "G02B 13/00",
        },
    )
    assert response.status_code == 302


def test_operator_disputes_page(client, login_as, db):
    login_as(make_operator())
    assert client.get("/disputes").status_code == 200
    assert client.get("/claims").status_code == 200


@pytest.mark.parametrize("kind", [OrgKind.BANK, OrgKind.APPRAISER])
def test_non_holders_have_no_portfolio_page(client, login_as, db, kind):
    login_as(make_user(make_org(kind)))
    assert client.get("/rights").status_code == 403
