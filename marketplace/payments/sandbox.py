"""The local Stripe sandbox: the real ``stripe`` library talks to ``localstripe`` on loopback.

localstripe's own command line listens on every interface and pickles its whole store to
``/tmp/localstripe.pickle`` after every write (slow, and parallel servers clobber each other),
so this launcher disables both and serves its aiohttp application in memory on 127.0.0.1::

    python -m marketplace.payments.sandbox --port 8420

:func:`start_sandbox` runs that in a subprocess on a free port (tests, one per session) and
:func:`register_webhook` tells it where to deliver its signed events. localstripe supports
PaymentIntents (automatic or manual capture), cancel, refunds and signed
``payment_intent.succeeded`` / ``payment_intent.payment_failed`` webhooks; it has no Connect
(transfers), no idempotency keys and no Alipay/WeChat Pay.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import IO

from marketplace.config import SANDBOX_WEBHOOK_SECRET

DEFAULT_PORT = 8420


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Serve localstripe in memory on ``host:port`` until interrupted."""
    from aiohttp import web
    from localstripe import resources, server  # type: ignore[import-untyped]

    # In memory only: no pickle written after each request, none read at start.
    resources.Store.dump_to_disk = lambda self: None
    resources.Store.try_load_from_disk = lambda self: None
    web.run_app(server.app, host=host, port=port, print=None, access_log=None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Sandbox:
    """A running localstripe subprocess."""

    url: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log: IO[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.log is not None:
            self.log.close()
            self.log = None

    def output(self) -> str:
        """What the sandbox wrote to stderr (its tracebacks, if any)."""
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def is_answering(url: str) -> bool:
    """True when a localstripe answers at ``url`` (its Stripe.js stand-in needs no key)."""
    try:
        with urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_sandbox(port: int | None = None, *, timeout: float = 20.0) -> Sandbox:
    """Start localstripe on ``port`` (a free one by default) of 127.0.0.1 and wait until it
    answers. :raises RuntimeError: it exited or did not answer within ``timeout`` seconds."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    # A file, not a pipe: nobody reads the sandbox's stderr while it runs, so a pipe could fill.
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by Sandbox.stop)
    process = subprocess.Popen(
        [sys.executable, "-m", "marketplace.payments.sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    sandbox = Sandbox(url, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = sandbox.output()
            sandbox.stop()
            raise RuntimeError(f"the Stripe sandbox exited: {stderr[-2000:]}")
        if is_answering(url):
            return sandbox
        time.sleep(0.05)
    sandbox.stop()
    raise RuntimeError(f"the Stripe sandbox did not answer on {url} within {timeout} s")


def register_webhook(
    sandbox_url: str,
    url: str,
    *,
    secret: str = SANDBOX_WEBHOOK_SECRET,
    endpoint_id: str = "iptown",
    events: list[str] | None = None,
) -> None:
    """Make localstripe deliver its signed events to ``url`` (replacing ``endpoint_id``'s)."""
    body: dict[str, object] = {"url": url, "secret": secret}
    if events is not None:
        body["events"] = events
    request = urllib.request.Request(
        f"{sandbox_url}/_config/webhooks/{urllib.parse.quote(endpoint_id)}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        if response.status != 200:
            raise RuntimeError(f"localstripe refused the webhook: {response.status}")


def clear(sandbox_url: str) -> None:
    """Forget every object the sandbox holds (its webhook endpoints stay)."""
    request = urllib.request.Request(f"{sandbox_url}/_config/data", method="DELETE")
    with urllib.request.urlopen(request, timeout=5):
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve localstripe in memory on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    serve(args.port)


if __name__ == "__main__":
    main()
