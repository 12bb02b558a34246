"""The agencies API: the directory, publishing, changing and withdrawing one's own services."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.accounts.models import OrgKind
from marketplace.agencies import services
from marketplace.orders.models import ServiceKind
from tests.agencies.test_services import data
from tests.factories import bearer, make_org, make_token, make_user

BODY = {
    "kind": "patent_navigation",
    "title_zh": "产业专利导航分析报告",
    "title_en": "Industry patent navigation report",
    "description": "专利态势、技术路线与产业链补链建议。",
    "price_min": 5_000_000,
    "price_max": 20_000_000,
    "days_min": 45,
    "days_max": 90,
    "regions": ["吉林省", "全国"],
    "industries": ["automotive", "optoelectronics"],
}


@pytest.fixture
def headers(parties: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        name: bearer(make_token(parties[f"{name}_user"]))
        for name in ("agency", "appraiser", "holder")
    }


def test_publish_and_list(client, parties, headers):
    created = client.post("/api/v1/agencies/services", json=BODY, headers=headers["agency"])
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["provider_org_id"] == parties["agency"].id
    assert body["provider_kind"] == "patent_agency"
    prices = (body["price_min"], body["price_max"], body["currency"])
    assert prices == (5_000_000, 20_000_000, "CNY")
    assert body["active"] and not body["quote_on_request"]
    assert (body["rating"], body["rating_count"]) == (None, 0)
    listed = client.get("/api/v1/agencies/services", headers=headers["holder"]).get_json()
    assert [s["id"] for s in listed] == [body["id"]]
    one = client.get(f"/api/v1/agencies/services/{body['id']}", headers=headers["holder"])
    assert one.get_json()["title_zh"] == "产业专利导航分析报告"


def test_list_filters_and_sorts(client, parties, headers):
    filing = services.publish_service(parties["agency"], data(), actor=parties["agency_user"])
    valuation = services.publish_service(
        parties["appraiser"],
        data(
            kind=ServiceKind.VALUATION,
            title_zh="评估",
            price_min=800_000,
            price_max=900_000,
            days_min=5,
            days_max=10,
            regions=("长春市",),
            industries=("biomedicine",),
        ),
        actor=parties["appraiser_user"],
    )

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/agencies/services?{query}", headers=headers["holder"])
        assert response.status_code == 200, response.get_json()
        return [s["id"] for s in response.get_json()]

    assert ids("kind=valuation") == [valuation.id]
    assert ids("industry=automotive") == [filing.id]
    assert ids("region=长春市") == [valuation.id]
    assert ids("max_price=700000") == [filing.id]
    assert ids("sort=price") == [filing.id, valuation.id]
    assert ids("sort=delivery") == [valuation.id, filing.id]
    assert ids("sort=delivery&per_page=1&page=2") == [filing.id]
    bad = client.get("/api/v1/agencies/services?sort=cheapest", headers=headers["holder"])
    assert bad.status_code == 422 and "sort" in bad.get_json()["error"]["fields"]


def test_invalid_service_is_422_listing_each_field(client, headers):
    body = {**BODY, "title_zh": " ", "price_max": None, "days_min": 100, "regions": []}
    response = client.post("/api/v1/agencies/services", json=body, headers=headers["agency"])
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert {"title_zh", "price_max", "days_max", "regions"} <= set(error["fields"])
    unknown = client.post(
        "/api/v1/agencies/services", json={**BODY, "commission": 5}, headers=headers["agency"]
    )
    assert unknown.status_code == 422 and "commission" in unknown.get_json()["error"]["fields"]


def test_only_agencies_publish_and_only_allowed_kinds(client, headers):
    holder = client.post("/api/v1/agencies/services", json=BODY, headers=headers["holder"])
    assert holder.status_code == 403
    appraiser = client.post("/api/v1/agencies/services", json=BODY, headers=headers["appraiser"])
    assert appraiser.status_code == 422 and "kind" in appraiser.get_json()["error"]["fields"]
    assert client.post("/api/v1/agencies/services", json=BODY).status_code == 401


def test_patch_and_delete_own_services_only(client, parties, headers):
    service = services.publish_service(parties["agency"], data(), actor=parties["agency_user"])
    url = f"/api/v1/agencies/services/{service.id}"
    patched = client.patch(url, json={"price_min": 650_000}, headers=headers["agency"])
    assert patched.status_code == 200, patched.get_json()
    assert (patched.get_json()["price_min"], patched.get_json()["price_max"]) == (
        650_000,
        1_200_000,
    )
    inverted = client.patch(url, json={"price_max": 100}, headers=headers["agency"])
    assert inverted.status_code == 422
    # Another organisation's service: 404 for changes, even though it is listed.
    for who in ("appraiser", "holder"):
        assert client.patch(url, json={"title_zh": "改"}, headers=headers[who]).status_code == 404
        assert client.delete(url, headers=headers[who]).status_code == 404
    assert client.delete(url, headers=headers["agency"]).status_code == 204
    assert client.get("/api/v1/agencies/services", headers=headers["holder"]).get_json() == []
    assert client.get(url, headers=headers["holder"]).status_code == 404
    mine = client.get("/api/v1/agencies/services?mine=true", headers=headers["agency"]).get_json()
    assert [(s["id"], s["active"]) for s in mine] == [(service.id, False)]
    refused = client.get("/api/v1/agencies/services?mine=true", headers=headers["holder"])
    assert refused.status_code == 403


def test_agency_profile(client, parties, headers):
    services.publish_service(parties["agency"], data(), actor=parties["agency_user"])
    response = client.get(f"/api/v1/agencies/{parties['agency'].id}", headers=headers["holder"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["kind"] == "patent_agency" and body["completed_orders"] == 0
    assert [s["title_zh"] for s in body["services"]] == [data().title_zh]
    not_agency = client.get(f"/api/v1/agencies/{parties['holder'].id}", headers=headers["agency"])
    assert not_agency.status_code == 404


def test_unverified_organisation_cannot_browse(client, db):
    from marketplace.accounts.models import OrgStatus

    pending = make_org(OrgKind.ENTERPRISE, status=OrgStatus.PENDING)
    response = client.get(
        "/api/v1/agencies/services", headers=bearer(make_token(make_user(pending)))
    )
    assert response.status_code == 403
