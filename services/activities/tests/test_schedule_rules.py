from datetime import UTC, datetime, timedelta

from gongjian_activities.domain.activities import schedule_problems

START = datetime(2026, 5, 1, 9, tzinfo=UTC)


def test_an_activity_ends_after_it_starts():
    assert schedule_problems(START, START + timedelta(hours=2)) == []
    assert schedule_problems(START, None) == []
    assert [p[0] for p in schedule_problems(START, START)] == ["endsAt"]


def test_one_activity_lasts_at_most_a_month():
    assert [p[0] for p in schedule_problems(START, START + timedelta(days=40))] == ["endsAt"]


def test_times_need_a_zone():
    naive = datetime(2026, 5, 1, 9)
    assert [p[0] for p in schedule_problems(naive, None)] == ["startsAt"]
