"""People in activities: roles, the rotating check-in code, the check-in window and hours."""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum


class ParticipationRole(StrEnum):
    VOLUNTEER = "VOLUNTEER"
    PARTICIPANT = "PARTICIPANT"
    ORGANIZER = "ORGANIZER"


ROLE_LABELS = {
    ParticipationRole.VOLUNTEER: "志愿者",
    ParticipationRole.PARTICIPANT: "参与者",
    ParticipationRole.ORGANIZER: "组织者",
}


class ParticipationStatus(StrEnum):
    SIGNED_UP = "SIGNED_UP"
    WITHDRAWN = "WITHDRAWN"
    CHECKED_IN = "CHECKED_IN"
    CHECKED_OUT = "CHECKED_OUT"


PARTICIPATION_STATUS_LABELS = {
    ParticipationStatus.SIGNED_UP: "已报名",
    ParticipationStatus.WITHDRAWN: "已退出",
    ParticipationStatus.CHECKED_IN: "已签到",
    ParticipationStatus.CHECKED_OUT: "已签退",
}


class HoursStatus(StrEnum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


HOURS_STATUS_LABELS = {
    HoursStatus.PENDING: "待核实",
    HoursStatus.VERIFIED: "已核实",
    HoursStatus.REJECTED: "未予核实",
}

# Organisers run the activity; they take no place of its capacity.
TAKES_A_PLACE = frozenset({ParticipationRole.VOLUNTEER, ParticipationRole.PARTICIPANT})

CODE_DIGITS = 6


def check_in_code(secret: bytes, window: int) -> str:
    """The code of one time window (HOTP, RFC 4226, over the window number)."""
    digest = hmac.new(secret, struct.pack(">Q", window), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**CODE_DIGITS).zfill(CODE_DIGITS)


@dataclass(frozen=True)
class ShownCode:
    code: str
    valid_until: datetime


def current_code(secret: bytes, now: datetime, period_s: int) -> ShownCode:
    """What the venue's screen shows now, and until when (it then shows the next one)."""
    window = int(now.timestamp()) // period_s
    until = datetime.fromtimestamp((window + 1) * period_s, tz=UTC)
    return ShownCode(check_in_code(secret, window), until)


def code_is_good(secret: bytes, code: str, now: datetime, period_s: int) -> bool:
    """The code of this window or the one before (read just before it changed); none older,
    so a photo of an earlier code is useless a period later."""
    window = int(now.timestamp()) // period_s
    given = code.strip().encode()
    return any(
        hmac.compare_digest(given, check_in_code(secret, w).encode()) for w in (window, window - 1)
    )


@dataclass(frozen=True)
class Window:
    opens: datetime
    closes: datetime

    def holds(self, at: datetime) -> bool:
        return self.opens <= at <= self.closes

    def overlaps(self, other: Window) -> bool:
        return self.opens < other.closes and other.opens < self.closes


def activity_span(starts_at: datetime, ends_at: datetime | None, open_ended_hours: int) -> Window:
    """When the activity itself runs (an open-ended one: a setting's hours after the start)."""
    return Window(starts_at, ends_at or starts_at + timedelta(hours=open_ended_hours))


def check_in_window(
    starts_at: datetime,
    ends_at: datetime | None,
    *,
    early_minutes: int,
    late_minutes: int,
    open_ended_hours: int,
) -> Window:
    span = activity_span(starts_at, ends_at, open_ended_hours)
    return Window(
        span.opens - timedelta(minutes=early_minutes), span.closes + timedelta(minutes=late_minutes)
    )


HOURS_QUANTUM = Decimal("0.01")
MAX_HOURS_PER_ACTIVITY = Decimal(24 * 31)


def span_hours(checked_in_at: datetime, checked_out_at: datetime) -> Decimal:
    """The checked-in span in hours (two decimals, rounded down)."""
    seconds = Decimal(int((checked_out_at - checked_in_at).total_seconds()))
    return (seconds / Decimal(3600)).quantize(HOURS_QUANTUM, rounding=ROUND_DOWN)


def rounded_hours(hours: Decimal, step_minutes: int) -> Decimal:
    """Hours rounded down to the step (e.g. 15 minutes: 2.6 h → 2.5 h)."""
    step = Decimal(step_minutes) / Decimal(60)
    return ((hours / step).to_integral_value(rounding=ROUND_DOWN) * step).quantize(
        HOURS_QUANTUM, rounding=ROUND_DOWN
    )
