"""First journey: sign up, log out and in again, switch the language both ways, log out."""

from __future__ import annotations

import re

import pytest
from babel.support import Translations
from playwright.sync_api import expect

from marketplace.config import Config
from tests.browser.helpers import expect_flash, log_in, log_out, sign_up

pytestmark = pytest.mark.browser


def _zh(message: str) -> str:
    """``message`` as the compiled Chinese catalogue translates it (unchanged without one)."""
    catalogue = Translations.load(Config.BABEL_TRANSLATION_DIRECTORIES, ["zh"])
    return catalogue.gettext(message)


def test_sign_up_log_in_switch_language_and_log_out(new_page):
    page = new_page(locale="zh-CN")
    page.goto("/")
    html = page.locator("html")
    switch = page.get_by_test_id("lang-switch")
    # Simplified Chinese is the default for a browser that asks for it.
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(switch).to_have_text("English")

    page.locator("header a[href='/signup']").click()
    sign_up(page, name="王小明", email="wang.xiaoming@example.cn")
    # A new person has no organisation yet, so they land on the page to register one.
    expect(page).to_have_url(re.compile(r"/org/new$"))
    expect(page.get_by_test_id("org-form")).to_be_visible()
    expect_flash(page)
    expect(page.get_by_test_id("account-link")).to_have_text("王小明")

    log_out(page)
    log_in(page, "Wang.Xiaoming@example.cn")  # email addresses are not case-sensitive
    expect(page.get_by_test_id("account-link")).to_have_text("王小明")
    expect(html).to_have_attribute("lang", "zh-CN")
    logout_button = page.locator("header form[action='/logout'] [type=submit]")
    expect(logout_button).to_have_text(_zh("Log out"))

    # To English and back; the switch keeps the person on the page they were reading.
    page_before = page.url
    switch.click()
    expect(html).to_have_attribute("lang", "en")
    expect(switch).to_have_text("中文")
    expect(logout_button).to_have_text("Log out")
    assert page.url == page_before

    switch.click()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(switch).to_have_text("English")
    expect(logout_button).to_have_text(_zh("Log out"))
    assert page.url == page_before

    log_out(page)
    expect(html).to_have_attribute("lang", "zh-CN")
