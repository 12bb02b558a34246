"""The rights API: portfolio, registration, claims with multipart evidence, review."""

from __future__ import annotations

import io

import pytest

from marketplace.accounts.models import OrgKind
from tests.factories import bearer, make_operator, make_org, make_right, make_token, make_user
from tests.rights.test_claims import PDF


@pytest.fixture
def holder(db):
    org = make_org(OrgKind.ENTERPRISE)
    user = make_user(org)
    return org, user, bearer(make_token(user))


def test_register_and_list_portfolio(client, holder):
    _org, _user, headers = holder
    body = {
        "kind": "utility_model",
        "number": "201420818800X",
        "title_zh": "一种播种机排种器",
        "filing_date": "2014-12-22",
        "grant_date": "2015-06-10",
        "ipc_codes": ["a01c7/04"],
    }
    created = client.post("/api/v1/rights", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    right = created.get_json()
    assert right["number"] == "201420818800.X"
    assert right["ipc_codes"] == ["A01C 7/04"]
    assert right["status"] == "expired"  # utility models last 10 years
    assert right["expires_on"] == "2024-12-21"
    listed = client.get("/api/v1/rights?kind=utility_model", headers=headers).get_json()
    assert [r["number"] for r in listed] == ["201420818800.X"]


def test_invalid_right_is_422_with_fields(client, holder):
    _org, _user, headers = holder
    response = client.post(
        "/api/v1/rights",
        json={
            "kind": "invention",
            "number": "201910349801.3",
            "title_zh": "x",
            "filing_date": "2019-05-10",
            "nice_classes": [3],
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert {"number", "nice_classes"} <= set(response.get_json()["error"]["fields"])


def test_foreign_right_is_404(client, holder):
    foreign = make_right(make_org())
    _org, _user, headers = holder
    assert client.get(f"/api/v1/rights/{foreign.id}", headers=headers).status_code == 404


def test_claim_with_multipart_evidence_and_agency_decision(client, holder):
    org, _user, headers = holder
    right = make_right(org, verified=False)
    agency = make_org(OrgKind.PATENT_AGENCY)
    agent_headers = bearer(make_token(make_user(agency)))
    response = client.post(
        "/api/v1/claims",
        data={
            "kind": "invention",
            "number": right.number,
            "reviewer_org_id": str(agency.id),
            "evidence": (io.BytesIO(PDF), "cert.pdf"),
        },
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    claim = response.get_json()
    assert claim["status"] == "submitted" and len(claim["evidence"]) == 1
    refused = client.post(
        f"/api/v1/claims/{claim['id']}/decision", json={"verify": False}, headers=agent_headers
    )
    assert refused.status_code == 422
    decided = client.post(
        f"/api/v1/claims/{claim['id']}/decision", json={"verify": True}, headers=agent_headers
    )
    assert decided.status_code == 200 and decided.get_json()["status"] == "verified"
    owners = client.get(f"/api/v1/rights/{right.id}", headers=headers).get_json()["owners"]
    assert owners[0]["verified"] is True


def test_multipart_is_refused_where_not_accepted(client, holder):
    _org, _user, headers = holder
    response = client.post(
        "/api/v1/rights",
        data={"kind": "invention"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 415


def test_bank_has_no_portfolio(client, db):
    bank_user = make_user(make_org(OrgKind.BANK))
    response = client.get("/api/v1/rights", headers=bearer(make_token(bank_user)))
    assert response.status_code == 403


def test_operator_sees_any_right(client, db):
    right = make_right(make_org())
    headers = bearer(make_token(make_operator()))
    assert client.get(f"/api/v1/rights/{right.id}", headers=headers).status_code == 200
