"""Loan applications through the pages: the holder drafts, gathers consents and sends an
application; banks read the collateral dossier (page and PDF), approve with four eyes, ask,
reject; the holder answers and accepts an offer; a bank edits its lending policy. Other banks and
rights holders are kept out."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from marketplace import create_app
from marketplace.accounts.models import OrgKind
from marketplace.core.models import utcnow
from marketplace.notifications.models import Notification
from marketplace.pledges import services
from marketplace.pledges.models import (
    ApplicationStatus,
    ConsentGround,
    LendingPolicy,
    LoanApplication,
    LoanReview,
    Pledge,
    ReviewStatus,
)
from marketplace.pledges.views import bands_text, parse_bands
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import RightOwner, RightStatus
from tests.conftest import make_config
from tests.factories import PASSWORD, make_org, make_right, make_user
from tests.pledges.helpers import make_bank, make_report


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def signed_in(app: Flask, user: Any, lang: str = "en") -> FlaskClient:
    """A browser of its own for ``user`` (one client cannot switch users), in ``lang``."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, html(response)[:500]
    return browser


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    holder = make_org(OrgKind.ENTERPRISE, name_zh="长春新区测试电池有限公司")
    co_owner = make_org(OrgKind.UNIVERSITY, name_zh="吉林测试大学")
    bank_a, banker_a = make_bank(name_zh="长春测试银行")
    bank_b, banker_b = make_bank(name_zh="吉林测试农商银行")
    sound = make_right(holder, title_zh="一种固态电解质")
    co_owned = make_right(holder, share=5_000, title_zh="一种电池包壳体")
    co_owned.owners.append(
        RightOwner(organisation_id=co_owner.id, share=5_000, verified_at=utcnow())
    )
    db.session.flush()
    return {
        "holder": holder,
        "holder_user": make_user(holder),
        "co_owner": co_owner,
        "co_owner_user": make_user(co_owner),
        "bank_a": bank_a,
        "banker_a": banker_a,
        "banker_a2": make_user(bank_a),
        "bank_b": bank_b,
        "banker_b": banker_b,
        "sound": sound,
        "co_owned": co_owned,
    }


def apply(
    w: dict[str, Any],
    rights: list[Any] | None = None,
    *,
    amount: int = 1_000_000_00,
    reports: tuple[Any, ...] = (),
    submit: bool = True,
) -> LoanApplication:
    """An application by the holder to both banks, through the services."""
    application = services.create_application(
        w["holder"],
        services.ApplicationData(
            amount=amount,
            term_months=24,
            purpose="流动资金",
            right_ids=[r.id for r in rights or [w["sound"]]],
            bank_ids=[w["bank_a"].id, w["bank_b"].id],
            report_ids=[r.id for r in reports],
        ),
        actor=w["holder_user"],
    )
    if submit:
        services.submit_application(application, actor=w["holder_user"])
    return application


def review_of(application: LoanApplication, bank: Any) -> LoanReview:
    review = application.review_by(bank)
    assert review is not None
    return review


def fresh(db: Any, obj: Any) -> Any:
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# --- the holder's application ----------------------------------------------------------------


