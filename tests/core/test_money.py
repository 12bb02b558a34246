from __future__ import annotations

import pytest
from flask_babel import force_locale

from marketplace.core.money import format_money, to_major


def test_money_is_formatted_from_fen_in_the_ui_language(app):
    with force_locale("zh"):
        assert format_money(120_000) == "¥1,200.00"
    with force_locale("en"):
        assert format_money(5) == "CN¥0.05"


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        to_major(12.5)  # type: ignore[arg-type]
