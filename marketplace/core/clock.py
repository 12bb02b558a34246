"""Legal dates in China are Beijing dates: "today" is the date in Asia/Shanghai, not UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(BEIJING).date()
