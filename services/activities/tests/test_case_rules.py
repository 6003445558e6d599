"""The case desk's rules on their own: working days per China's calendar, the status flow."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import chinese_calendar
import pytest

from gongjian_activities.domain import cases as domain
from gongjian_activities.domain.cases import CaseStatus
from gongjian_activities.graphql.cases import (
    CaseRequester,
    masked_name,
    masked_phone,
    requester_grants,
)
from gongjian_activities.usecases.cases import NAME_FIELD, PHONE_FIELD
from gongjian_kit.auth import Caller, Role
from gongjian_kit.personal_data import PersonalDataProtector, new_key
from gongjian_kit.policy import Resource
from gongjian_kit.workdays import WorkCalendar, parse_days


def test_the_calendar_agrees_with_chinese_calendar_on_every_day_of_2024_to_2026():
    calendar, day, differ = WorkCalendar(), date(2024, 1, 1), []
    while day <= date(2026, 12, 31):
        if calendar.is_working_day(day) != chinese_calendar.is_workday(day):
            differ.append(day)
        day += timedelta(days=1)
    assert differ == []


def test_a_case_opened_the_day_before_national_day_is_due_after_the_holiday():
    calendar = WorkCalendar()
    # 30 Sep 2026: 1-7 Oct are off (3 days of holiday, a weekend, 3 days given for worked
    # Saturdays); Thu 8, Fri 9, Sat 10 (a worked Saturday: 调休上班), Mon 12, Tue 13.
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert calendar.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)
    # Without the calendar (Monday to Friday only) it would have been 7 October.
    assert calendar.is_working_day(date(2026, 10, 10))  # a Saturday worked in exchange
    assert not calendar.is_working_day(date(2026, 10, 7))  # a Wednesday off


def test_spring_festival_and_its_worked_saturdays():
    calendar = WorkCalendar()
    # Fri 13 Feb 2026 + 5: Sat 14 (worked), then off until Mon 23, then 24, 25, 26, 27.
    assert calendar.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)
    assert calendar.working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5


def test_counting_starts_the_next_day_and_zero_days_is_the_same_day():
    calendar = WorkCalendar()
    monday = date(2026, 11, 23)
    assert calendar.add_working_days(monday, 0) == monday
    assert calendar.add_working_days(monday, 1) == date(2026, 11, 24)
    assert calendar.working_days_between(monday, monday) == 0
    assert calendar.working_days_between(monday, monday - timedelta(days=3)) == 0
    with pytest.raises(ValueError, match="working days"):
        calendar.add_working_days(monday, -1)


def test_operators_corrections_win_over_the_package():
    friday, saturday = date(2026, 11, 27), date(2026, 11, 28)
    corrected = WorkCalendar(extra_holidays=[friday], extra_workdays=[saturday])
    assert not corrected.is_working_day(friday)
    assert corrected.is_working_day(saturday)
    assert corrected.add_working_days(date(2026, 11, 26), 1) == saturday
    assert parse_days(" 2027-02-09, ,2027-02-10") == {date(2027, 2, 9), date(2027, 2, 10)}


def test_the_status_flow():
    assert domain.can_move(CaseStatus.OPEN, CaseStatus.ACCEPTED)
    assert domain.can_move(CaseStatus.ACCEPTED, CaseStatus.RESOLVED)  # answered at once
    assert domain.can_move(CaseStatus.RESOLVED, CaseStatus.CLOSED)
    assert domain.can_move(CaseStatus.CLOSED, CaseStatus.IN_PROGRESS)  # reopened
    assert not domain.can_move(CaseStatus.OPEN, CaseStatus.CLOSED)
    assert not domain.can_move(CaseStatus.OPEN, CaseStatus.RESOLVED)
    assert not domain.can_move(CaseStatus.IN_PROGRESS, CaseStatus.CLOSED)
    zh, en = domain.refusal(CaseStatus.OPEN, "回访关闭", "closed")
    assert "待受理" in zh
    assert "OPEN" in en


def test_overdue_and_on_time_count_the_deadline_day_as_in_time():
    due = date(2026, 10, 13)
    assert not domain.is_overdue(CaseStatus.IN_PROGRESS, due, due)
    assert domain.is_overdue(CaseStatus.IN_PROGRESS, due, due + timedelta(days=1))
    assert not domain.is_overdue(CaseStatus.RESOLVED, due, due + timedelta(days=30))
    assert domain.on_time(due, due)
    assert not domain.on_time(due, due + timedelta(days=1))


def test_a_requester_is_masked_for_those_the_policy_does_not_let_see_the_person():
    """Everyone who reaches a case today may see its requester (the area's admins, the
    organisation handling it, the requester themself); the masks hold should the table change:
    a reader without the grants gets 赵* and the phone's last four, from the ciphertext."""
    case_id, handler = uuid.uuid4(), uuid.uuid4()
    protector = PersonalDataProtector(new_key(), new_key())
    row = {
        "id": case_id,
        "requester_person_id": None,
        "area_code": "330106001001",
        "organization_id": handler,
        "escalated_to": None,
    }
    requester = CaseRequester(
        kind=domain.RequesterKind.NAMED,
        grants=frozenset(),
        case_id=case_id,
        person_id=None,
        name_enc=protector.encrypt("赵来电", NAME_FIELD, case_id),
        phone_enc=protector.encrypt("13912345678", PHONE_FIELD, case_id),
        protector=protector,
    )
    assert masked_name(requester) == "赵*电"
    assert masked_phone(requester) == "*******5678"

    def caller(role: Role, area: str, orgs: frozenset[str] = frozenset()) -> Caller:
        return Caller(subject="t", roles=frozenset({role}), area=area, orgs=orgs)

    admin = requester_grants(caller(Role.COMMUNITY_ADMIN, "330106001001"), row)  # type: ignore[arg-type]
    assert Resource.PERSONAL_SECRET in admin
    other_street = requester_grants(caller(Role.STREET_ADMIN, "330106002000"), row)  # type: ignore[arg-type]
    assert other_street == frozenset()
    handling = caller(Role.ORG_ADMIN, "330106001001", frozenset({str(handler)}))
    assert Resource.PERSONAL_SECRET in requester_grants(handling, row)  # type: ignore[arg-type]
    other_org = caller(Role.ORG_ADMIN, "330106001001", frozenset({str(uuid.uuid4())}))
    assert requester_grants(other_org, row) == frozenset()  # type: ignore[arg-type]
    # A ciphertext moved onto another case does not decrypt: no value, no mask of one.
    moved = CaseRequester(
        kind=domain.RequesterKind.NAMED,
        grants=frozenset(),
        case_id=uuid.uuid4(),
        person_id=None,
        name_enc=requester.name_enc,
        phone_enc=None,
        protector=protector,
    )
    assert moved.clear("name") is None
    assert masked_name(moved) is None
