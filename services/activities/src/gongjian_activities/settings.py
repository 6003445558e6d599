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


@cache
def activity_settings() -> ActivitySettings:
    return ActivitySettings()