def test_holder_drafts_through_the_form_and_a_co_owner_consents_before_it_is_sent(app, db, world):
    w = world
    report = make_report(w["holder"], w["holder_user"], [w["sound"]])
    holder = signed_in(app, w["holder_user"])

    page = html(holder.get("/pledges/applications/new"))
    assert 'type="checkbox"' in page
    assert w["sound"].display_number in page and w["co_owned"].display_number in page
    assert report.number in page and "/orders/new" in page
    assert "长春测试银行" in page and "吉林测试农商银行" in page

    response = holder.post(
        "/pledges/applications/new",
        data={
            "right_ids": [w["sound"].id, w["co_owned"].id],
            "amount": "800000.00",
            "term_months": "24",
            "purpose": "Working capital for a cell line",
            "report_ids": [report.id],
            "bank_ids": [w["bank_a"].id, w["bank_b"].id],
        },
    )
    assert response.status_code == 302
    application = db.session.scalar(
        sa.select(LoanApplication).where(LoanApplication.applicant_org_id == w["holder"].id)
    )
    assert response.headers["Location"] == f"/pledges/applications/{application.id}"
    assert application.amount == 800_000_00 and application.status is ApplicationStatus.DRAFT
    assert application.reports == [report]
    path = f"/pledges/applications/{application.id}"

    # The co-owned right blocks sending, with the reason in words.
    page = html(holder.get(path))
    assert 'data-testid="offer-refusals"' in page and "吉林测试大学" in page
    page = html(holder.post(f"{path}/submit", follow_redirects=True))
    assert "cannot be sent as it stands" in page and "must consent first" in page
    assert fresh(db, application).status is ApplicationStatus.DRAFT

    # The co-owner finds the request and consents through the page.
    co_owner = signed_in(app, w["co_owner_user"])
    assert 'data-testid="co-owner-ask"' in html(co_owner.get("/pledges/applications"))
    page = html(co_owner.get(path))
    assert 'data-testid="consent-co_owner"' in page
    assert 'data-testid="bank-review"' not in page  # the banks' answers are the holder's
    response = co_owner.post(
        f"{path}/consent",
        data={"right_id": w["co_owned"].id, "ground": "co_owner"},
        follow_redirects=True,
    )
    assert "Your consent is recorded." in html(response)
    assert 'data-testid="consent-co_owner"' not in html(co_owner.get(path))

    page = html(holder.post(f"{path}/submit", follow_redirects=True))
    assert "The application is sent to the banks." in page
    application = fresh(db, application)
    assert application.status is ApplicationStatus.SUBMITTED and application.number
    assert {r.bank_org_id for r in application.reviews} == {w["bank_a"].id, w["bank_b"].id}
    for banker in (w["banker_a"], w["banker_b"]):
        inbox = html(signed_in(app, banker).get("/pledges/reviews"))
        assert application.number in inbox
        assert db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == banker.id)
        )


def test_bad_application_input_is_refused_with_readable_messages(app, db, world):
    holder = signed_in(app, world["holder_user"])
    response = holder.post(
        "/pledges/applications/new",
        data={"amount": "1.005", "term_months": "24", "purpose": "x"},
    )
    assert response.status_code == 422
    assert "at most two decimals" in html(response)

    response = holder.post(
        "/pledges/applications/new",
        data={"amount": "sNaN", "term_months": "999999999999", "bank_ids": ["abc"]},
    )
    assert response.status_code == 422

    response = holder.post(
        "/pledges/applications/new",
        data={"amount": "1000", "term_months": "12", "purpose": " ", "right_ids": []},
    )
    assert response.status_code == 422
    page = html(response)
    assert "Choose at least one right." in page and "Say what the loan is for." in page

    # Another organisation's right is not even a choice.
    other = make_right(make_org())
    response = holder.post(
        "/pledges/applications/new",
        data={
            "right_ids": [other.id],
            "amount": "1000",
            "term_months": "12",
            "purpose": "x",
            "bank_ids": [world["bank_a"].id],
        },
    )
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoanApplication)) == 0


def test_holder_withdraws_and_the_reviews_close(app, db, world):
    application = apply(world)
    holder = signed_in(app, world["holder_user"])
    page = html(
        holder.post(f"/pledges/applications/{application.id}/withdraw", follow_redirects=True)
    )
    assert "The application is withdrawn." in page
    application = fresh(db, application)
    assert application.status is ApplicationStatus.WITHDRAWN
    assert {r.status for r in application.reviews} == {ReviewStatus.CLOSED}


# --- the bank's dossier ------------------------------------------------------------------------


