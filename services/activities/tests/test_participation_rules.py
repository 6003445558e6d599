"""The rules of check-in codes, windows and hours, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gongjian_activities.domain import activities as domain
from gongjian_activities.domain.activities import ActivityStatus
from gongjian_activities.domain.participation import (
    check_in_window,
    code_is_good,
    current_code,
    rounded_hours,
    span_hours,
)

SECRET = b"\x01" * 32
NOON = datetime(2026, 11, 27, 4, 0, 0, tzinfo=UTC)


def test_the_code_changes_every_period_and_the_previous_one_stays_good_one_period():
    shown = current_code(SECRET, NOON, 30)
    assert len(shown.code) == 6
    assert shown.code.isdigit()
    assert shown.valid_until == NOON + timedelta(seconds=30)
    later = current_code(SECRET, NOON + timedelta(seconds=30), 30)
    assert later.code != shown.code
    assert code_is_good(SECRET, shown.code, NOON + timedelta(seconds=45), 30)
    assert not code_is_good(SECRET, shown.code, NOON + timedelta(seconds=61), 30)


def test_yesterdays_code_and_another_activitys_code_are_refused():
    yesterday = current_code(SECRET, NOON - timedelta(days=1), 30).code
    other = current_code(b"\x02" * 32, NOON, 30).code
    # (a fixed secret and fixed times: deterministic)
    assert not code_is_good(SECRET, yesterday, NOON, 30)
    assert not code_is_good(SECRET, other, NOON, 30)
    assert code_is_good(SECRET, current_code(SECRET, NOON, 30).code, NOON, 30)


def test_the_window_opens_early_and_closes_late_and_open_ended_activities_last_a_setting():
    window = check_in_window(
        NOON, NOON + timedelta(hours=2), early_minutes=30, late_minutes=15, open_ended_hours=12
    )
    assert window.holds(NOON - timedelta(minutes=30))
    assert not window.holds(NOON - timedelta(minutes=31))
    assert window.holds(NOON + timedelta(hours=2, minutes=15))
    assert not window.holds(NOON + timedelta(hours=2, minutes=16))
    open_ended = check_in_window(NOON, None, early_minutes=0, late_minutes=0, open_ended_hours=12)
    assert open_ended.closes == NOON + timedelta(hours=12)


def test_hours_are_the_span_rounded_down_to_the_step_never_more():
    assert span_hours(NOON, NOON + timedelta(minutes=91)) == Decimal("1.51")
    assert rounded_hours(Decimal("1.51"), 15) == Decimal("1.50")
    assert rounded_hours(Decimal("1.49"), 15) == Decimal("1.25")
    assert rounded_hours(Decimal("2"), 30) == Decimal("2.00")


def test_only_the_lifecycle_moves_are_allowed():
    assert domain.can_move(ActivityStatus.PLANNED, ActivityStatus.PUBLISHED)
    assert domain.can_move(ActivityStatus.PUBLISHED, ActivityStatus.ONGOING)
    assert domain.can_move(ActivityStatus.ONGOING, ActivityStatus.COMPLETED)
    assert not domain.can_move(ActivityStatus.PLANNED, ActivityStatus.COMPLETED)
    assert not domain.can_move(ActivityStatus.COMPLETED, ActivityStatus.CANCELLED)
    assert not domain.can_move(ActivityStatus.CANCELLED, ActivityStatus.PUBLISHED)
    zh, en = domain.refusal(ActivityStatus.COMPLETED, "取消", "cancelled")
    assert "已完成" in zh
    assert "COMPLETED" in en


def test_service_delivery_needs_its_kind_and_nothing_else_has_one():
    assert domain.service_kind_problems(domain.ActivityCategory.SERVICE_DELIVERY, None)
    assert not domain.service_kind_problems(
        domain.ActivityCategory.SERVICE_DELIVERY, domain.ServiceKind.LAW
    )
    assert domain.service_kind_problems(domain.ActivityCategory.TRAINING, domain.ServiceKind.LAW)
