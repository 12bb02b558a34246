"""The pledge-financing API: an application through two banks' reviews, four-eyes approval,
acceptance, filing, registration, repayment and release; and every refusal on the way."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import OrgKind
from marketplace.core.clock import today
from marketplace.extensions import db as _db
from marketplace.pledges import services
from marketplace.pledges.models import (
    LendingPolicy,
    LoanApplication,
    LoanReview,
    Pledge,
    ReviewStatus,
)
from marketplace.pledges.services import PolicyData
from marketplace.rights.models import RightStatus
from tests.core.test_api import assert_envelope
from tests.factories import bearer, make_org, make_right, make_token, make_user
from tests.pledges.helpers import make_bank, make_pledge, make_report

AMOUNT = 300_000_00  # ¥300,000 requested and approved
THRESHOLD = 100_000_00  # bank A's four-eyes threshold


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """A holder with two verified inventions and a signed pledge-value report on them; bank A
    (two users, a low second-approval threshold) and bank B."""
    holder = make_org(OrgKind.ENTERPRISE)
    holder_user = make_user(holder)
    rights = [make_right(holder), make_right(holder)]
    report = make_report(holder, holder_user, rights)
    bank_a, banker = make_bank()
    second_banker = make_user(bank_a)
    bank_b, other_banker = make_bank()
    services.save_policy(
        bank_a,
        dataclasses.replace(PolicyData.default(), second_approval_above=THRESHOLD),
        actor=banker,
    )
    return {
        "holder": holder,
        "rights": rights,
        "report": report,
        "bank_a": bank_a,
        "bank_b": bank_b,
        "headers": {
            "holder": bearer(make_token(holder_user)),
            "banker": bearer(make_token(banker)),
            "second_banker": bearer(make_token(second_banker)),
            "other_banker": bearer(make_token(other_banker)),
        },
    }


def body(world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "amount": AMOUNT,
        "term_months": 12,
        "purpose": "流动资金",
        "right_ids": [r.id for r in world["rights"]],
        "bank_ids": [world["bank_a"].id, world["bank_b"].id],
        "report_ids": [world["report"].id],
        **overrides,
    }


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def submitted(client: Any, world: dict[str, Any]) -> dict[str, Any]:
    """The holder creates and submits the application; returns it as the holder sees it."""
    h = world["headers"]["holder"]
    draft = ok(client.post("/api/v1/pledge-applications", json=body(world), headers=h), 201)
    assert draft["status"] == "draft" and draft["number"] is None
    return ok(client.post(f"/api/v1/pledge-applications/{draft['id']}/submit", headers=h))


def review_of(application: dict[str, Any], bank: Any) -> int:
    return next(r["id"] for r in application["reviews"] if r["bank_org_id"] == bank.id)


def approved_pledge(client: Any, world: dict[str, Any]) -> dict[str, Any]:
    """Bank A approves below its threshold and the holder accepts: the agreed pledge."""
    h = world["headers"]
    review_id = review_of(submitted(client, world), world["bank_a"])
    terms = {"amount": THRESHOLD, "rate_bp": 450, "term_months": 12}
    post = client.post
    approved = ok(
        post(f"/api/v1/loan-reviews/{review_id}/approve", json=terms, headers=h["banker"])
    )
    assert approved["status"] == "approved"
    url = f"/api/v1/loan-reviews/{review_id}/acceptance"
    return ok(client.post(url, headers=h["holder"]), 201)


def test_full_pledge_lifecycle_over_the_api(client, world):
    h = world["headers"]
    application = submitted(client, world)
    assert application["status"] == "submitted"
    assert application["number"].startswith("IPT-L-")
    assert {r["bank_org_id"] for r in application["reviews"]} == {
        world["bank_a"].id,
        world["bank_b"].id,
    }
    review_id = review_of(application, world["bank_a"])

    # Each bank sees the application with its own review only.
    seen = ok(client.get(f"/api/v1/pledge-applications/{application['id']}", headers=h["banker"]))
    assert [r["bank_org_id"] for r in seen["reviews"]] == [world["bank_a"].id]
    queue = ok(client.get("/api/v1/loan-reviews?status=submitted", headers=h["banker"]))
    assert [r["id"] for r in queue] == [review_id]
    assert [
        a["id"] for a in ok(client.get("/api/v1/pledge-applications", headers=h["banker"]))
    ] == [application["id"]]

    dossier = ok(client.get(f"/api/v1/loan-reviews/{review_id}/dossier", headers=h["banker"]))
    assert len(dossier["rights"]) == 2
    first = dossier["rights"][0]
    assert {g["code"] for g in first["grounds"]} >= {"owner", "status", "fees", "term", "pledged"}
    assert all(g["outcome"] in ("pass", "warning") for g in first["grounds"])
    assert all(g["label"] and g["message"] for g in first["grounds"])
    assert first["status"] == "in_force" and first["expires_on"] == "2039-05-09"
    assert first["remaining_years"] > 12
    assert first["reports"][0]["intact"] is True
    assert first["reports"][0]["number"] == world["report"].number
    assert first["reports"][0]["conservative_value"] > 0
    assert first["pledges"] == [] and first["licences"] == []
    unit = dossier["units"][0]
    assert unit["report_number"] == world["report"].number and unit["eligible"] is True
    assert sorted(unit["right_ids"]) == sorted(r.id for r in world["rights"])
    assert 0 < unit["amount"] < unit["value"]
    assert {f["code"] for f in unit["factors"]} >= {"base_rate"}
    assert all(f["explanation"] for f in unit["factors"])
    totals = dossier["totals"]
    assert totals["requested"] == AMOUNT and totals["value"] == unit["value"]
    assert totals["ltv_bp"] == AMOUNT * 10_000 // totals["value"]
    assert totals["grade"] in "ABCDE" and totals["grade_reasons"]
    assert totals["suggested"] == unit["amount"]

    # Above bank A's threshold: four eyes.
    terms = {
        "amount": AMOUNT,
        "rate_bp": 450,
        "term_months": 12,
        "conditions": "按月付息",
        "right_ids": [world["rights"][0].id],
    }
    url = f"/api/v1/loan-reviews/{review_id}"
    first_decision = ok(client.post(f"{url}/approve", json=terms, headers=h["banker"]))
    assert first_decision["status"] == "awaiting_second_approval"
    assert first_decision["assessment"]["suggested_amount"] == totals["suggested"]
    assert first_decision["assessment"]["risk_grade"] == totals["grade"]
    assert_envelope(client.post(f"{url}/acceptance", headers=h["holder"]), 403, "forbidden")
    confirmed = ok(client.post(f"{url}/second-approval", headers=h["second_banker"]))
    assert confirmed["status"] == "approved" and confirmed["approved_amount"] == AMOUNT

    # The holder sees the terms but not the bank's internal assessment.
    as_holder = ok(client.get(url, headers=h["holder"]))
    assert as_holder["rate_bp"] == 450 and as_holder["conditions"] == "按月付息"
    assert as_holder["assessment"] is None

    pledge = ok(client.post(f"{url}/acceptance", headers=h["holder"]), 201)
    assert pledge["status"] == "agreed" and pledge["principal"] == AMOUNT
    assert pledge["pledgee_org_id"] == world["bank_a"].id
    assert [row["right"]["id"] for row in pledge["held"]] == [world["rights"][0].id]
    assert len(pledge["contract_sha256"]) == 64
    other = review_of(application, world["bank_b"])
    closed = ok(client.get(f"/api/v1/loan-reviews/{other}", headers=h["other_banker"]))
    assert closed["status"] == "closed"

    p_url = f"/api/v1/pledges/{pledge['id']}"
    filed = ok(client.post(f"{p_url}/filing", headers=h["banker"]), 201)
    assert filed["status"] == "filed" and all(row["active"] for row in filed["held"])
    [filing] = filed["filings"]
    package = client.get(f"{p_url}/filings/{filing['id']}", headers=h["holder"])
    assert package.status_code == 200 and package.is_json
    assert hashlib.sha256(package.data).hexdigest() == filing["sha256"]
    assert package.headers["X-Content-SHA256"] == filing["sha256"]
    data = package.get_json()
    assert data["kind"] == "registration" and data["pledge_number"] == pledge["number"]
    assert data["secured_claim"]["principal"] == AMOUNT

    on = today().isoformat()
    registered = ok(
        client.post(
            f"{p_url}/filings/{filing['id']}/acceptance",
            json={"number": "Y2026220000123", "on": on},
            headers=h["banker"],
        )
    )
    assert registered["status"] == "registered"
    assert registered["registration_number"] == "Y2026220000123"
    assert registered["registered_on"] == on

    repayment = ok(
        client.post(
            f"{p_url}/repayments",
            json={"principal": AMOUNT, "interest": 13_500_00, "paid_on": on},
            headers=h["banker"],
        ),
        201,
    )
    assert (repayment["principal"], repayment["interest"]) == (AMOUNT, 13_500_00)
    released = ok(client.post(f"{p_url}/release", headers=h["banker"]))
    assert released["status"] == "released" and released["outstanding"] == 0
    assert released["interest_paid"] == 13_500_00
    assert released["released_on"] == on
    assert [f["kind"] for f in released["filings"]] == ["registration", "release"]
    assert not any(row["active"] for row in released["held"])
    assert released["repayments"][0]["id"] == repayment["id"]

    mine = ok(client.get("/api/v1/pledges", headers=h["holder"]))
    assert [p["id"] for p in mine] == [pledge["id"]]
    assert ok(client.get("/api/v1/pledges", headers=h["other_banker"])) == []


def test_bad_input_is_422_with_fields_and_writes_nothing(client, world):
    h = world["headers"]["holder"]

    def count() -> int:
        return _db.session.scalar(sa.select(sa.func.count()).select_from(LoanApplication))

    before = count()
    response = client.post(
        "/api/v1/pledge-applications",
        json=body(world, amount="lots", term_months=0, purpose="  ", colour="blue"),
        headers=h,
    )
    error = assert_envelope(response, 422, "validation_failed")
    assert set(error["fields"]) == {"amount", "term_months", "purpose", "colour"}
    # Well-formed but against the rules: the service's own checks, by field.
    foreign = make_right(make_org())
    response = client.post(
        "/api/v1/pledge-applications",
        json=body(world, right_ids=[foreign.id], bank_ids=[world["holder"].id]),
        headers=h,
    )
    error = assert_envelope(response, 422, "validation_failed")
    assert {"right_ids", "bank_ids"} <= set(error["fields"])
    assert count() == before


def test_bad_approval_terms_change_nothing(client, world):
    h = world["headers"]
    review_id = review_of(submitted(client, world), world["bank_a"])
    url = f"/api/v1/loan-reviews/{review_id}/approve"
    error = assert_envelope(
        client.post(url, json={"amount": -1, "rate_bp": 99_999}, headers=h["banker"]),
        422,
        "validation_failed",
    )
    assert set(error["fields"]) == {"amount", "rate_bp", "term_months"}
    too_long = {"amount": AMOUNT, "rate_bp": 450, "term_months": 48, "right_ids": [0]}
    error = assert_envelope(
        client.post(url, json=too_long, headers=h["banker"]), 422, "validation_failed"
    )
    assert set(error["fields"]) == {"term_months", "right_ids"}
    review = ok(client.get(f"/api/v1/loan-reviews/{review_id}", headers=h["banker"]))
    assert review["status"] == "submitted" and review["approved_amount"] is None


def test_other_bank_gets_404_on_a_review_not_sent_to_it(client, world):
    h = world["headers"]
    application = submitted(client, world)
    review_id = review_of(application, world["bank_a"])
    stranger = bearer(make_token(make_bank()[1]))
    for headers in (stranger, h["other_banker"]):
        for path in ("", "/dossier"):
            response = client.get(f"/api/v1/loan-reviews/{review_id}{path}", headers=headers)
            assert_envelope(response, 404, "not_found")
        response = client.post(
            f"/api/v1/loan-reviews/{review_id}/rejection", json={"reasons": "x"}, headers=headers
        )
        assert_envelope(response, 404, "not_found")
    response = client.get(f"/api/v1/pledge-applications/{application['id']}", headers=stranger)
    assert_envelope(response, 404, "not_found")
    assert ok(client.get("/api/v1/loan-reviews", headers=stranger)) == []


def test_draft_is_invisible_to_banks(client, world):
    h = world["headers"]
    draft = ok(
        client.post("/api/v1/pledge-applications", json=body(world), headers=h["holder"]), 201
    )
    response = client.get(f"/api/v1/pledge-applications/{draft['id']}", headers=h["banker"])
    assert_envelope(response, 404, "not_found")
    assert ok(client.get("/api/v1/pledge-applications", headers=h["banker"])) == []


def test_holder_cannot_approve_or_read_the_dossier(client, world):
    h = world["headers"]
    review_id = review_of(submitted(client, world), world["bank_a"])
    url = f"/api/v1/loan-reviews/{review_id}"
    terms = {"amount": AMOUNT, "rate_bp": 450, "term_months": 12}
    assert_envelope(
        client.post(f"{url}/approve", json=terms, headers=h["holder"]), 403, "forbidden"
    )
    assert_envelope(client.get(f"{url}/dossier", headers=h["holder"]), 403, "forbidden")
    assert_envelope(client.post(f"{url}/second-approval", headers=h["holder"]), 403, "forbidden")
    assert ok(client.get(url, headers=h["holder"]))["status"] == "submitted"


def test_the_first_approver_cannot_give_the_second_approval(client, world):
    h = world["headers"]
    review_id = review_of(submitted(client, world), world["bank_a"])
    url = f"/api/v1/loan-reviews/{review_id}"
    terms = {"amount": AMOUNT, "rate_bp": 450, "term_months": 12}
    ok(client.post(f"{url}/approve", json=terms, headers=h["banker"]))
    assert_envelope(client.post(f"{url}/second-approval", headers=h["banker"]), 403, "forbidden")
    assert ok(client.get(url, headers=h["banker"]))["status"] == "awaiting_second_approval"


def test_second_approval_needs_a_first_one(client, world):
    h = world["headers"]
    review_id = review_of(submitted(client, world), world["bank_a"])
    url = f"/api/v1/loan-reviews/{review_id}/second-approval"
    assert_envelope(client.post(url, headers=h["banker"]), 409, "illegal_transition")
    review = _db.session.get(LoanReview, review_id)
    _db.session.refresh(review)
    assert review.status is ReviewStatus.SUBMITTED and review.approved_amount is None


def test_below_threshold_needs_one_approver(client, world):
    pledge = approved_pledge(client, world)
    assert pledge["status"] == "agreed" and pledge["principal"] == THRESHOLD


def test_filing_refused_with_every_failing_ground(client, world):
    h = world["headers"]
    pledge = approved_pledge(client, world)
    world["rights"][0].status = RightStatus.SUSPENDED
    world["rights"][1].status = RightStatus.GRACE_PERIOD
    _db.session.flush()
    response = client.post(f"/api/v1/pledges/{pledge['id']}/filing", headers=h["banker"])
    error = assert_envelope(response, 409, "pledge_refused")
    reasons = error["fields"]["rights"]
    # One reason per failing right, each naming it (the suspension and the fee in grace).
    for right in world["rights"][:2]:
        assert any(right.number in r for r in reasons)
    again = ok(client.get(f"/api/v1/pledges/{pledge['id']}", headers=h["banker"]))
    assert again["status"] == "agreed" and again["filings"] == []
    assert not any(row["active"] for row in again["held"])


def test_information_request_and_answer(client, world):
    h = world["headers"]
    review_id = review_of(submitted(client, world), world["bank_a"])
    url = f"/api/v1/loan-reviews/{review_id}"
    blank = client.post(f"{url}/information-request", json={"question": " "}, headers=h["banker"])
    assert set(assert_envelope(blank, 422, "validation_failed")["fields"]) == {"question"}
    asked = ok(
        client.post(
            f"{url}/information-request", json={"question": "近三年财报？"}, headers=h["banker"]
        )
    )
    assert asked["status"] == "info_requested" and asked["reasons"] == "近三年财报？"
    answered = ok(client.post(f"{url}/answer", json={"answer": "见附件"}, headers=h["holder"]))
    assert answered["status"] == "submitted" and answered["answer"] == "见附件"
    rejected = ok(
        client.post(f"{url}/rejection", json={"reasons": "估值不足"}, headers=h["banker"])
    )
    assert rejected["status"] == "rejected"


def test_withdraw_closes_the_reviews(client, world):
    h = world["headers"]
    application = submitted(client, world)
    url = f"/api/v1/pledge-applications/{application['id']}/withdraw"
    assert_envelope(client.post(url, headers=h["banker"]), 403, "forbidden")
    withdrawn = ok(client.post(url, headers=h["holder"]))
    assert withdrawn["status"] == "withdrawn"
    assert {r["status"] for r in withdrawn["reviews"]} == {"closed"}


def test_co_owner_consents_then_the_application_can_be_sent(client, world):
    h = world["headers"]
    co_owner = make_org(OrgKind.UNIVERSITY)
    co_headers = bearer(make_token(make_user(co_owner)))
    shared = make_right(world["holder"], share=6000)
    shared.owners.append(type(shared.owners[0])(organisation_id=co_owner.id, share=4000))
    _db.session.flush()
    draft = ok(
        client.post(
            "/api/v1/pledge-applications",
            json=body(world, right_ids=[shared.id], report_ids=[]),
            headers=h["holder"],
        ),
        201,
    )
    url = f"/api/v1/pledge-applications/{draft['id']}"
    refused = assert_envelope(
        client.post(f"{url}/submit", headers=h["holder"]), 409, "pledge_refused"
    )
    assert refused["fields"]["rights"]
    listed = ok(client.get("/api/v1/pledge-applications", headers=co_headers))
    assert [a["id"] for a in listed] == [draft["id"]] and listed[0]["reviews"] == []
    bad = client.post(
        f"{url}/consents",
        json={"right_id": world["rights"][0].id, "ground": "co_owner"},
        headers=co_headers,
    )
    assert set(assert_envelope(bad, 422, "validation_failed")["fields"]) == {"right_id"}
    consent = ok(
        client.post(
            f"{url}/consents",
            json={"right_id": shared.id, "ground": "co_owner"},
            headers=co_headers,
        ),
        201,
    )
    assert consent["organisation_id"] == co_owner.id and consent["ground"] == "co_owner"
    twice = client.post(
        f"{url}/consents", json={"right_id": shared.id, "ground": "co_owner"}, headers=co_headers
    )
    assert_envelope(twice, 409, "conflict")
    assert ok(client.post(f"{url}/submit", headers=h["holder"]))["status"] == "submitted"


def test_pledgor_cannot_manage_the_pledge(client, world):
    h = world["headers"]
    pledge = approved_pledge(client, world)
    url = f"/api/v1/pledges/{pledge['id']}"
    assert_envelope(client.post(f"{url}/filing", headers=h["holder"]), 403, "forbidden")
    assert_envelope(client.get(url, headers=h["other_banker"]), 404, "not_found")
    assert_envelope(client.post(f"{url}/filing", headers=h["other_banker"]), 404, "not_found")
    assert ok(client.get(url, headers=h["holder"]))["alerts"] == []


def test_refusal_change_default_and_disposal(client, world):
    h = world["headers"]
    pledge = approved_pledge(client, world)
    url = f"/api/v1/pledges/{pledge['id']}"
    [filing] = ok(client.post(f"{url}/filing", headers=h["banker"]), 201)["filings"]
    refused = ok(
        client.post(
            f"{url}/filings/{filing['id']}/refusal",
            json={"reason": "材料不全"},
            headers=h["banker"],
        )
    )
    assert refused["status"] == "agreed" and refused["filings"][0]["refusal"] == "材料不全"
    [_, filing] = ok(client.post(f"{url}/filing", headers=h["banker"]), 201)["filings"]
    future = (today() + timedelta(days=1)).isoformat()
    early = client.post(
        f"{url}/filings/{filing['id']}/acceptance",
        json={"number": "Y1", "on": future},
        headers=h["banker"],
    )
    assert set(assert_envelope(early, 422, "validation_failed")["fields"]) == {"on"}
    ok(
        client.post(
            f"{url}/filings/{filing['id']}/acceptance",
            json={"number": "Y2026220000124", "on": today().isoformat()},
            headers=h["banker"],
        )
    )
    matures_on = (today() + timedelta(days=700)).isoformat()
    changed = ok(
        client.post(
            f"{url}/change",
            json={"principal": 2 * THRESHOLD, "matures_on": matures_on},
            headers=h["banker"],
        )
    )
    assert changed["principal"] == 2 * THRESHOLD and changed["matures_on"] == matures_on
    assert changed["filings"][-1]["kind"] == "change"
    assert_envelope(client.post(f"{url}/release", headers=h["banker"]), 409, "conflict")
    defaulted = ok(client.post(f"{url}/default", headers=h["banker"]))
    assert defaulted["status"] == "defaulted"
    bad = client.post(f"{url}/disposal", json={"asking_price": 0}, headers=h["banker"])
    assert set(assert_envelope(bad, 422, "validation_failed")["fields"]) == {"asking_price"}
    disposing = ok(client.post(f"{url}/disposal", json={}, headers=h["banker"]))
    assert disposing["status"] == "disposing" and disposing["disposal_listing_id"]
    [consent] = disposing["transfer_consents"]
    assert consent["status"] == "granted"
    decided = client.post(
        f"{url}/transfer-consents/{consent['id']}", json={"grant": False}, headers=h["banker"]
    )
    assert_envelope(decided, 409, "illegal_transition")
    assert_envelope(
        client.post(f"{url}/transfer-consents/999999", json={"grant": True}, headers=h["banker"]),
        404,
        "not_found",
    )


def test_pledgee_decides_on_a_transfer_consent(client, world):
    from marketplace.listings.models import DealType, Listing

    h = world["headers"]
    holder_user = make_user(world["holder"])
    bank, banker = make_bank()
    pledge_row = make_pledge(world["holder"], bank, [world["rights"][0]])
    listing = Listing(
        seller_org_id=world["holder"].id,
        created_by_id=holder_user.id,
        title="转让",
        teaser="转让",
        deal_type=DealType.ASSIGNMENT,
        rights=list(pledge_row.rights),
    )
    _db.session.add(listing)
    _db.session.flush()
    [consent] = services.request_transfer_consent(listing, actor=holder_user)
    url = f"/api/v1/pledges/{pledge_row.id}/transfer-consents/{consent.id}"
    assert_envelope(client.post(url, json={"grant": True}, headers=h["holder"]), 403, "forbidden")
    decided = ok(
        client.post(url, json={"grant": True, "note": "同意"}, headers=bearer(make_token(banker)))
    )
    assert decided["status"] == "granted" and decided["note"] == "同意"


def test_lending_policy_is_the_banks_own(client, world):
    h = world["headers"]
    url = "/api/v1/lending-policy"
    mine = ok(client.get(url, headers=h["banker"]))
    assert mine["saved"] is True and mine["second_approval_above"] == THRESHOLD
    fresh = ok(client.get(url, headers=h["other_banker"]))
    assert fresh["saved"] is False
    assert fresh["second_approval_above"] == services.DEFAULT_POLICY["second_approval_above"]
    assert_envelope(client.get(url, headers=h["holder"]), 403, "forbidden")

    new = {
        **{k: v for k, v in fresh.items() if k in services.DEFAULT_POLICY},
        "max_term_months": 24,
    }
    saved = ok(client.put(url, json=new, headers=h["other_banker"]))
    assert saved["saved"] is True and saved["max_term_months"] == 24
    stored = _db.session.scalar(
        sa.select(LendingPolicy).where(LendingPolicy.bank_org_id == world["bank_b"].id)
    )
    assert stored is not None and stored.max_term_months == 24

    bad = {
        **new,
        "base_rates": {"invention": 9000, "geographical_indication": 2000},
        "value_percentile": 50,
    }
    bad["haircuts"] = {**new["haircuts"], "remaining_term": [[1, 6000]]}
    error = assert_envelope(
        client.put(url, json=bad, headers=h["other_banker"]), 422, "validation_failed"
    )
    assert set(error["fields"]) == {"base_rates", "value_percentile", "haircuts.remaining_term"}
    assert_envelope(client.put(url, json=new, headers=h["holder"]), 403, "forbidden")


def test_session_cookie_does_not_authenticate_the_pledge_api(client, login_as, world):
    user = make_user(world["bank_a"])
    login_as(user)
    assert_envelope(client.get("/api/v1/loan-reviews"), 401, "unauthenticated")
    assert_envelope(client.get("/api/v1/lending-policy"), 401, "unauthenticated")
    response = client.post("/api/v1/pledge-applications", json=body(world))
    assert_envelope(response, 401, "unauthenticated")


def test_every_pledge_endpoint_is_in_the_openapi_document(client):
    paths = ok(client.get("/api/v1/openapi.json"))["paths"]
    for path in (
        "/api/v1/pledge-applications",
        "/api/v1/pledge-applications/{application_id}/consents",
        "/api/v1/loan-reviews/{review_id}/dossier",
        "/api/v1/loan-reviews/{review_id}/second-approval",
        "/api/v1/pledges/{pledge_id}/filings/{filing_id}/acceptance",
        "/api/v1/pledges/{pledge_id}/transfer-consents/{consent_id}",
        "/api/v1/lending-policy",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/lending-policy"]) >= {"get", "put"}


def test_lists_are_per_organisation(client, world):
    h = world["headers"]
    submitted(client, world)
    outsider = bearer(make_token(make_user(make_org(OrgKind.ENTERPRISE))))
    assert ok(client.get("/api/v1/pledge-applications", headers=outsider)) == []
    assert ok(client.get("/api/v1/loan-reviews", headers=outsider)) == []
    assert len(ok(client.get("/api/v1/loan-reviews", headers=h["holder"]))) == 2
    agency = bearer(make_token(make_user(make_org(OrgKind.PATENT_AGENCY))))
    assert_envelope(client.get("/api/v1/pledges", headers=agency), 403, "forbidden")
    assert_envelope(
        client.get("/api/v1/loan-reviews?status=nonsense", headers=h["banker"]),
        422,
        "validation_failed",
    )
    stored = _db.session.scalar(sa.select(sa.func.count()).select_from(Pledge))
    assert stored == 0