def test_dossier_shows_a_failing_ground_for_a_right_in_its_fee_grace_period(app, db, world):
    w = world
    grace = make_right(w["holder"], status=RightStatus.GRACE_PERIOD, title_zh="一种电芯")
    report = make_report(w["holder"], w["holder_user"], [w["sound"]])
    application = apply(w, [w["sound"], grace], reports=(report,))
    review = review_of(application, w["bank_a"])

    response = signed_in(app, w["banker_a"]).get(f"/pledges/reviews/{review.id}")
    assert response.status_code == 200
    page = html(response)
    assert "Collateral dossier" in page and application.number in page
    assert 'data-testid="ground-fees" data-outcome="fail"' in page
    assert "fee grace period" in page and "Annual fees" in page
    assert 'class="outcome-row-fail"' in page
    assert 'data-testid="hash-intact"' in page  # the report's hash check
    assert 'data-testid="risk-grade"' in page and 'data-testid="suggested-amount"' in page
    assert page.count('data-testid="dossier-right"') == 2
    assert 'data-testid="collateral-unit"' in page
    assert "style=" not in page  # the CSP forbids inline styles


def test_dossier_pdf_downloads_with_the_application_number(app, db, world):
    application = apply(world)
    review = review_of(application, world["bank_a"])
    response = signed_in(app, world["banker_a"]).get(f"/pledges/reviews/{review.id}/dossier.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert application.number in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.metadata.subject == application.number
    text = "".join(page.extract_text() for page in reader.pages)
    assert application.number in text


# --- decisions -----------------------------------------------------------------------------------


def approve_data(application: LoanApplication, amount: str) -> dict[str, Any]:
    return {
        "approve-amount": amount,
        "approve-rate_bp": "4.35",
        "approve-term_months": "24",
        "approve-conditions": "Annual fees paid before drawdown",
        "approve-right_ids": [r.id for r in application.rights],
    }


def test_approval_above_the_threshold_needs_another_approver_then_the_holder_accepts(
    app, db, world
):
    w = world
    application = apply(w, amount=6_000_000_00)
    review = review_of(application, w["bank_a"])
    path = f"/pledges/reviews/{review.id}"
    first = signed_in(app, w["banker_a"])

    # Above the default threshold of ¥5,000,000.
    response = first.post(f"{path}/approve", data=approve_data(application, "6000000"))
    assert response.status_code == 302
    review = fresh(db, review)
    assert review.status is ReviewStatus.AWAITING_SECOND_APPROVAL
    assert (review.approved_amount, review.rate_bp) == (6_000_000_00, 435)

    page = html(first.post(f"{path}/second-approval", follow_redirects=True))
    assert "A second approver must be someone other than the first." in page
    assert fresh(db, review).status is ReviewStatus.AWAITING_SECOND_APPROVAL

    page = html(
        signed_in(app, w["banker_a2"]).post(f"{path}/second-approval", follow_redirects=True)
    )
    assert "second approver" in page
    assert fresh(db, review).status is ReviewStatus.APPROVED

    holder = signed_in(app, w["holder_user"])
    page = html(holder.get(f"/pledges/applications/{application.id}"))
    assert 'data-testid="offer-terms"' in page and "4.35 %" in page
    assert "Annual fees paid before drawdown" in page and 'data-testid="accept-offer"' in page
    response = holder.post(f"{path}/accept")
    assert response.status_code == 302
    pledge = db.session.scalar(sa.select(Pledge).where(Pledge.review_id == review.id))
    assert response.headers["Location"] == f"/pledges/{pledge.id}"
    assert fresh(db, application).status is ApplicationStatus.ACCEPTED
    assert review_of(fresh(db, application), w["bank_b"]).status is ReviewStatus.CLOSED


def test_bad_approval_terms_are_shown_on_the_form_and_change_nothing(app, db, world):
    application = apply(world)
    review = review_of(application, world["bank_a"])
    banker = signed_in(app, world["banker_a"])
    data = {**approve_data(application, "1000.001"), "approve-rate_bp": "40"}
    response = banker.post(f"/pledges/reviews/{review.id}/approve", data=data)
    assert response.status_code == 422
    page = html(response)
    assert "at most two decimals" in page

    data = {**approve_data(application, "900000000"), "approve-rate_bp": "40"}
    response = banker.post(f"/pledges/reviews/{review.id}/approve", data=data)
    assert response.status_code == 422
    page = html(response)
    assert "Your policy lends at most" in page and "An interest rate lies between" in page

    data = {**approve_data(application, "100000"), "approve-right_ids": []}
    response = banker.post(f"/pledges/reviews/{review.id}/approve", data=data)
    assert response.status_code == 422 and "Accept at least one right." in html(response)
    assert fresh(db, review).status is ReviewStatus.SUBMITTED


def test_rejection_reasons_are_shown_to_the_holder(app, db, world):
    application = apply(world)
    review = review_of(application, world["bank_b"])
    banker = signed_in(app, world["banker_b"])

    response = banker.post(f"/pledges/reviews/{review.id}/reject", data={"reject-reasons": " "})
    assert response.status_code == 422
    assert "Give the reasons for the rejection." in html(response)
    assert fresh(db, review).status is ReviewStatus.SUBMITTED

    banker.post(
        f"/pledges/reviews/{review.id}/reject",
        data={"reject-reasons": "The collateral does not cover the loan."},
    )
    assert fresh(db, review).status is ReviewStatus.REJECTED
    page = html(signed_in(app, world["holder_user"]).get(f"/pledges/applications/{application.id}"))
    assert 'data-testid="rejection-reasons"' in page
    assert "The collateral does not cover the loan." in page


def test_information_request_and_answer(app, db, world):
    application = apply(world)
    review = review_of(application, world["bank_a"])
    banker = signed_in(app, world["banker_a"])
    banker.post(
        f"/pledges/reviews/{review.id}/request-information",
        data={"info-reasons": "Send last year's audited accounts."},
    )
    assert fresh(db, review).status is ReviewStatus.INFO_REQUESTED

    holder = signed_in(app, world["holder_user"])
    page = html(holder.get(f"/pledges/applications/{application.id}"))
    assert "Send last year&#39;s audited accounts." in page and 'data-testid="answer-form"' in page

    field = f"review-{review.id}-answer"
    response = holder.post(f"/pledges/reviews/{review.id}/answer", data={field: ""})
    assert response.status_code == 422 and "Write your answer." in html(response)

    holder.post(f"/pledges/reviews/{review.id}/answer", data={field: "Uploaded to the portal."})
    review = fresh(db, review)
    assert review.status is ReviewStatus.SUBMITTED and review.answer == "Uploaded to the portal."
    assert "Uploaded to the portal." in html(banker.get(f"/pledges/reviews/{review.id}"))


def test_informed_consent_for_a_right_under_invalidation_by_both_parties(app, db, world):
    w = world
    disputed = make_right(w["holder"], status=RightStatus.UNDER_INVALIDATION)
    application = apply(w, [disputed])
    review = review_of(application, w["bank_a"])
    banker = signed_in(app, w["banker_a"])
    page = html(banker.get(f"/pledges/reviews/{review.id}"))
    assert 'data-testid="ground-invalidation" data-outcome="fail"' in page
    assert 'data-testid="consent-under_invalidation"' in page

    data = {"right_id": disputed.id, "ground": "under_invalidation"}
    banker.post(f"/pledges/reviews/{review.id}/consent", data=data)
    signed_in(app, w["holder_user"]).post(
        f"/pledges/applications/{application.id}/consent", data=data
    )
    consents = fresh(db, application).consents
    assert {(c.organisation_id, c.ground) for c in consents} == {
        (w["bank_a"].id, ConsentGround.UNDER_INVALIDATION),
        (w["holder"].id, ConsentGround.UNDER_INVALIDATION),
    }
    page = html(banker.get(f"/pledges/reviews/{review.id}"))
    assert 'data-testid="ground-invalidation" data-outcome="warning"' in page


# --- lending policy ------------------------------------------------------------------------------


def policy_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"rate_{kind}": str(rate / 100)
        for kind, rate in services.DEFAULT_POLICY["base_rates"].items()
        if kind in {k.value for k in RightKind}
    }
    data |= {
        f"months_{kind}": str(months)
        for kind, months in services.DEFAULT_POLICY["min_remaining_months"].items()
        if kind in {k.value for k in RightKind}
    }
    data |= {
        "buffer_months": "12",
        "haircuts_remaining_term": "0:60, 3:80, 5:100",
        "haircuts_legal_score": "0:50, 4:80, 7:100",
        "haircuts_concentration": "0:85, 2:95, 3:100",
        "haircuts_legal_score_unknown": "80",
        "haircuts_exclusive_licence": "70",
        "max_amount": "30000000",
        "max_term_months": "36",
        "second_approval_above": "2000000",
        "value_percentile": "15",
        "alert_coverage_bp": "200",
    }
    return data | changes


