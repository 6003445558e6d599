"""Working days (工作日) per China's official holiday calendar.

A working day is Monday to Friday unless it is a public holiday or a day off given in place of
one, plus the weekend days worked in exchange (调休上班). The calendar is the maintained
``holidays`` package (the State Council's notice for each year, and the lunar festivals computed
for years not yet announced). When a notice comes out before the package catches up, operators
list its days in ``CASE_EXTRA_HOLIDAYS`` / ``CASE_EXTRA_WORKDAYS`` (ISO dates, comma-separated):
they win over the package.

Counting: a time limit of N working days from a day D ends on the N-th working day after D (D
itself does not count, as a request received during a day is handled from the next); a case
took as many working days as there are working days after the day it was opened, up to and
including the day it was resolved.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

import holidays

MAX_SPAN_DAYS = 3660  # ten years: no time limit or duration is counted beyond this


class WorkCalendar:
    """China's working days, with operators' corrections on top."""

    def __init__(
        self, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
    ) -> None:
        self._calendar = holidays.country_holidays("CN")
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_workdays = frozenset(extra_workdays)

    def is_working_day(self, day: date) -> bool:
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        return bool(self._calendar.is_working_day(day))

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
        if days < 0:
            raise ValueError("a time limit is a number of working days, 0 or more")
        day, left = start, days
        for _ in range(MAX_SPAN_DAYS):
            if left == 0:
                return day
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        raise ValueError("a time limit of more than ten years")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count, day = 0, start
        end = min(end, start + timedelta(days=MAX_SPAN_DAYS))
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def parse_days(text: str) -> frozenset[date]:
    """``2027-02-09,2027-02-10`` as dates (the settings' lists); blanks ignored."""
    return frozenset(date.fromisoformat(p.strip()) for p in text.split(",") if p.strip())


@cache
def work_calendar(extra_holidays: str = "", extra_workdays: str = "") -> WorkCalendar:
    return WorkCalendar(parse_days(extra_holidays), parse_days(extra_workdays))
