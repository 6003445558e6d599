"""Targets' pace and projection (domain/targets.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gongjian_evaluation.domain.targets import measured_until, progress

TOL = Decimal("0.1")
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def test_a_count_is_expected_at_a_linear_pace_and_projected_from_the_pace_so_far() -> None:
    p = progress(Decimal(1), Decimal(12), *YEAR, date(2026, 11, 27), level=False, tolerance=TOL)
    # Day 331 of 365: 12 × 331 / 365.
    assert p.expected_by_now == Decimal("10.8822")
    assert p.projected == Decimal("1.1027")  # 1 / 331 × 365
    assert p.share == Decimal("0.0833")
    assert p.behind
    assert not p.on_track


def test_within_the_tolerance_is_on_track() -> None:
    # Half way (day 183 of 365): 6.0164 expected; 5.5 is short by less than 10 %.
    p = progress(Decimal("5.5"), Decimal(12), *YEAR, date(2026, 7, 2), level=False, tolerance=TOL)
    assert p.expected_by_now == Decimal("6.0164")
    assert not p.behind
    p = progress(Decimal(5), Decimal(12), *YEAR, date(2026, 7, 2), level=False, tolerance=TOL)
    assert p.behind


def test_before_the_start_nothing_is_expected_and_nothing_projected() -> None:
    p = progress(Decimal(0), Decimal(12), *YEAR, date(2025, 12, 1), level=False, tolerance=TOL)
    assert p.expected_by_now == 0
    assert p.projected is None
    assert not p.behind


def test_after_the_deadline_the_whole_target_is_expected() -> None:
    p = progress(Decimal(12), Decimal(12), *YEAR, date(2027, 3, 1), level=False, tolerance=TOL)
    assert p.expected_by_now == 12
    assert p.projected == 12
    assert not p.behind
    assert measured_until(*YEAR, date(2027, 3, 1)) == date(2026, 12, 31)
    assert measured_until(*YEAR, date(2025, 3, 1)) == date(2026, 1, 1)


def test_a_rate_is_a_level_to_hold() -> None:
    p = progress(
        Decimal("0.85"), Decimal("0.9"), *YEAR, date(2026, 3, 1), level=True, tolerance=TOL
    )
    assert p.expected_by_now == Decimal("0.9")
    assert p.projected == Decimal("0.85")
    assert not p.behind  # 0.85 ≥ 0.9 × 0.9
    p = progress(None, Decimal("0.9"), *YEAR, date(2026, 3, 1), level=True, tolerance=TOL)
    assert p.value is None
    assert p.share is None
    assert not p.behind