def test_bank_saves_its_lending_policy_and_sees_errors_on_bad_bands(app, db, world):
    banker = signed_in(app, world["banker_a"])
    page = html(banker.get("/pledges/policy"))
    assert "0:60, 3:80, 5:100" in page and 'data-testid="policy-form"' in page

    # A kind left without a base rate is not accepted as collateral.
    response = banker.post("/pledges/policy", data=policy_form(rate_copyright=""))
    assert response.status_code == 302
    saved = db.session.scalar(
        sa.select(LendingPolicy).where(LendingPolicy.bank_org_id == world["bank_a"].id)
    )
    assert saved.max_amount == 30_000_000_00 and saved.second_approval_above == 2_000_000_00
    assert saved.value_percentile == 15 and saved.alert_coverage_bp == 20_000
    assert saved.base_rates["invention"] == 3500 and "copyright" not in saved.base_rates
    assert saved.haircuts["remaining_term"] == [[0, 6000], [3, 8000], [5, 10000]]

    response = banker.post(
        "/pledges/policy",
        data=policy_form(haircuts_remaining_term="3:80, 5:100", rate_invention="70"),
    )
    assert response.status_code == 422
    page = html(response)
    assert 'id="haircuts_remaining_term-error"' in page and "The first band starts at 0." in page
    assert 'data-testid="kind-errors"' in page and "A base pledge rate lies between" in page

    response = banker.post("/pledges/policy", data=policy_form(haircuts_legal_score="zero:50"))
    assert response.status_code == 422
    assert 'id="haircuts_legal_score-error"' in html(response)
    assert fresh(db, saved).haircuts["remaining_term"] == [[0, 6000], [3, 8000], [5, 10000]]


