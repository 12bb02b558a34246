"""What a person does in the browser, written once for every journey.

Forms are found by their ``data-testid`` and fields by their names, which do not change with the
language, so the same steps work in Chinese and in English.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def submit(page: Page, form_testid: str, **fields: str | bool) -> None:
    """Fill the named fields (a bool ticks or clears a checkbox) and submit the form."""
    form = page.locator(f"[data-testid={form_testid}]")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if isinstance(value, bool):
            field.set_checked(value)
        elif field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("[type=submit]").click()


def sign_up(page: Page, *, name: str, email: str | None = None, password: str = PASSWORD) -> None:
    """On the sign-up page; ``email=None`` keeps the address an invitation prefilled."""
    fields: dict[str, str | bool] = {"name": name, "password": password}
    if email is not None:
        fields["email"] = email
    submit(page, "signup-form", **fields, accept_terms=True, accept_privacy=True)


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.locator("header a[href='/login']").click()
    submit(page, "login-form", email=email, password=password)
    expect(page.get_by_test_id("account-link")).to_be_visible()


def log_out(page: Page) -> None:
    page.locator("header form[action='/logout'] [type=submit]").click()
    expect(page.get_by_test_id("account-link")).to_have_count(0)
    expect(page.locator("header a[href='/login']")).to_be_visible()


def expect_flash(page: Page, category: str = "success") -> None:
    expect(page.locator(f".flashes .flash-{category}")).to_be_visible()


def api_get(base_url: str, path: str, token: str) -> tuple[int, Any]:
    """A plain HTTP client outside the browser, as a script using the token would be."""
    request = urllib.request.Request(
        base_url + path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)
