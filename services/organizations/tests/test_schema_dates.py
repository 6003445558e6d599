"""No subgraph's schema depends on the day it was built (no "today" baked in as a default).

Strawberry evaluates a field's ``default_factory`` when the class is defined, that is when the
module is imported, so building the schema twice in one process proves nothing. Each service's
modules are therefore imported afresh under two frozen days, with both the programme's clock
(``gongjian_kit.clock._current``) and ``date.today()`` frozen: CPython's ``date.today()`` reads
``time.time()``, which is patched for the import.
"""

from __future__ import annotations

import importlib
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from strawberry.printer import print_schema

from gongjian_kit import clock

SERVICES = ("organizations", "activities", "evaluation")
DATE_DEFAULT = re.compile(r'=\s*"\d{4}-\d{2}-\d{2}')  # a date or date-time literal as a default


@contextmanager
def _fresh_modules(package: str) -> Iterator[None]:
    """Forget ``package``'s modules for the block, then put the originals back exactly."""
    ours = {n: m for n, m in sys.modules.items() if n == package or n.startswith(package + ".")}
    for name in ours:
        del sys.modules[name]
    try:
        yield
    finally:
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]
        sys.modules.update(ours)


def _sdl_on(day: datetime, service: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The service's SDL, its modules imported and its schema built as if it were ``day``."""
    with monkeypatch.context() as m, _fresh_modules(f"gongjian_{service}"):
        m.setattr(clock, "_current", lambda: day)
        m.setattr(time, "time", day.timestamp)
        assert clock.today() == day.astimezone(clock.zone()).date()
        assert date.today() == day.astimezone().date()  # the fake really drives date.today()
        module = importlib.import_module(f"gongjian_{service}.graphql.schema")
        return "\n\n".join((print_schema(module.schema), print_schema(module.make_schema())))


@pytest.mark.parametrize("service", SERVICES)
def test_the_sdl_is_the_same_whatever_the_day(service: str, monkeypatch: pytest.MonkeyPatch):
    first = _sdl_on(datetime(2026, 1, 5, 3, 0, tzinfo=UTC), service, monkeypatch)
    second = _sdl_on(datetime(2027, 7, 20, 15, 30, tzinfo=UTC), service, monkeypatch)
    assert not DATE_DEFAULT.search(first), DATE_DEFAULT.search(first)
    assert first == second


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_sdl_has_no_date_default(service: str):
    sdl = (Path(__file__).parents[2] / service / "schema.graphql").read_text(encoding="utf-8")
    assert not DATE_DEFAULT.search(sdl)


def test_the_programme_day_is_china_s_day(monkeypatch: pytest.MonkeyPatch):
    # 23:30 UTC on 30 November is 07:30 on 1 December in Hangzhou.
    monkeypatch.setattr(clock, "_current", lambda: datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    monkeypatch.delenv(clock.TIMEZONE_ENV, raising=False)
    assert clock.today() == date(2026, 12, 1)
    assert clock.now().utcoffset() is not None
    assert clock.now().hour == 7
    monkeypatch.setenv(clock.TIMEZONE_ENV, "UTC")  # read at each call, not at import
    assert clock.today() == date(2026, 11, 30)