def test_band_text_round_trips():
    assert parse_bands("0:60, 2.5：80.5 ;5:100%") == [[0, 6000], [2.5, 8050], [5, 10000]]
    assert parse_bands("") == []
    assert parse_bands("0:60, -1:50") is None and parse_bands("0:60.555") is None
    assert bands_text([[0, 6000], [2.5, 8050], [100_000_000, 10_000]]) == (
        "0:60, 2.5:80.5, 100000000:100"
    )
    assert parse_bands(bands_text([[0, 6000], [100_000_000, 10_000]])) == [
        [0, 6000],
        [100_000_000, 10_000],
    ]


# --- who may see what -------------------------------------------------------------------------


def test_another_bank_cannot_find_the_review(app, db, world):
    application = apply(world)
    review = review_of(application, world["bank_a"])
    _other, stranger = make_bank(name_zh="外地测试银行")
    browser = signed_in(app, stranger)
    assert browser.get(f"/pledges/reviews/{review.id}").status_code == 404
    assert browser.get(f"/pledges/reviews/{review.id}/dossier.pdf").status_code == 404
    data = approve_data(application, "1000")
    assert browser.post(f"/pledges/reviews/{review.id}/approve", data=data).status_code == 404
    assert browser.get(f"/pledges/applications/{application.id}").status_code == 404
    assert application.number not in html(browser.get("/pledges/reviews"))
    assert fresh(db, review).status is ReviewStatus.SUBMITTED


def test_a_draft_is_hidden_from_the_banks(app, db, world):
    application = apply(world, submit=False)
    review = review_of(application, world["bank_a"])
    browser = signed_in(app, world["banker_a"])
    assert browser.get(f"/pledges/reviews/{review.id}").status_code == 404
    assert browser.get(f"/pledges/applications/{application.id}").status_code == 404


