"""Targets (目标管理): pace and projection of a target from its measured value.

A count or a sum (a metric without a denominator) is expected to grow linearly from ``from`` to
the deadline: by day d of n (both days counted), ``target × d / n``; its projection at the
deadline is ``value / d × n``. A rate, an average or a stock (``level``: figures of a day, such
as pairings in force) is a level to hold: expected by now is the target itself, and the
projection is the value as it stands.

A target is behind when its value (if any) falls short of what is expected by now by more than the
tolerance (a share of the expected value: 0.1 lets 10 % go).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

STEP = Decimal("0.0001")


def _q(x: Decimal) -> Decimal:
    return x.quantize(STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Progress:
    value: Decimal | None  # None: a rate with nothing to divide by yet
    target: Decimal
    share: Decimal | None  # value / target (None for a target of 0 or no value)
    expected_by_now: Decimal
    projected: Decimal | None  # at the deadline, at the pace so far (None before it starts)
    behind: bool
    elapsed_days: int
    total_days: int

    @property
    def on_track(self) -> bool:
        return not self.behind


def measured_until(period_from: date, deadline: date, today: date) -> date:
    """The last day measured: today, or the deadline once it has passed."""
    return max(min(today, deadline), period_from)


def progress(
    value: Decimal | None,
    target: Decimal,
    period_from: date,
    deadline: date,
    today: date,
    *,
    level: bool,
    tolerance: Decimal,
) -> Progress:
    total = (deadline - period_from).days + 1
    elapsed = max(0, min((min(today, deadline) - period_from).days + 1, total))
    if level:
        expected = target if elapsed else Decimal(0)
        projected = value
    else:
        expected = target * elapsed / total
        projected = None if value is None or not elapsed else value / elapsed * total
    # Nothing to divide by yet (a rate of no cases) is not behind: there is nothing to judge.
    behind = elapsed > 0 and value is not None and value < expected * (1 - tolerance)
    return Progress(
        value=value,
        target=target,
        share=None if value is None or not target else _q(value / target),
        expected_by_now=_q(expected),
        projected=None if projected is None else _q(projected),
        behind=behind,
        elapsed_days=elapsed,
        total_days=total,
    )
