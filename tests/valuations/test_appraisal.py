"""Appraisal orders through the pages: workbench, signed report (HTML, PDF, SHA-256 in the audit
trail), hash check of a downloaded copy, superseding, and who may see it."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import OrgKind
from marketplace.core.audit import history
from marketplace.extensions import db as _db
from marketplace.orders.models import OrderStatus
from marketplace.valuations.models import Report, ReportStatus
from tests.factories import make_operator, make_org, make_user, make_valuation_order

FORM = {
    "basis": "market_value",
    "pledge_percentile": "20",
    "life_years": "8",
    "relief_from_royalty.enabled": "y",
    "relief_from_royalty.weight": "100",
    "relief_from_royalty.revenue.value": "20000000",
    "relief_from_royalty.revenue.low": "16000000",
    "relief_from_royalty.revenue.high": "24000000",
    "relief_from_royalty.revenue.source": "2025年审计报告",
    "relief_from_royalty.growth.value": "5",
    "relief_from_royalty.growth.low": "0",
    "relief_from_royalty.growth.high": "10",
    "relief_from_royalty.growth.source": "行业研究报告",
    "relief_from_royalty.royalty_rate.value": "4",
    "relief_from_royalty.royalty_rate.low": "3",
    "relief_from_royalty.royalty_rate.high": "6",
    "relief_from_royalty.royalty_rate.source": "许可费率数据库",
    "relief_from_royalty.tax_rate.value": "25",
    "relief_from_royalty.tax_rate.source": "企业所得税法",
    "relief_from_royalty.discount_rate.value": "12",
    "relief_from_royalty.discount_rate.low": "10",
    "relief_from_royalty.discount_rate.high": "15",
    "relief_from_royalty.discount_rate.source": "CAPM",
    "relief_from_royalty.years.value": "8",
    "relief_from_royalty.years.source": "剩余经济寿命",
}


@pytest.fixture
def world(db):
    holder = make_org(OrgKind.ENTERPRISE)
    appraiser = make_org(OrgKind.APPRAISER)
    holder_user, appraiser_user = make_user(holder), make_user(appraiser)
    order = make_valuation_order(holder, holder_user, appraiser, appraiser_user)
    return {"order": order, "holder_user": holder_user, "appraiser_user": appraiser_user}


def sign(client, order, **changes):
    return client.post(f"/orders/{order.id}/workbench", data={**FORM, **changes, "action": "sign"})


def test_workbench_computes_range_and_charts(client, login_as, world):
    login_as(world["appraiser_user"])
    order = world["order"]
    response = client.post(f"/orders/{order.id}/workbench", data={**FORM, "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:3000]
    assert 'data-testid="value-range"' in html
    assert html.count("<svg") >= 3  # distribution, tornado, cash flows
    assert "<script" not in html.split('id="main"')[1].split("</main>")[0]  # charts need no JS
    _db.session.refresh(order)
    assert order.status is OrderStatus.IN_PROGRESS


def test_a_missing_source_is_shown_on_its_field_and_the_draft_kept(client, login_as, world):
    login_as(world["appraiser_user"])
    order = world["order"]
    response = client.post(
        f"/orders/{order.id}/workbench",
        data={**FORM, "relief_from_royalty.royalty_rate.source": "", "action": "sign"},
    )
    assert response.status_code == 422
    assert 'id="relief_from_royalty.royalty_rate-error"' in response.get_data(as_text=True)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_signing_freezes_a_report_whose_pdf_hash_the_platform_verifies(client, login_as, world):
    login_as(world["appraiser_user"])
    order = world["order"]
    response = sign(client, order)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    report = _db.session.scalars(sa.select(Report)).one()
    _db.session.refresh(order)
    assert order.status is OrderStatus.DELIVERED
    assert report.low < report.mid < report.high
    assert isinstance(report.concluded_value, int)
    signed = next(e for e in history("reports", report.id) if e.action == "report.signed")
    assert signed.after["sha256"] == report.sha256
    client.post("/logout")

    login_as(world["holder_user"])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert report.number in page and "知识产权价值评估报告" in page
    download = client.get(f"/reports/{report.id}/pdf")
    assert download.data.startswith(b"%PDF-")
    assert hashlib.sha256(download.data).hexdigest() == report.sha256
    good = client.post(
        f"/reports/{report.id}/verify",
        data={"file": (io.BytesIO(download.data), "report.pdf")},
        content_type="multipart/form-data",
    )
    assert 'data-matches="yes"' in good.get_data(as_text=True)
    tampered = download.data.replace(b"%%EOF", b"%%EOF ", 1)
    bad = client.post(
        f"/reports/{report.id}/verify",
        data={"file": (io.BytesIO(tampered), "report.pdf")},
        content_type="multipart/form-data",
    )
    assert 'data-matches="no"' in bad.get_data(as_text=True)


def test_a_signed_report_is_only_superseded(client, login_as, world):
    login_as(world["appraiser_user"])
    order = world["order"]
    sign(client, order)
    first = _db.session.scalars(sa.select(Report)).one()
    # No editing after delivery.
    assert client.post(f"/orders/{order.id}/workbench", data={**FORM}).status_code == 403
    client.post("/logout")
    login_as(world["holder_user"])
    client.post(f"/orders/{order.id}/dispute", data={"reason": "收入预测过高"})
    client.post("/logout")
    login_as(world["appraiser_user"])
    client.post(f"/orders/{order.id}/revise")
    sign(client, order, **{"relief_from_royalty.revenue.value": "18000000"})
    reports = _db.session.scalars(sa.select(Report).order_by(Report.version)).all()
    assert [r.version for r in reports] == [1, 2]
    _db.session.refresh(first)
    assert first.status is ReportStatus.SUPERSEDED and reports[1].supersedes_id == first.id
    assert reports[1].concluded_value < first.concluded_value
    assert first.sha256 != reports[1].sha256


def test_only_the_orderer_and_the_appraiser_see_the_report(client, login_as, world):
    login_as(world["appraiser_user"])
    sign(client, world["order"])
    client.post("/logout")
    report = _db.session.scalars(sa.select(Report)).one()
    for outsider in (
        make_user(make_org(OrgKind.APPRAISER)),
        make_user(make_org(OrgKind.BANK)),
        make_operator(),
    ):
        login_as(outsider)
        assert client.get(f"/reports/{report.id}").status_code == 404
        assert client.get(f"/reports/{report.id}/pdf").status_code == 404
        assert client.get(f"/orders/{world['order'].id}").status_code == 404
        client.post("/logout")


def test_holder_cannot_open_the_workbench(client, login_as, world):
    login_as(world["holder_user"])
    assert client.get(f"/orders/{world['order'].id}/workbench").status_code == 403
