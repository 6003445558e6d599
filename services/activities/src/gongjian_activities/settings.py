"""The activities service's own settings (read from the environment when first asked for)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ActivitySettings(BaseSettings):
    """Check-in windows, codes and hours. Variable names are the field names in upper case."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    # A check-in code changes every this many seconds; the previous one stays good for one more
    # period (a code read off the screen just before it changed still works), none older.
    checkin_code_period_s: int = 30
    # Check-in opens this long before the start and closes this long after the end.
    checkin_early_minutes: int = 30
    checkin_late_minutes: int = 30
    # An activity without an end time is open for check-in this long after its start.
    open_ended_hours: int = 12
    # Verified hours are rounded down to a multiple of this (never more than the span).
    hours_step_minutes: int = 15
    # Wrong check-in codes a person may try per minute before being refused for a while.
    checkin_code_attempts_per_minute: float = 10.0
    # Where the activities service asks organisations for a name on a certificate (with the
    # caller's own token: what they may not see, the certificate may not show).
    organizations_url: str = "http://127.0.0.1:4001/graphql"
    # The case desk's time limits, in working days, by urgency (a case received on day D is due
    # by the end of the N-th working day after D).
    case_limit_urgent_days: int = 1
    case_limit_normal_days: int = 5
    case_limit_complex_days: int = 15
    # A resolved or closed case may be reopened this many calendar days after it was resolved.
    case_reopen_days: int = 30
    # A case may be logged this many days after it was received (paper registers, hotlines).
    case_backdate_days: int = 90
    # Official holiday notices the calendar package does not know yet (ISO dates, comma-separated).
    case_extra_holidays: str = ""
    case_extra_workdays: str = ""
    # How often the service looks for cases past their deadline (and other dates that passed).
    deadline_sweep_interval_s: float = 60.0


@cache
def activity_settings() -> ActivitySettings:
    return ActivitySettings()
