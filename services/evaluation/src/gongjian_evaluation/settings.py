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
    # 推优入党: years as an activist before candidacy, years on probation, least age at application.
    party_activist_min_years: int = 1
    party_probation_years: int = 1
    party_min_age: int = 18
    # A recommendation checks the person's age with the organizations subgraph (caller's token).
    organizations_url: str = "http://127.0.0.1:4001/graphql"

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
        if min(self.party_activist_min_years, self.party_probation_years, self.party_min_age) < 0:
            raise ValueError("PARTY_* settings cannot be negative")
        return self


@cache
def evaluation_settings() -> EvaluationSettings:
    return EvaluationSettings()
