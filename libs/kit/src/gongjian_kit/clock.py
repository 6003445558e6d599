"""The programme's clock (项目时钟): today's date and the current time where the programme runs.

Servers run in UTC, but the programme's day is China's day: a membership started at 07:00 in
Hangzhou on 1 December is dated 1 December, not 30 November, and "cannot be in the future"
means after today in China. So every "today" or "now" that stands for the programme's day
comes from here, never from ``date.today()`` (the server's zone) and never at import time or
when the schema is built (a default computed then goes stale while the server runs).

The zone is read from ``GONGJIAN_TIMEZONE`` (default ``Asia/Shanghai``) at each call.

Tests freeze the clock by replacing ``_current``::

    monkeypatch.setattr(clock, "_current", lambda: datetime(2026, 11, 25, 1, tzinfo=UTC))
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TIMEZONE_ENV = "GONGJIAN_TIMEZONE"
DEFAULT_TIMEZONE = "Asia/Shanghai"


def _current() -> datetime:
    """The current instant, timezone-aware. Tests replace this to freeze the clock."""
    return datetime.now(UTC)


def zone() -> ZoneInfo:
    """The programme's time zone, from ``GONGJIAN_TIMEZONE`` (read now, not at import)."""
    return ZoneInfo(os.environ.get(TIMEZONE_ENV) or DEFAULT_TIMEZONE)


def now() -> datetime:
    """The programme's local date and time, timezone-aware."""
    return _current().astimezone(zone())


def today() -> date:
    """The programme's local date: the day it is in China (or ``GONGJIAN_TIMEZONE``)."""
    return now().date()
