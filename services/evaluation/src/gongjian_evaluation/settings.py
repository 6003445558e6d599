"""The evaluation service's own settings (read from the environment when first asked for)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Self

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class EvaluationSettings(BaseSettings):
    """Grade bands, the share of 优秀 and the award notice period. Variable names are the field
    names in upper case (``GRADE_EXCELLENT`` …)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    # A weighted total (0..100) at or above each threshold earns the grade: 优秀, 良好, 合格;
    # below the last one, 不合格.
    grade_excellent: Decimal = Decimal(90)
    grade_good: Decimal = Decimal(80)
    grade_pass: Decimal = Decimal(60)
    # At most this share of the subjects ranked together may be 优秀 (applied by rank).
    excellent_share: Decimal = Decimal("0.2")
    # An award's public notice (公示) lasts this many working days of the official calendar.
    award_notice_working_days: int = 5
    # Targets: how often the running targets are measured (seconds), and the share of the
    # value expected by now a target may fall short of before it counts as behind.
    target_check_interval_s: float = 60.0
    target_behind_tolerance: Decimal = Decimal("0.1")

    @model_validator(mode="after")
    def _bands_in_order(self) -> Self:
        if not (
            Decimal(0) <= self.grade_pass < self.grade_good < self.grade_excellent <= Decimal(100)
        ):
            raise ValueError("grade thresholds must rise: 0 <= PASS < GOOD < EXCELLENT <= 100")
        if not Decimal(0) <= self.excellent_share <= Decimal(1):
            raise ValueError("EXCELLENT_SHARE is a share between 0 and 1")
        if self.award_notice_working_days < 1:
            raise ValueError("AWARD_NOTICE_WORKING_DAYS must be at least 1")
        return self


@cache
def evaluation_settings() -> EvaluationSettings:
    return EvaluationSettings()
