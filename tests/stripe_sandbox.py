"""The local Stripe sandbox for tests: the real ``stripe`` library against the real localstripe.

Import the fixtures into a package's ``conftest.py``::

    from tests.stripe_sandbox import *  # noqa: F403  (the Stripe sandbox fixtures)

- ``stripe_sandbox`` (session): localstripe started by ``marketplace.payments.sandbox`` on a
  free 127.0.0.1 port, in memory, stopped after the session.
- ``webhook_inbox`` (session): a tiny HTTP server registered with localstripe as a webhook
  endpoint; it records every signed event localstripe sends (``wait_for(type, intent_id)``) so
  a test replays the exact bytes and signature into the app under the rolled-back ``db``.
- ``stripe_app``: the session ``app`` pointed at the sandbox for one test; ``empty_stripe``
  empties the sandbox first (for reconciliation, which lists every PaymentIntent).
- ``stripe_http``: a recording proxy in front of the sandbox, the app pointed at it: every
  request the stripe client sends is kept (method, path, headers, form) and paths localstripe
  lacks (Connect transfers) get a canned Stripe answer. This is the stripe client's HTTP
  boundary, so what localstripe cannot show (Idempotency-Key headers, transfers) is proven
  on the wire without mocking our code.
- ``payments_live_server``: the app served on a loopback port with data that really commits;
  localstripe delivers its webhooks to it over HTTP while the test runs.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from marketplace import create_app
from marketplace.config import SANDBOX_WEBHOOK_SECRET
from marketplace.extensions import db as _db
from marketplace.payments.sandbox import Sandbox, clear, register_webhook, start_sandbox
from tests.conftest import make_config

__all__ = [
    "_payments_live_app",
    "empty_stripe",
    "payments_live_server",
    "stripe_app",
    "stripe_http",
    "stripe_sandbox",
    "webhook_inbox",
]


@pytest.fixture(scope="session")
def stripe_sandbox() -> Iterator[Sandbox]:
    sandbox = start_sandbox()
    try:
        yield sandbox
    finally:
        sandbox.stop()


# --- the webhook inbox ----------------------------------------------------------------------------


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class WebhookInbox:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, event_type: str, intent_id: str, timeout: float = 10.0) -> Delivery:
        """The delivery of ``event_type`` about ``intent_id`` (localstripe sends after ~1 s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for delivery in self.deliveries:
                    event = delivery.event
                    if event["type"] == event_type and event["data"]["object"]["id"] == intent_id:
                        return delivery
            time.sleep(0.05)
        raise AssertionError(f"localstripe sent no {event_type} for {intent_id}")


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="session")
def webhook_inbox(stripe_sandbox: Sandbox) -> Iterator[WebhookInbox]:
    inbox: WebhookInbox

    class Handler(_Quiet):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with inbox.lock:
                inbox.deliveries.append(Delivery(body, dict(self.headers.items())))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server, url = _serve(Handler)
    inbox = WebhookInbox(url)
    register_webhook(stripe_sandbox.url, url, secret=SANDBOX_WEBHOOK_SECRET, endpoint_id="inbox")
    try:
        yield inbox
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def pointed_at(app: Flask, base: str) -> Iterator[Flask]:
    """``app`` talks to the Stripe API at ``base`` (and verifies the sandbox's webhooks)."""
    saved = {k: app.config.get(k) for k in ("STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET")}
    app.config.update(STRIPE_API_BASE=base, STRIPE_WEBHOOK_SECRET=SANDBOX_WEBHOOK_SECRET)
    try:
        yield app
    finally:
        app.config.update(saved)


@pytest.fixture
def stripe_app(app: Flask, stripe_sandbox: Sandbox, webhook_inbox: WebhookInbox) -> Iterator[Flask]:
    with pointed_at(app, stripe_sandbox.url):
        yield app


@pytest.fixture
def empty_stripe(stripe_sandbox: Sandbox) -> Sandbox:
    """The sandbox emptied first: a reconciliation sees only this test's intents."""
    clear(stripe_sandbox.url)
    return stripe_sandbox


# --- the recording proxy --------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]


@dataclass
class StripeWire:
    """What the stripe client sent, and canned answers for what localstripe lacks."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    #: ``(METHOD, path) -> (status, JSON body)`` answered instead of forwarding.
    canned: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def sent(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]


@pytest.fixture
def stripe_http(
    app: Flask, stripe_sandbox: Sandbox, webhook_inbox: WebhookInbox
) -> Iterator[StripeWire]:
    upstream = urllib.parse.urlsplit(stripe_sandbox.url)
    wire: StripeWire

    class Handler(_Quiet):
        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.split("?")[0]
            wire.requests.append(
                Recorded(
                    self.command,
                    path,
                    dict(self.headers.items()),
                    urllib.parse.parse_qs(body.decode()),
                )
            )
            canned = wire.canned.get((self.command, path))
            if canned is not None:
                status, payload = canned
                data = json.dumps(payload).encode()
                headers = {"Content-Type": "application/json"}
            else:
                conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=10)
                forwarded = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
                }
                conn.request(self.command, self.path, body=body or None, headers=forwarded)
                response = conn.getresponse()
                status, data = response.status, response.read()
                headers = {"Content-Type": response.getheader("Content-Type") or "text/plain"}
                conn.close()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _handle

    server, url = _serve(Handler)
    wire = StripeWire(url)
    try:
        with pointed_at(app, url):
            yield wire
    finally:
        server.shutdown()
        server.server_close()


# --- the live server ------------------------------------------------------------------------------


class _QuietWSGI(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class PaymentsLiveServer:
    url: str
    app: Flask


@pytest.fixture(scope="session")
def _payments_live_app(app: Flask, stripe_sandbox: Sandbox) -> Iterator[PaymentsLiveServer]:
    live_app = create_app(
        make_config(
            STRIPE_API_BASE=stripe_sandbox.url, STRIPE_WEBHOOK_SECRET=SANDBOX_WEBHOOK_SECRET
        )
    )
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, live_app, threaded=True, request_handler=_QuietWSGI
    )
    thread = threading.Thread(target=server.serve_forever, name="payments-live", daemon=True)
    thread.start()
    try:
        yield PaymentsLiveServer(f"http://127.0.0.1:{server.server_port}", live_app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with live_app.app_context():
            _db.engine.dispose()


@pytest.fixture
def payments_live_server(
    _payments_live_app: PaymentsLiveServer,
    stripe_sandbox: Sandbox,
    committing_db: Any,
    stripe_app: Flask,
) -> Iterator[PaymentsLiveServer]:
    """Webhooks go to the live app only during the test: afterwards the endpoint listens to
    no event, so a late delivery cannot write into another test's tables."""
    webhook = f"{_payments_live_app.url}/payments/stripe/webhook"
    register_webhook(stripe_sandbox.url, webhook, endpoint_id="live")
    try:
        yield _payments_live_app
    finally:
        register_webhook(stripe_sandbox.url, webhook, endpoint_id="live", events=[])
