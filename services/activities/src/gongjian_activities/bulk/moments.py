"""Reading a date and time cell: a spreadsheet date-time, or text such as 2026-05-01 09:00,
2026/5/1 9:00, 2026年5月1日 9:00 or ISO 8601 with an offset. A time without a time zone is the
programme's (``gongjian_kit.clock.zone()``, Asia/Shanghai)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from gongjian_kit import clock
from gongjian_kit.bulk import cells
from gongjian_kit.bulk.cells import Why

_MOMENT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T\s]\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*(?:[:：分]\s*(\d{1,2}(?:\.\d+)?)\s*秒?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
BAD = (
    "时间格式应为 YYYY-MM-DD HH:MM（不带时区的按北京时间）",
    "The time must be written YYYY-MM-DD HH:MM (without a time zone: China time)",
)


def _offset(raw: str | None) -> timezone | None:
    if raw is None:
        return None
    if raw.upper() == "Z":
        return UTC
    sign = -1 if raw[0] == "-" else 1
    digits = raw[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _zoned(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=clock.zone())


def moment(value: object) -> tuple[datetime | None, Why | None]:
    """A time zone aware date and time; None when empty."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        return _zoned(value), None
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=clock.zone()), None
    raw = cells.text(value)
    if not raw:
        return None, None
    found = _MOMENT.match(raw)
    if found is None:
        return None, BAD
    year, month, day, hour, minute, second, offset = found.groups()
    seconds = float(second or 0)
    try:
        zone = _offset(offset)
        at = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(seconds),
            round((seconds % 1) * 1_000_000) % 1_000_000,
            tzinfo=zone or clock.zone(),
        )
    except ValueError:
        return None, BAD
    return at, None
