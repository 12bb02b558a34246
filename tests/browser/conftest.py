"""The real-browser rig: Debian's chromium driven by Playwright against the app on a loopback port.

- ``browser``: one headless chromium per session, always ``/usr/bin/chromium`` (never a
  downloaded browser). Missing chromium skips the browser tests, except under ``CI=true``
  where it is a failure.
- ``live_server``: the app with CSRF on, as in production, served by werkzeug in a thread on
  a free port of 127.0.0.1 and sharing the test database; data really commits
  (``committing_db``) and the tables are emptied after each test. A test fails if the server
  answered any request with a 5xx.
- ``new_page``: a fresh browser context (its own cookies, ``zh-CN`` by default) and a page in it;
  a test fails on any JavaScript error or console error, such as a CSP violation or a missing
  static file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from marketplace import create_app
from marketplace.extensions import db as _db
from tests.conftest import IS_CI, make_config

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Fail fast: a page of this app answers in milliseconds, so 10 s means something is wrong.
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> None:
    if IS_CI:
        pytest.fail(f"{reason}; CI=true requires the browser tests to run.", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


class _QuietHandler(WSGIRequestHandler):
    """No access log lines in the test output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class LiveServer:
    url: str
    app: Flask
    #: "METHOD /path -> status" for every 5xx the server answered.
    server_errors: list[str] = field(default_factory=list)


def _recording_5xx(app: Flask, errors: list[str]) -> Callable[..., Any]:
    wsgi = app.wsgi_app

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def recording_start_response(status: str, headers: Any, *args: Any) -> Any:
            if status.startswith("5"):
                errors.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} -> {status}")
            return start_response(status, headers, *args)

        return wsgi(environ, recording_start_response)

    return middleware


@pytest.fixture(scope="session")
def _live_app(app: Flask) -> Iterator[LiveServer]:
    """One live server per session; ``app`` has created the schema it uses."""
    live_app = create_app(make_config(WTF_CSRF_ENABLED=True))
    errors: list[str] = []
    live_app.wsgi_app = _recording_5xx(live_app, errors)  # type: ignore[method-assign]
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, live_app, threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", live_app, errors)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with live_app.app_context():
            _db.engine.dispose()


@pytest.fixture
def live_server(_live_app: LiveServer, committing_db: Any) -> Iterator[LiveServer]:
    _live_app.server_errors.clear()
    yield _live_app
    errors = list(_live_app.server_errors)
    # Release the live app's pooled connections before committing_db empties the tables.
    with _live_app.app.app_context():
        _db.engine.dispose()
    if errors:
        pytest.fail("the live server answered with 5xx: " + "; ".join(errors), pytrace=False)


NewPage = Callable[..., "Page"]


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer) -> Iterator[NewPage]:
    """``new_page(locale="zh-CN")`` opens a page in a new context, i.e. another person."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []
    #: Pages the server answered with 4xx on purpose (a form re-shown with its errors):
    #: Chromium logs each as "Failed to load resource", which is not a browser problem.
    refused_documents: set[str] = set()
    console_errors: list[tuple[str, str]] = []

    def open_page(locale: str = "zh-CN") -> Page:
        context = browser.new_context(
            base_url=live_server.url, locale=locale, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
        page.on(
            "response",
            lambda r: (
                refused_documents.add(r.url)
                if r.request.is_navigation_request() and 400 <= r.status < 500
                else None
            ),
        )
        page.on(
            "console",
            lambda msg: (
                console_errors.append((msg.text, msg.location.get("url", "") or page.url))
                if msg.type == "error"
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    for text, url in console_errors:
        expected_4xx = (
            text.startswith("Failed to load resource: the server responded with a status of 4")
            and url in refused_documents
        )
        if not expected_4xx:
            problems.append(f"console error: {text} ({url})")
    if problems:
        pytest.fail("the browser reported: " + "; ".join(problems), pytrace=False)
