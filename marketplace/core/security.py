"""Security headers on every response."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, g


def content_security_policy(extra_origin: str | None = None) -> str:
    """No inline script anywhere; Stripe.js's origin is the one foreign origin, and only on the
    pages that take a card (see :func:`allow_stripe_js`)."""
    extra = f" {extra_origin}" if extra_origin else ""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self'{extra}",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src 'self'{extra}",
            *([f"frame-src{extra}"] if extra else []),
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def allow_stripe_js() -> str:
    """Call from a view that loads Stripe.js: this response's CSP allows exactly the configured
    Stripe.js origin (script, frames, connections). Returns the script's URL for the template."""
    from marketplace.payments.gateway import stripe_js_url

    url = stripe_js_url()
    g.csp_extra_origin = origin_of(url)
    return url


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", content_security_policy(g.get("csp_extra_origin"))
    )
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
