"""What a volunteer-hours certificate (志愿服务时长证明) says, ready to print."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class CertificateLine:
    """One activity the person served in, and the hours verified for it."""

    activity_title: str
    held_on: date
    organisers: tuple[str, ...]
    hours: Decimal


@dataclass(frozen=True)
class CertificateDocument:
    """A certificate as issued: who, which period, how many hours, from which activities.

    ``issued_at`` is an aware datetime; the printed date is China's day of it.
    """

    number: str  # e.g. GJ-2026-7K3Q9M2XPA
    verification_code: str
    person_name: str
    period_from: date
    period_to: date
    issuer_name: str  # the issuing organisation
    issued_at: datetime
    total_hours: Decimal
    lines: tuple[CertificateLine, ...]


def chinese_date(day: date) -> str:
    """``2026年1月1日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def hours_text(hours: Decimal) -> str:
    """Hours without trailing zeros or an exponent: ``12.5``, ``3``, ``0.5``."""
    text = format(hours.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")