def test_rights_holders_are_kept_off_the_bank_pages(app, db, world):
    application = apply(world)
    review = review_of(application, world["bank_a"])
    holder = signed_in(app, world["holder_user"])
    assert holder.get("/pledges/reviews").status_code == 403
    assert holder.get("/pledges/policy").status_code == 403
    assert holder.post("/pledges/policy", data=policy_form()).status_code == 403
    # The holder sees its review on the application page, but not the bank's dossier.
    assert holder.get(f"/pledges/reviews/{review.id}").status_code == 403
    assert holder.get(f"/pledges/reviews/{review.id}/dossier.pdf").status_code == 403
    data = {"reject-reasons": "no"}
    assert holder.post(f"/pledges/reviews/{review.id}/reject", data=data).status_code == 403
    assert fresh(db, review).status is ReviewStatus.SUBMITTED

    other_holder = signed_in(app, make_user(make_org()))
    assert other_holder.get(f"/pledges/applications/{application.id}").status_code == 404
    banker = signed_in(app, world["banker_a"])
    assert banker.get("/pledges/applications/new").status_code == 403
    assert banker.get("/pledges/applications").status_code == 403


def test_signed_out_visitors_are_sent_to_log_in(client):
    assert client.get("/pledges/applications").status_code == 302
    assert client.get("/pledges/reviews").status_code == 302


# --- languages and navigation ------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "html_lang"), [("zh", "zh-CN"), ("en", "en")])
def test_pages_render_in_both_languages(app, db, world, lang, html_lang):
    application = apply(world)
    review = review_of(application, world["bank_a"])
    holder = signed_in(app, world["holder_user"], lang)
    banker = signed_in(app, world["banker_a"], lang)
    for browser, path in [
        (holder, "/pledges/applications"),
        (holder, "/pledges/applications/new"),
        (holder, f"/pledges/applications/{application.id}"),
        (banker, "/pledges/reviews"),
        (banker, "/pledges/reviews?status=submitted"),
        (banker, f"/pledges/reviews/{review.id}"),
        (banker, "/pledges/policy"),
    ]:
        response = browser.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{html_lang}">' in html(response)
    if lang == "en":
        nav = html(holder.get("/"))
        assert 'href="/pledges/applications"' in nav and "Pledge loans" in nav
        nav = html(banker.get("/"))
        assert 'href="/pledges/reviews"' in nav and "Loan applications" in nav
        assert 'href="/pledges/policy"' in nav and "Lending policy" in nav


def test_every_decision_form_carries_its_csrf_token(db, world):
    """With CSRF on, as in production, the prefixed forms and the consent buttons post their
    token (the suite otherwise runs without CSRF)."""
    application = apply(world, [world["sound"], world["co_owned"]], submit=False)
    strict = create_app(make_config(WTF_CSRF_ENABLED=True))

    def browser_for(user: Any) -> FlaskClient:
        browser = strict.test_client()
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', html(browser.get("/login"))
        )
        data = {"email": user.email, "password": PASSWORD, "csrf_token": token[1]}
        assert browser.post("/login", data=data).status_code == 302
        return browser

    def tokens(page: str) -> dict[str, str]:
        return dict(re.findall(r'name="([\w-]*csrf_token)" type="hidden" value="([^"]+)"', page))

    co_owner = browser_for(world["co_owner_user"])
    path = f"/pledges/applications/{application.id}"
    data = {"right_id": world["co_owned"].id, "ground": "co_owner"}
    assert co_owner.post(f"{path}/consent", data=data).status_code == 400  # no token
    data["csrf_token"] = tokens(html(co_owner.get(path)))["csrf_token"]
    assert co_owner.post(f"{path}/consent", data=data).status_code == 302
    assert len(fresh(db, application).consents) == 1

    services.submit_application(fresh(db, application), actor=world["holder_user"])
    review = review_of(fresh(db, application), world["bank_a"])
    banker = browser_for(world["banker_a"])
    found = tokens(html(banker.get(f"/pledges/reviews/{review.id}")))
    assert {"approve-csrf_token", "info-csrf_token", "reject-csrf_token"} <= set(found)
    data = {"info-reasons": "Which production line?", "info-csrf_token": found["info-csrf_token"]}
    response = banker.post(f"/pledges/reviews/{review.id}/request-information", data=data)
    assert response.status_code == 302
    assert fresh(db, review).status is ReviewStatus.INFO_REQUESTED
