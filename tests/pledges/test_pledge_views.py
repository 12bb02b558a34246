"""The pledge pages: a pledge built through the services (application, approval, accepted offer)
is then filed, registered, repaid, released, changed, defaulted and disposed of through the
bank's forms; downloads, the portfolio, the pledgee's consent to a listing, and who may do what."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from marketplace.accounts.models import OrgKind, User
from marketplace.core.clock import today
from marketplace.extensions import db as _db
from marketplace.listings import services as listing_services
from marketplace.listings.models import DealType, Listing, ListingStatus
from marketplace.pledges import monitoring, risk, services
from marketplace.pledges.models import (
    AlertCode,
    FilingKind,
    Pledge,
    PledgeAlert,
    PledgeStatus,
    SchemeKind,
    TransferConsent,
    TransferConsentStatus,
)
from marketplace.rights.models import RightStatus
from tests.factories import PASSWORD, make_operator, make_org, make_right, make_user
from tests.pledges.helpers import make_bank, make_report

PRINCIPAL = 1_000_000_00  # ¥1,000,000 in fen


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def signed_in(app: Flask, user: User, lang: str = "en") -> FlaskClient:
    """A client of its own for ``user``, so that several parties act in one test; the pages
    in English, so that the tests read the messages as written in the code."""
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, html(response)[:500]
    client.post(f"/lang/{lang}")
    return client


def follow(client: FlaskClient, url: str, data: dict[str, Any] | None = None) -> str:
    """POST a form, check it answers with a redirect, and return the page it leads to."""
    response = client.post(url, data=data or {})
    assert response.status_code == 302, html(response)[:2000]
    return html(client.get(response.headers["Location"]))


@pytest.fixture
def world(app: Flask, db: Any) -> dict[str, Any]:
    bank, banker = make_bank(name_zh="吉林测试银行长春分行", name_en="Jilin Test Bank")
    _other_bank, other_banker = make_bank(name_zh="另一家测试银行")
    holder = make_org(OrgKind.ENTERPRISE, name_zh="长春新区测试科技有限公司")
    holder_user = make_user(holder)
    right = make_right(holder, title_zh="一种玉米籽粒烘干装置")
    application = services.create_application(
        holder,
        services.ApplicationData(
            amount=PRINCIPAL,
            term_months=24,
            purpose="购买原材料",
            right_ids=[right.id],
            bank_ids=[bank.id],
        ),
        actor=holder_user,
    )
    services.submit_application(application, actor=holder_user)
    review = application.review_by(bank)
    assert review is not None
    services.approve(
        review, services.Approval(amount=PRINCIPAL, rate_bp=450, term_months=24), actor=banker
    )
    pledge = services.accept_offer(review, actor=holder_user)
    _db.session.flush()
    return {
        "bank": bank,
        "banker": banker,
        "other_banker": other_banker,
        "holder": holder,
        "holder_user": holder_user,
        "right": right,
        "pledge": pledge,
        "page": f"/pledges/{pledge.id}",
        "bank_client": signed_in(app, banker),
        "holder_client": signed_in(app, holder_user),
    }


def register(world: dict[str, Any]) -> Pledge:
    """File and record the acceptance through the services (the pages are tested once)."""
    pledge: Pledge = world["pledge"]
    (filing,) = services.file_registration(pledge, actor=world["banker"])
    services.record_acceptance(filing, number="Y2026220000123", on=today(), actor=world["banker"])
    _db.session.flush()
    assert pledge.status is PledgeStatus.REGISTERED
    return pledge


def refreshed(pledge: Pledge) -> Pledge:
    _db.session.expire_all()
    fresh = _db.session.get(Pledge, pledge.id)
    assert fresh is not None
    return fresh


# --- filing and registration ---------------------------------------------------------------------


def test_bank_files_then_records_acceptance_and_the_pledge_is_registered(world):
    bank = world["bank_client"]
    pledge = world["pledge"]
    page = html(bank.get(world["page"]))
    assert pledge.number in page
    assert 'data-testid="file-registration"' in page
    assert 'data-code="owner" data-outcome="pass"' in page

    page = follow(bank, f"{world['page']}/file")
    assert "The registration is filed" in page
    pledge = refreshed(pledge)
    assert pledge.status is PledgeStatus.FILED
    (filing,) = pledge.filings
    assert filing.kind is FilingKind.REGISTRATION
    assert filing.sha256 in page
    assert f'action="/pledges/{pledge.id}/filings/{filing.id}/accept"' in page

    page = follow(
        bank,
        f"{world['page']}/filings/{filing.id}/accept",
        {
            f"accept-{filing.id}-number": " Y2026220000123 ",
            f"accept-{filing.id}-accepted_on": today().isoformat(),
        },
    )
    pledge = refreshed(pledge)
    assert pledge.status is PledgeStatus.REGISTERED
    assert pledge.registration_number == "Y2026220000123"
    assert 'data-testid="registration-number"' in page
    assert "Y2026220000123" in page
    # the timeline tells the story in words
    for label in ("Pledge agreed; contract generated", "Filing prepared", "Status: "):
        assert label in page


def test_a_filing_refused_by_the_platform_lists_every_failing_ground(world):
    pledge, right = world["pledge"], world["right"]
    right.status = RightStatus.SUSPENDED
    right.owners[0].verified_at = None
    _db.session.flush()
    page = follow(world["bank_client"], f"{world['page']}/file")
    assert "The pledge cannot be filed as it stands." in page
    number = right.display_number
    assert f"The pledgor is not a verified registered owner of {number}." in page
    assert f"Procedures on {number} are suspended" in page
    assert 'data-code="suspension" data-outcome="fail"' in page
    pledge = refreshed(pledge)
    assert pledge.status is PledgeStatus.AGREED
    assert pledge.filings == []


def test_the_authority_refusing_puts_the_pledge_back_to_agreed(world):
    pledge = world["pledge"]
    (filing,) = services.file_registration(pledge, actor=world["banker"])
    _db.session.flush()
    bank = world["bank_client"]
    url = f"{world['page']}/filings/{filing.id}/refuse"
    page = follow(bank, url, {f"refuse-{filing.id}-reason": ""})
    assert "This field is required." in page
    assert refreshed(pledge).status is PledgeStatus.FILED

    page = follow(bank, url, {f"refuse-{filing.id}-reason": "出质人名称与登记簿不一致"})
    pledge = refreshed(pledge)
    assert pledge.status is PledgeStatus.AGREED
    assert pledge.filings[0].refusal == "出质人名称与登记簿不一致"
    assert "出质人名称与登记簿不一致" in page
    assert "Registration refused by the authority" in page


def test_acceptance_with_bad_input_changes_nothing(world):
    pledge = world["pledge"]
    (filing,) = services.file_registration(pledge, actor=world["banker"])
    _db.session.flush()
    bank = world["bank_client"]
    url = f"{world['page']}/filings/{filing.id}/accept"
    prefix = f"accept-{filing.id}"
    for data, message in [
        ({f"{prefix}-number": "", f"{prefix}-accepted_on": today().isoformat()}, "required"),
        ({f"{prefix}-number": "Y1", f"{prefix}-accepted_on": "31/02/2026"}, "Not a valid date"),
        ({f"{prefix}-number": "Y" * 61, f"{prefix}-accepted_on": today().isoformat()}, "60"),
        (
            {
                f"{prefix}-number": "Y1",
                f"{prefix}-accepted_on": (today() + timedelta(days=3)).isoformat(),
            },
            "The date cannot be in the future.",
        ),
    ]:
        page = follow(bank, url, data)
        assert message in page
    pledge = refreshed(pledge)
    assert pledge.status is PledgeStatus.FILED
    assert pledge.filings[0].accepted_number is None


# --- repayment, release, change ------------------------------------------------------------------


def test_release_is_refused_while_principal_is_outstanding_then_allowed_once_repaid(world):
    pledge = register(world)
    bank = world["bank_client"]
    page = html(bank.get(world["page"]))
    assert 'data-testid="release"' not in page  # nothing to release while money is owed

    page = follow(bank, f"{world['page']}/release")
    assert "is still outstanding: record the repayment first." in page
    assert refreshed(pledge).status is PledgeStatus.REGISTERED

    page = follow(
        bank,
        f"{world['page']}/repayments",
        {
            "repay-principal": "1000000.00",
            "repay-interest": "1234.56",
            "repay-paid_on": today().isoformat(),
        },
    )
    assert "The repayment is recorded." in page
    pledge = refreshed(pledge)
    assert (pledge.outstanding, pledge.interest_paid) == (0, 1_234_56)
    assert 'data-testid="release"' in page
    assert "Repayment recorded" in page

    page = follow(bank, f"{world['page']}/release")
    pledge = refreshed(pledge)
    assert pledge.status is PledgeStatus.RELEASED
    assert [f.kind for f in pledge.filings] == [FilingKind.REGISTRATION, FilingKind.RELEASE]
    assert 'data-testid="bank-actions"' not in page  # nothing left to manage


@pytest.mark.parametrize(
    ("principal", "interest", "paid_on", "message"),
    [
        ("12.345", "", None, "at most two decimals"),
        ("abc", "", None, "Not a valid decimal value"),
        ("NaN", "", None, "Not a valid decimal value"),
        ("1e30", "", None, "at most two decimals"),
        ("2000000", "", None, "is outstanding"),
        ("", "", None, "Enter what was repaid."),
        ("-5", "", None, "Enter what was repaid."),
        ("100", "", "tomorrow", "The date cannot be in the future."),
        ("100", "", "", "This field is required."),
    ],
)
def test_a_bad_repayment_is_refused_readably_and_changes_nothing(
    world, principal, interest, paid_on, message
):
    pledge = register(world)
    if paid_on is None:
        paid_on = today().isoformat()
    elif paid_on == "tomorrow":
        paid_on = (today() + timedelta(days=1)).isoformat()
    page = follow(
        world["bank_client"],
        f"{world['page']}/repayments",
        {"repay-principal": principal, "repay-interest": interest, "repay-paid_on": paid_on},
    )
    assert message in page
    pledge = refreshed(pledge)
    assert (pledge.outstanding, pledge.interest_paid, pledge.repayments) == (PRINCIPAL, 0, [])


def test_bank_changes_the_secured_claim(world):
    pledge = register(world)
    bank = world["bank_client"]
    page = html(bank.get(world["page"]))
    assert 'name="change-principal" required step="any" type="number" value="1000000.00"' in page

    # a deadline after the right expires (filed 2019: an invention ends in 2039) is refused
    page = follow(
        bank,
        f"{world['page']}/change",
        {"change-principal": "1200000", "change-matures_on": "2040-01-01"},
    )
    assert "is after" in page and "expires on 2039-05-09" in page
    assert refreshed(pledge).principal == PRINCIPAL

    deadline = pledge.matures_on + timedelta(days=180)
    page = follow(
        bank,
        f"{world['page']}/change",
        {"change-principal": "1200000", "change-matures_on": deadline.isoformat()},
    )
    assert "The change is recorded" in page
    pledge = refreshed(pledge)
    assert (pledge.principal, pledge.outstanding, pledge.matures_on) == (
        1_200_000_00,
        1_200_000_00,
        deadline,
    )
    assert pledge.filings[-1].kind is FilingKind.CHANGE
    assert "Secured claim changed" in page


# --- default and disposal ------------------------------------------------------------------------


def test_default_then_disposal_publishes_an_assignment_by_the_pledgor(world):
    pledge = register(world)
    bank = world["bank_client"]
    page = follow(bank, f"{world['page']}/default")
    assert "declared in default" in page
    assert refreshed(pledge).status is PledgeStatus.DEFAULTED
    assert 'data-testid="dispose-form"' in page

    page = follow(bank, f"{world['page']}/dispose", {"dispose-asking_price": "-5"})
    assert "The price must be more than zero" in page
    assert refreshed(pledge).status is PledgeStatus.DEFAULTED

    page = follow(bank, f"{world['page']}/dispose", {"dispose-asking_price": "800000"})
    pledge = refreshed(pledge)
    assert pledge.status is PledgeStatus.DISPOSING
    listing = pledge.disposal_listing
    assert listing is not None
    assert listing.status is ListingStatus.PUBLISHED
    assert listing.deal_type is DealType.ASSIGNMENT
    assert listing.seller_org_id == world["holder"].id
    assert listing.asking_price == 800_000_00
    # the pledgee's consent is built in: the listing can be offered as it stands
    assert listing_services.refusal_reasons(listing) == []
    assert f'href="/listings/{listing.id}"' in page
    assert 'data-testid="repayment-form"' in page  # a late repayment can still be recorded


# --- the pledgee's consent to a listing ----------------------------------------------------------


def test_a_pledged_right_is_listed_only_after_the_bank_consents_on_its_page(app, world):
    pledge = register(world)
    holder = world["holder_client"]
    listing = listing_services.create_listing(
        world["holder"],
        listing_services.ListingData(
            title="玉米籽粒烘干装置专利转让",
            teaser="成熟技术，可现场考察。",
            deal_type=DealType.ASSIGNMENT,
            right_ids=[world["right"].id],
        ),
        actor=world["holder_user"],
    )
    _db.session.flush()
    page = follow(holder, f"/listings/{listing.id}/publish")
    assert "the pledgee&#39;s consent is needed." in page
    assert 'data-testid="request-consent"' in page
    assert _db.session.get(Listing, listing.id).status is ListingStatus.DRAFT

    page = follow(holder, f"/pledges/consents/request?listing_id={listing.id}")
    assert "The pledgee is asked for its consent" in page
    assert 'data-testid="request-consent"' not in page  # asked once
    consent = _db.session.scalars(sa.select(TransferConsent)).one()
    assert consent.status is TransferConsentStatus.REQUESTED

    bank = world["bank_client"]
    page = html(bank.get(world["page"]))
    assert 'data-testid="consent-form"' in page
    assert holder.post(f"/pledges/consents/{consent.id}/decide").status_code == 403
    page = follow(
        bank,
        f"/pledges/consents/{consent.id}/decide",
        {f"consent-{consent.id}-note": "同意转让", f"consent-{consent.id}-grant": "y"},
    )
    assert "Consent granted" in page
    _db.session.expire_all()
    assert _db.session.get(TransferConsent, consent.id).status is TransferConsentStatus.GRANTED
    assert "Consent to a transfer granted" in page

    page = follow(holder, f"/listings/{listing.id}/publish")
    assert "The listing is published." in page
    _db.session.expire_all()
    assert _db.session.get(Listing, listing.id).status is ListingStatus.PUBLISHED
    assert refreshed(pledge).status is PledgeStatus.REGISTERED


def test_bank_refuses_consent_and_the_seller_may_ask_again(world):
    register(world)
    listing = listing_services.create_listing(
        world["holder"],
        listing_services.ListingData(
            title="专利转让",
            teaser="简介",
            deal_type=DealType.ASSIGNMENT,
            right_ids=[world["right"].id],
        ),
        actor=world["holder_user"],
    )
    (consent,) = services.request_transfer_consent(listing, actor=world["holder_user"])
    _db.session.flush()
    bank = world["bank_client"]
    url = f"/pledges/consents/{consent.id}/decide"
    page = follow(bank, url, {f"consent-{consent.id}-note": "先还清一半贷款"})
    assert "Choose whether to grant or refuse consent." in page
    page = follow(
        bank,
        url,
        {f"consent-{consent.id}-note": "先还清一半贷款", f"consent-{consent.id}-refuse": "y"},
    )
    assert "Consent refused" in page
    _db.session.expire_all()
    assert _db.session.get(TransferConsent, consent.id).status is TransferConsentStatus.REFUSED
    page = follow(bank, url, {f"consent-{consent.id}-grant": "y"})
    assert "This consent has already been decided." in page

    holder = world["holder_client"]
    page = html(holder.get(f"/listings/{listing.id}"))
    assert "the bank’s consent is needed." in page
    page = follow(holder, f"/pledges/consents/request?listing_id={listing.id}")
    _db.session.expire_all()
    assert _db.session.get(TransferConsent, consent.id).status is TransferConsentStatus.REQUESTED
    assert "consent asked, awaiting the bank." in page


def test_the_pledgor_cannot_answer_for_the_authority(world):
    pledge = world["pledge"]
    (filing,) = services.file_registration(pledge, actor=world["banker"])
    _db.session.flush()
    holder = world["holder_client"]
    for action in ("accept", "refuse"):
        response = holder.post(f"{world['page']}/filings/{filing.id}/{action}")
        assert response.status_code == 403
    assert 'data-testid="filing-answer"' not in html(holder.get(world["page"]))
    assert refreshed(pledge).status is PledgeStatus.FILED


def test_consent_is_asked_only_by_the_seller_of_a_listing_with_pledged_rights(app, world):
    register(world)
    listing = listing_services.create_listing(
        world["holder"],
        listing_services.ListingData(
            title="转让",
            teaser="简介",
            deal_type=DealType.ASSIGNMENT,
            right_ids=[make_right(world["holder"]).id],  # not pledged
        ),
        actor=world["holder_user"],
    )
    _db.session.flush()
    page = follow(world["holder_client"], f"/pledges/consents/request?listing_id={listing.id}")
    assert "None of this listing&#39;s rights is pledged." in page
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(TransferConsent)) == 0
    # a draft is invisible to others; a missing id is not found either
    bank = world["bank_client"]
    assert bank.post(f"/pledges/consents/request?listing_id={listing.id}").status_code == 404
    assert bank.post("/pledges/consents/request").status_code == 404
    assert bank.post("/pledges/consents/request?listing_id=x").status_code == 404


# --- downloads -----------------------------------------------------------------------------------


def test_contract_and_filing_downloads(world):
    pledge = world["pledge"]
    holder = world["holder_client"]
    response = holder.get(f"{world['page']}/contract.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(response.data).hexdigest() == pledge.contract_sha256

    (filing,) = services.file_registration(pledge, actor=world["banker"])
    _db.session.flush()
    response = holder.get(f"{world['page']}/filings/{filing.id}.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(response.data).hexdigest() == filing.sha256
    data = json.loads(response.data)
    assert data["pledgor"]["name"] == world["holder"].name_zh
    assert data["pledgor"]["identity_number"] == world["holder"].identity_number
    assert data["pledgee"]["name"] == world["bank"].name_zh
    assert data["secured_claim"]["principal"] == PRINCIPAL
    assert data["secured_claim"]["deadline"] == pledge.matures_on.isoformat()
    assert [r["number"] for r in data["rights"]] == [world["right"].display_number]

    # the filing PDF is Chinese even for a reader of the English pages
    bank = world["bank_client"]
    bank.post("/lang/en")
    response = bank.get(f"{world['page']}/filings/{filing.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    text = text.replace(" ", "").replace("\n", "")
    assert "知识产权质押登记申请" in text
    assert world["right"].display_number in text

    # a filing of another pledge is not found under this one
    other = services.file_registration(_other_agreed_pledge(world), actor=world["banker"])[0]
    _db.session.flush()
    assert holder.get(f"{world['page']}/filings/{other.id}.json").status_code == 404


def _other_agreed_pledge(world: dict[str, Any]) -> Pledge:
    holder, holder_user = world["holder"], world["holder_user"]
    right = make_right(holder)
    application = services.create_application(
        holder,
        services.ApplicationData(
            amount=500_000_00,
            term_months=12,
            purpose="研发",
            right_ids=[right.id],
            bank_ids=[world["bank"].id],
        ),
        actor=holder_user,
    )
    services.submit_application(application, actor=holder_user)
    review = application.review_by(world["bank"])
    assert review is not None
    services.approve(
        review,
        services.Approval(amount=500_000_00, rate_bp=400, term_months=12),
        actor=world["banker"],
    )
    return services.accept_offer(review, actor=holder_user)


# --- lists, alerts, support ----------------------------------------------------------------------


def test_portfolio_shows_exposure_coverage_and_alerts(world):
    pledge = register(world)
    agreed = _other_agreed_pledge(world)
    _db.session.add(
        PledgeAlert(
            pledge_id=pledge.id,
            right_id=world["right"].id,
            code=AlertCode.FEE_DUE,
            key="fee_due:test",
            detail={"due_on": (today() + timedelta(days=30)).isoformat()},
            raised_on=today(),
        )
    )
    _db.session.flush()
    bank = world["bank_client"]
    page = html(bank.get("/pledges/portfolio"))
    assert 'href="/pledges/portfolio"' in page  # in the bank's navigation
    assert "¥1,000,000.00" in page.split('data-testid="exposure"')[1].split("</dd>")[0]
    assert 'data-testid="open-alerts">1<' in page
    line = page.split('data-testid="portfolio-line"')[1]
    assert pledge.number in line and "no report" in line
    assert agreed.number in page.split('data-testid="portfolio-others"')[1]

    assert world["holder_client"].get("/pledges/portfolio").status_code == 403
    assert bank.get("/pledges/mine").status_code == 403


def test_portfolio_values_the_collateral_from_its_appraisal(world):
    pledge = register(world)
    report = make_report(world["holder"], world["holder_user"], [world["right"]])
    _db.session.flush()
    value = monitoring.collateral_value(pledge)
    assert value == report.concluded_value  # a pledge-value report is lent against as concluded
    page = html(world["bank_client"].get("/pledges/portfolio"))
    line = page.split('data-testid="portfolio-line"')[1].split("</tr>")[0]
    coverage = f"{value * 10_000 // PRINCIPAL / 100:.2f} %"
    assert coverage in line
    assert coverage in page.split('data-testid="coverage"')[1].split("</dd>")[0]
    assert "no report" not in line


def test_pledgor_lists_its_pledges(world):
    holder = world["holder_client"]
    page = html(holder.get("/pledges/mine"))
    assert 'href="/pledges/mine"' in page  # in the holder's navigation
    assert world["pledge"].number in page
    assert "¥1,000,000.00" in page


def test_bank_resolves_an_alert_the_pledgor_does_not_see(world):
    pledge = register(world)
    alert = PledgeAlert(
        pledge_id=pledge.id,
        right_id=world["right"].id,
        code=AlertCode.EXPIRY_NEAR_MATURITY,
        key="expiry_near_maturity:test",
        detail={"expires_on": "2027-01-01", "matures_on": "2026-12-01", "buffer_months": 12},
        raised_on=today(),
    )
    _db.session.add(alert)
    _db.session.flush()
    holder = world["holder_client"]
    assert 'data-testid="alert"' not in html(holder.get(world["page"]))
    assert holder.post(f"/pledges/alerts/{alert.id}/resolve").status_code == 404

    bank = world["bank_client"]
    page = html(bank.get(world["page"]))
    assert "Expiry near loan maturity" in page
    assert 'data-testid="resolve-alert"' in page
    page = follow(bank, f"/pledges/alerts/{alert.id}/resolve")
    assert "The alert is resolved." in page
    _db.session.expire_all()
    assert _db.session.get(PledgeAlert, alert.id).resolved_at is not None
    assert 'data-testid="resolve-alert"' not in page
    assert "Alert resolved: Expiry near loan maturity" in page
    # a resolved alert cannot be resolved again
    assert bank.post(f"/pledges/alerts/{alert.id}/resolve").status_code == 403


def test_pledge_page_shows_risk_sharing_support(world):
    pledge = register(world)
    risk.create_scheme(
        risk.SchemeData(
            kind=SchemeKind.INTEREST_SUBSIDY,
            name_zh="长春新区知识产权质押贷款贴息",
            name_en="New Area IP loan interest subsidy",
            share_bp=5_000,
            annual_cap=1_000_000_00,
        ),
        actor=make_operator(),
    )
    services.record_repayment(
        pledge, principal=0, interest=2_000_00, paid_on=today(), actor=world["banker"]
    )
    _db.session.flush()
    page = html(world["holder_client"].get(world["page"]))
    line = page.split('data-testid="support-line"')[1].split("</tr>")[0]
    assert "New Area IP loan interest subsidy" in line  # the scheme's English name
    assert "¥2,000.00" in line and "¥1,000.00" in line


# --- who may do what -----------------------------------------------------------------------------


BANK_ACTIONS = ["file", "repayments", "release", "change", "default", "dispose"]


@pytest.mark.parametrize("action", BANK_ACTIONS)
def test_the_pledgor_cannot_use_bank_actions(world, action):
    response = world["holder_client"].post(f"{world['page']}/{action}")
    assert response.status_code == 403
    assert refreshed(world["pledge"]).status is PledgeStatus.AGREED


def test_another_bank_sees_nothing(app, world):
    other = signed_in(app, world["other_banker"])
    pledge = world["pledge"]
    (filing,) = services.file_registration(pledge, actor=world["banker"])
    _db.session.flush()
    for url in [
        world["page"],
        f"{world['page']}/contract.pdf",
        f"{world['page']}/filings/{filing.id}.pdf",
        f"{world['page']}/filings/{filing.id}.json",
    ]:
        assert other.get(url).status_code == 404, url
    for url in [
        f"{world['page']}/release",
        f"{world['page']}/filings/{filing.id}/accept",
        f"{world['page']}/filings/{filing.id}/refuse",
    ]:
        assert other.post(url).status_code == 404, url
    assert refreshed(pledge).status is PledgeStatus.FILED


def test_the_operator_reads_but_does_not_act(app, world):
    operator = signed_in(app, make_operator())
    assert operator.get(world["page"]).status_code == 200
    assert operator.get(f"{world['page']}/contract.pdf").status_code == 200
    assert operator.post(f"{world['page']}/file").status_code == 403


def test_pages_need_a_login(client, world):
    response = client.get(world["page"])
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post(f"{world['page']}/file").status_code == 302
    assert refreshed(world["pledge"]).status is PledgeStatus.AGREED


def test_unknown_ids_are_not_found(world):
    bank = world["bank_client"]
    assert bank.get("/pledges/999999").status_code == 404
    assert bank.post(f"{world['page']}/filings/999999/accept").status_code == 404
    assert bank.post("/pledges/alerts/999999/resolve").status_code == 404
    assert bank.post("/pledges/consents/999999/decide").status_code == 404


# --- languages -----------------------------------------------------------------------------------


def test_the_pledge_page_in_english_and_in_chinese(world):
    bank = world["bank_client"]
    page = html(bank.get(world["page"]))
    assert 'lang="zh-CN"' in page
    bank.post("/lang/en")
    page = html(bank.get(world["page"]))
    assert 'lang="en"' in page
    assert "Agreed, to be filed" in page
    assert "Collateral and registration grounds" in page
    assert "Pledgor is the registered owner" in page
    assert "Jilin Test Bank" in page  # the English name of an organisation that has one
    assert "File the registration" in page
