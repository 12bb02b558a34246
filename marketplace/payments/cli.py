"""``flask payments ...``: the local Stripe sandbox for the demo, and the reconciliation.

``flask payments reconcile`` compares the ledger with the payments and the payments with
Stripe's PaymentIntents and refunds; it prints every difference and exits 1 if there is any
(cron mails the output). ``flask payments sandbox`` serves localstripe on 127.0.0.1 and points
its webhooks at the local app, so the demo takes the test card 4242 4242 4242 4242.
"""

from __future__ import annotations

import signal
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.payments import sandbox, services

payments_cli = click.Group("payments", help="Payments: Stripe sandbox, reconciliation.")


@payments_cli.command("reconcile")
@with_appcontext
def reconcile_command() -> None:
    """List every difference between the ledger, the payments and Stripe."""
    differences = services.reconcile()
    for difference in differences:
        click.echo(str(difference))
    if differences:
        click.echo(f"{len(differences)} difference(s).", err=True)
        raise SystemExit(1)
    click.echo("No differences.")


@payments_cli.command("sandbox")
@click.option("--port", type=int, default=sandbox.DEFAULT_PORT, show_default=True)
@click.option(
    "--webhook",
    default="http://127.0.0.1:5000/payments/stripe/webhook",
    show_default=True,
    help="Where the sandbox delivers its signed events (the app's webhook endpoint).",
)
@with_appcontext
def sandbox_command(port: int, webhook: str) -> None:
    """Serve the local Stripe sandbox (localstripe, in memory, 127.0.0.1) until stopped."""
    url = f"http://127.0.0.1:{port}"
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if sandbox.is_answering(url):
        sandbox.register_webhook(url, webhook, secret=secret)
        click.echo(f"A Stripe sandbox already answers on {url}; webhooks go to {webhook}.")
        return
    running = sandbox.start_sandbox(port)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # Only unwind: the ``finally`` below stops the sandbox once ``wait`` has let go.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        sandbox.register_webhook(url, webhook, secret=secret)
        click.echo(
            f"Stripe sandbox on {url}; webhooks go to {webhook}. Test card 4242 4242 4242 4242."
        )
        assert running.process is not None
        running.process.wait()
    finally:
        running.stop()
