"""Risk-sharing schemes through the pages and the API: the operator configures schemes and reads
their reports; banks and rights holders are refused."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.accounts.models import OrgKind, OrgStatus
from marketplace.core.audit import AuditEntry
from marketplace.extensions import db as _db
from marketplace.pledges import risk
from marketplace.pledges.models import PledgeStatus, Repayment, RiskScheme, SchemeKind
from tests.factories import bearer, make_operator, make_org, make_right, make_token, make_user
from tests.pledges.helpers import make_bank, make_pledge


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def counts() -> tuple[int, int]:
    schemes = _db.session.scalar(sa.select(sa.func.count()).select_from(RiskScheme))
    entries = _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    return schemes or 0, entries or 0


FORM = {
    "kind": "interest_subsidy",
    "name_zh": "长春新区知识产权质押贷款贴息",
    "name_en": "IP loan interest subsidy",
    "share_bp": "40",
    "annual_cap": "50000.50",
    "regions": "长春新区；长春市",
    "industries": ["automotive", "biomedicine"],
    "active": "y",
}

BODY = {
    "kind": "risk_compensation",
    "name_zh": "长春新区知识产权质押融资风险补偿资金",
    "share_bp": 4_000,
    "annual_cap": 1_000_000_00,
    "regions": ["长春新区"],
    "industries": ["automotive"],
}


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    bank, banker = make_bank(name_zh="长春测试银行")
    holder = make_org(OrgKind.ENTERPRISE, name_zh="长春新区测试汽车有限公司")
    return {
        "operator": make_operator(),
        "bank": bank,
        "banker": banker,
        "holder": holder,
        "holder_user": make_user(holder),
    }


@pytest.fixture
def scheme(people: dict[str, Any]) -> RiskScheme:
    return risk.create_scheme(
        risk.SchemeData(
            kind=SchemeKind.INTEREST_SUBSIDY,
            name_zh="长春新区贴息",
            share_bp=5_000,
            annual_cap=1_000_00,
            regions=("长春新区",),
        ),
        actor=people["operator"],
    )


@pytest.fixture
def loans(people: dict[str, Any]) -> dict[str, Any]:
    """Two registered loans of 长春新区 paying interest in 2025; the cap of :func:`scheme`
    (1 000 yuan, 50 %) runs out during the second."""
    holder, bank, banker = people["holder"], people["bank"], people["banker"]
    first = make_pledge(holder, bank, [make_right(holder, industry="automotive")])
    second = make_pledge(holder, bank, [make_right(holder, industry="automotive")])
    for pledge, paid_on, interest in (
        (first, date(2025, 2, 1), 1_200_00),
        (second, date(2025, 3, 1), 1_000_01),
        (second, date(2024, 12, 1), 5_000_00),  # another year
    ):
        _db.session.add(
            Repayment(
                pledge=pledge,
                paid_on=paid_on,
                principal=0,
                interest=interest,
                recorded_by_id=banker.id,
            )
        )
    _db.session.flush()
    return {"first": first, "second": second}


# --- pages ---------------------------------------------------------------------------------------


def test_operator_creates_a_scheme_in_percent_and_yuan(client, login_as, people):
    login_as(people["operator"])
    assert client.get("/risk-sharing/new").status_code == 200
    response = client.post("/risk-sharing/new", data=FORM)
    assert response.status_code == 302, html(response)[:2000]
    created = _db.session.scalars(sa.select(RiskScheme)).one()
    assert created.kind is SchemeKind.INTEREST_SUBSIDY
    assert (created.share_bp, created.annual_cap) == (4_000, 5_000_050)
    assert created.regions == ["长春新区", "长春市"]
    assert created.industries == ["automotive", "biomedicine"]
    page = html(client.get("/risk-sharing"))
    assert "长春新区知识产权质押贷款贴息" in page
    assert "40%" in page and "¥50,000.50" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("share_bp", "33.333"),  # more precise than a basis point
        ("share_bp", "0"),
        ("share_bp", "120"),
        ("annual_cap", "0.001"),
        ("annual_cap", "-5"),
        ("name_zh", ""),
    ],
)
def test_bad_form_input_is_shown_and_nothing_is_saved(client, login_as, people, field, value):
    login_as(people["operator"])
    before = counts()
    response = client.post("/risk-sharing/new", data={**FORM, field: value})
    assert response.status_code == 422
    assert 'class="field-error"' in html(response)
    assert counts() == before


def test_operator_edits_a_scheme(client, login_as, people, scheme):
    login_as(people["operator"])
    form = html(client.get(f"/risk-sharing/{scheme.id}/edit"))
    assert 'value="长春新区贴息"' in form and 'value="50' in form
    response = client.post(
        f"/risk-sharing/{scheme.id}/edit",
        data={**FORM, "name_zh": "长春新区贴息（2025 版）", "share_bp": "33.33", "regions": ""},
    )
    assert response.status_code == 302, html(response)[:2000]
    _db.session.refresh(scheme)
    assert (scheme.name_zh, scheme.share_bp, scheme.regions) == (
        "长春新区贴息（2025 版）",
        3_333,
        [],
    )
    entry = _db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "risk_scheme.updated" and entry.after["share_bp"] == 3_333


def test_operator_reads_the_report_of_a_year(client, login_as, people, scheme, loans):
    login_as(people["operator"])
    page = html(client.get(f"/risk-sharing/{scheme.id}/report?year=2025"))
    assert loans["first"].number in page and loans["second"].number in page
    assert "长春新区测试汽车有限公司" in page
    assert "¥600.00" in page  # first: 50 % of 1 200 yuan, paid in full
    assert "¥500.00" in page  # second: claim 500.005 yuan floored to 500.00
    assert "¥400.00" in page  # ... of which the cap leaves 400
    assert 'data-testid="cap-left">¥0.00' in page
    empty = html(client.get(f"/risk-sharing/{scheme.id}/report?year=2023"))
    assert loans["first"].number not in empty


def test_report_csv(client, login_as, people, scheme, loans):
    login_as(people["operator"])
    response = client.get(f"/risk-sharing/{scheme.id}/report.csv?year=2025")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"risk-scheme-{scheme.id}-2025.csv" in response.headers["Content-Disposition"]
    assert response.data.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [row["pledge_number"] for row in rows] == [loans["first"].number, loans["second"].number]
    assert [(row["claim_yuan"], row["paid_yuan"]) for row in rows] == [
        ("600.00", "600.00"),
        ("500.00", "400.00"),
    ]
    assert rows[1]["basis_yuan"] == "1000.01"
    assert rows[1]["cap_left_yuan"] == "0.00"
    assert rows[0]["eligible"] == "yes" and rows[0]["event_on"] == "2025-02-01"


def test_report_shows_why_a_loan_is_not_eligible(client, login_as, people, scheme, loans):
    people["holder"].region = "吉林省吉林市"
    _db.session.flush()
    login_as(people["operator"])
    page = html(client.get(f"/risk-sharing/{scheme.id}/report?year=2025"))
    from marketplace.pledges.risk import REASON_LABELS

    with force_locale("zh"):
        reason = str(REASON_LABELS["region"])
    assert page.count(reason) == 2
    assert 'data-testid="total-paid">¥0.00' in page


@pytest.mark.parametrize("who", ["banker", "holder_user"])
def test_banks_and_holders_are_refused(client, login_as, people, scheme, who):
    login_as(people[who])
    for path in (
        "/risk-sharing",
        "/risk-sharing/new",
        f"/risk-sharing/{scheme.id}/edit",
        f"/risk-sharing/{scheme.id}/report?year=2025",
        f"/risk-sharing/{scheme.id}/report.csv?year=2025",
    ):
        assert client.get(path).status_code == 403, path
    before = counts()
    assert client.post("/risk-sharing/new", data=FORM).status_code == 403
    assert client.post(f"/risk-sharing/{scheme.id}/edit", data=FORM).status_code == 403
    assert counts() == before


def test_unverified_members_do_not_see_schemes(client, login_as, people, scheme):
    pending = make_org(OrgKind.BANK, status=OrgStatus.PENDING)
    login_as(make_user(pending))
    assert client.get(f"/risk-sharing/{scheme.id}/report").status_code == 404
    assert client.get("/risk-sharing").status_code == 403


def test_signed_out_visitors_are_sent_to_log_in(client, people, scheme):
    assert client.get("/risk-sharing").status_code == 302
    assert client.get(f"/risk-sharing/{scheme.id}/report").status_code == 302


# --- API -----------------------------------------------------------------------------------------


def test_api_create_and_list(client, people):
    headers = bearer(make_token(people["operator"]))
    created = client.post("/api/v1/risk-schemes", json=BODY, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["kind"] == "risk_compensation"
    assert (body["share_bp"], body["annual_cap"], body["currency"]) == (4_000, 1_000_000_00, "CNY")
    assert body["regions"] == ["长春新区"] and body["active"] is True
    listed = client.get("/api/v1/risk-schemes", headers=headers).get_json()
    assert [s["id"] for s in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        (
            {"share_bp": 0, "name_zh": " ", "industries": ["shipbuilding"]},
            {"share_bp", "name_zh", "industries"},
        ),
        ({"annual_cap": -1}, {"annual_cap"}),
        ({"annual_cap": "1000"}, {"annual_cap"}),  # strict: a number, not text
        ({"kind": "guarantee"}, {"kind"}),
        ({"share_bp": None}, {"share_bp"}),
    ],
)
def test_api_create_with_bad_input_is_422_and_writes_nothing(client, people, changes, fields):
    headers = bearer(make_token(people["operator"]))
    before = counts()
    response = client.post("/api/v1/risk-schemes", json={**BODY, **changes}, headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["message"]
    assert set(error["fields"]) == fields
    assert counts() == before


@pytest.mark.parametrize("who", ["banker", "holder_user"])
def test_api_refuses_everyone_but_the_operator(client, people, scheme, who):
    headers = bearer(make_token(people[who]))
    before = counts()
    for response in (
        client.get("/api/v1/risk-schemes", headers=headers),
        client.post("/api/v1/risk-schemes", json=BODY, headers=headers),
        client.get(f"/api/v1/risk-schemes/{scheme.id}/report?year=2025", headers=headers),
    ):
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    assert counts() == before


def test_api_needs_a_token(client, people):
    response = client.get("/api/v1/risk-schemes")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


def test_api_report_figures(client, people, scheme, loans):
    headers = bearer(make_token(people["operator"]))
    response = client.get(f"/api/v1/risk-schemes/{scheme.id}/report?year=2025", headers=headers)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["scheme_id"], report["year"], report["kind"]) == (
        scheme.id,
        2025,
        "interest_subsidy",
    )
    assert (report["basis"], report["claim"], report["paid"]) == (2_200_01, 1_100_00, 1_000_00)
    assert (report["annual_cap"], report["cap_used"], report["cap_left"]) == (1_000_00, 1_000_00, 0)
    first, second = report["lines"]
    assert first == {
        "pledge_id": loans["first"].id,
        "number": loans["first"].number,
        "pledgor": "长春新区测试汽车有限公司",
        "eligible": True,
        "reasons": [],
        "event_on": "2025-02-01",
        "basis": 1_200_00,
        "claim": 600_00,
        "paid": 600_00,
        "cap_left": 400_00,
        "capped": False,
    }
    assert (second["claim"], second["paid"], second["capped"]) == (500_00, 400_00, True)


def test_api_report_gives_reasons_as_codes(client, people, scheme, loans):
    people["holder"].region = "吉林省吉林市"
    loans["second"].status = PledgeStatus.RELEASED
    _db.session.flush()
    headers = bearer(make_token(people["operator"]))
    report = client.get(
        f"/api/v1/risk-schemes/{scheme.id}/report?year=2025", headers=headers
    ).get_json()
    assert [line["reasons"] for line in report["lines"]] == [["region"], ["region"]]
    assert report["paid"] == 0


def test_api_report_of_a_missing_scheme_or_a_bad_year(client, people, scheme):
    headers = bearer(make_token(people["operator"]))
    assert client.get("/api/v1/risk-schemes/999999/report", headers=headers).status_code == 404
    bad = client.get(f"/api/v1/risk-schemes/{scheme.id}/report?year=1850", headers=headers)
    assert bad.status_code == 422
    assert "year" in bad.get_json()["error"]["fields"]
