"""The foundation's whole journey in the browser, as the issue's "Done when" states it: a person
signs up and registers an organisation, the operator verifies it, the person invites a colleague
who joins through the emailed link, then creates an API token, uses it and revokes it."""

from __future__ import annotations

import itertools
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import api_get, expect_flash, log_in, sign_up, submit
from tests.factories import make_operator, valid_uscc

pytestmark = pytest.mark.browser

#: Identity numbers must be unique; a run-dependent base keeps them apart across runs too.
_identity_serial = itertools.count(int(time.time()) % 1_000_000)

ORG_NAME = "长春光谷精密仪器有限公司"


def test_sign_up_register_verify_invite_and_use_api_token(new_page, live_server, committing_db):
    operator = make_operator()
    operator_email = operator.email
    committing_db.session.commit()
    # No session of this thread may keep a transaction open while the server writes (SQLite).
    committing_db.session.remove()

    # A person signs up and registers their organisation; it waits for verification.
    admin = new_page(locale="zh-CN")
    admin.goto("/signup")
    sign_up(admin, name="李华", email="li.hua@example.cn")
    expect(admin).to_have_url(re.compile(r"/org/new$"))
    submit(
        admin,
        "org-form",
        kind="enterprise",
        name_zh=ORG_NAME,
        name_en="Changchun Optics Valley Precision Instruments Co., Ltd.",
        region="长春新区",
        identity_number=valid_uscc(next(_identity_serial)),
    )
    expect(admin).to_have_url(re.compile(r"/org$"))
    expect(admin.get_by_role("heading", level=1)).to_have_text(ORG_NAME)
    expect(admin.get_by_test_id("org-status")).to_have_class(re.compile(r"\bstatus-pending\b"))
    expect(admin.get_by_test_id("invite-form")).to_have_count(0)

    # The operator, in another browser, verifies it.
    operator_page = new_page(locale="zh-CN")
    operator_page.goto("/")
    log_in(operator_page, operator_email)
    operator_page.locator("header nav a[href='/operator/organisations']").click()
    operator_page.get_by_test_id("review-row").get_by_role("link", name=ORG_NAME).click()
    submit(operator_page, "review-form", decision="verified")
    expect_flash(operator_page)
    expect(operator_page.get_by_role("link", name=ORG_NAME)).to_have_count(0)

    # The person sees the verification: a notification and the status; now they may invite.
    admin.reload()
    expect(admin.get_by_test_id("org-status")).to_have_class(re.compile(r"\bstatus-verified\b"))
    expect(admin.get_by_test_id("unread-count")).to_have_text("1")
    submit(admin, "invite-form", email="zhang.wei@example.cn", role="member")
    expect_flash(admin)

    # The invitation email, from the development outbox.
    admin.locator("footer a[href='/dev/outbox']").click()
    email = admin.get_by_test_id("outbox-email").filter(has_text="zhang.wei@example.cn")
    expect(email).to_have_count(1)
    link = email.locator("a[href*='/invitations/']").get_attribute("href")
    assert link and link.startswith(live_server.url + "/invitations/"), link

    # The colleague opens the link in their own browser and signs up with the prefilled email.
    colleague = new_page(locale="zh-CN")
    colleague.goto(link)
    expect(colleague).to_have_url(re.compile(r"/signup\?invitation="))
    form = colleague.get_by_test_id("signup-form")
    expect(form.locator("[name=email]")).to_have_value("zhang.wei@example.cn")
    sign_up(colleague, name="张伟")
    expect_flash(colleague)
    colleague.locator("header nav a[href='/org']").click()
    expect(colleague.get_by_role("heading", level=1)).to_have_text(ORG_NAME)
    expect(colleague.get_by_test_id("org-status")).to_have_class(re.compile(r"\bstatus-verified\b"))
    rows = colleague.get_by_test_id("member-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="zhang.wei@example.cn")).to_contain_text("张伟")
    # A member, not an admin: no invitation form and no role controls.
    expect(colleague.get_by_test_id("invite-form")).to_have_count(0)
    expect(colleague.locator("form[action*='/role']")).to_have_count(0)

    # The admin creates a personal API token; it is shown once.
    admin.goto("/account")
    admin.locator("main a[href='/account/tokens']").click()
    submit(admin, "token-form", name="ERP sync", days="30")
    expect_flash(admin)
    secret = admin.get_by_test_id("new-token").inner_text().strip()
    assert secret.startswith("ipt_"), secret
    status, body = api_get(live_server.url, "/api/v1/me", secret)
    assert status == 200, body
    assert body["email"] == "li.hua@example.cn"
    assert body["organisation"]["name_zh"] == ORG_NAME

    # Revoked in the browser, the token is refused at once.
    row = admin.get_by_test_id("token-row").filter(has_text="ERP sync")
    row.locator("form[action*='/revoke'] [type=submit]").click()
    expect_flash(admin, "info")
    expect(admin.get_by_test_id("new-token")).to_have_count(0)
    expect(row.locator(".status")).to_have_class(re.compile(r"\bstatus-rejected\b"))
    expect(row.locator("form[action*='/revoke']")).to_have_count(0)
    status, body = api_get(live_server.url, "/api/v1/me", secret)
    assert status == 401, body
    assert body["error"]["code"] == "unauthenticated"
