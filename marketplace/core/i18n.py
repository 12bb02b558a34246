"""Locale and time-zone selection: Simplified Chinese unless the person asks for English."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user


def supported() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def select_locale() -> str:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    chosen = session.get("lang")
    if chosen in supported():
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in supported():
        return str(current_user.locale)
    return request.accept_languages.best_match(supported(), default=default) or default


def select_timezone() -> str:
    # Legal dates in China (fee due dates, terms) are in Beijing time, so the UI is too.
    return str(current_app.config["BABEL_DEFAULT_TIMEZONE"])
