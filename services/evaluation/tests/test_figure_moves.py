"""How the figures move when a subject's state changes: pure rules, no I/O."""

import uuid
from decimal import Decimal

import pytest

from gongjian_evaluation.domain.figures import (
    Figures,
    HoursState,
    Moves,
    OrganizationState,
    ParticipationState,
    activity_after,
    change,
    hours_of,
    latest_activity,
    volunteer_sources,
    with_volunteers,
)

DISTRICT, STREET, COMMUNITY = "330106000000", "330106001000", "330106001001"
OTHER_STREET, OTHER_COMMUNITY = "330106002000", "330106002001"
ORG, OTHER_ORG = uuid.UUID(int=1), uuid.UUID(int=2)
PERSON = uuid.UUID(int=7)


def activity_data(status: str = "PLANNED", area: str = COMMUNITY, **extra: object) -> dict:
    return {
        "activityId": str(uuid.uuid4()),
        "organizerIds": [str(ORG)],
        "areaCode": area,
        "status": status,
        "startsAt": "2026-05-01T09:00:00+08:00",
        **extra,
    }


def test_the_same_state_again_moves_nothing():
    state = activity_after(None, "created", activity_data())
    assert change(state, state) == Moves()
    hours = HoursState(PERSON, COMMUNITY, (ORG,), Decimal("2.50"))
    assert change(hours, hours) == Moves()
    assert volunteer_sources(hours, hours) == {}


def test_a_new_activity_counts_in_its_area_every_ancestor_and_for_its_organisers():
    moved = change(None, activity_after(None, "created", activity_data()))
    assert list(moved.areas) == [DISTRICT, STREET, COMMUNITY]  # ancestors first: lock order
    assert set(moved.areas.values()) == {Figures(activities=1)}
    assert moved.organizations == {ORG: Figures(activities=1)}


def test_completion_adds_the_people_served_and_cancelling_takes_everything_out():
    planned = activity_after(None, "created", activity_data())
    done = activity_after(planned, "completed", activity_data(peopleServed=40))
    completed = Figures(completed_activities=1, people_served=40)
    assert change(planned, done).areas[DISTRICT] == completed
    cancelled = activity_after(done, "cancelled", activity_data())
    assert cancelled.people_served == 40  # kept, no longer counted
    assert change(done, cancelled).areas[COMMUNITY] == Figures(
        activities=-1, completed_activities=-1, people_served=-40
    )
    assert change(None, cancelled) == Moves()


def test_an_update_keeps_the_people_served_and_moves_an_activity_to_its_new_area():
    done = activity_after(None, "completed", activity_data(peopleServed=12))
    moved_on = activity_after(done, "updated", activity_data("COMPLETED", area=OTHER_COMMUNITY))
    assert moved_on.people_served == 12
    moved = change(done, moved_on)
    counted = Figures(activities=1, completed_activities=1, people_served=12)
    assert moved.areas == {
        OTHER_STREET: counted,
        OTHER_COMMUNITY: counted,
        STREET: -counted,
        COMMUNITY: -counted,
    }  # the district keeps it: nothing moves there
    assert list(moved.areas) == sorted(moved.areas)


def test_new_organisers_take_over_an_activity():
    before = activity_after(None, "created", activity_data())
    data = activity_data(organizerIds=[str(OTHER_ORG)])
    moved = change(before, activity_after(before, "updated", data))
    assert moved.areas == {}
    assert moved.organizations == {ORG: Figures(activities=-1), OTHER_ORG: Figures(activities=1)}


def test_lifecycle_events_set_the_status():
    state = activity_after(None, "created", activity_data())
    for event, status in [("published", "PUBLISHED"), ("started", "ONGOING")]:
        state = activity_after(state, event, {"areaCode": COMMUNITY, "organizerIds": [str(ORG)]})
        assert state.status == status
    assert state.starts_at is not None  # started names no start: the known one stays


def test_a_bad_status_or_negative_people_served_is_refused():
    with pytest.raises(ValueError, match="status"):
        activity_after(None, "created", activity_data("DONE"))
    with pytest.raises(ValueError, match="negative"):
        activity_after(None, "completed", activity_data(peopleServed=-1))


def test_hours_verified_again_lower_move_by_the_difference():
    first = HoursState(PERSON, COMMUNITY, (ORG,), hours_of(3.5))
    lower = HoursState(PERSON, COMMUNITY, (ORG,), hours_of(2))
    moved = change(first, lower)
    assert moved.areas[DISTRICT] == Figures(volunteer_hours=Decimal("-1.50"))
    assert moved.organizations == {ORG: Figures(volunteer_hours=Decimal("-1.50"))}
    assert volunteer_sources(first, lower) == {}  # still a volunteer


def test_rejected_hours_stop_counting_and_the_person_leaves_the_volunteers():
    counted = HoursState(PERSON, COMMUNITY, (ORG,), Decimal("2.00"))
    rejected = HoursState(PERSON, COMMUNITY, (ORG,), Decimal("0.00"))
    assert change(counted, rejected).areas[COMMUNITY] == Figures(volunteer_hours=Decimal("-2.00"))
    assert volunteer_sources(counted, rejected) == {
        (PERSON, DISTRICT): -1,
        (PERSON, STREET): -1,
        (PERSON, COMMUNITY): -1,
    }
    assert volunteer_sources(None, rejected) == {}


def test_volunteer_changes_join_the_moves():
    moved = with_volunteers(Moves(), {COMMUNITY: 1, STREET: 0})
    assert moved.areas == {COMMUNITY: Figures(volunteers=1)}


def test_hours_are_kept_to_the_hundredth():
    assert hours_of(1.005) == Decimal("1.01")  # half up, as PostgreSQL rounds numeric
    assert hours_of(2) == Decimal("2.00")
    for bad in (True, None, -1, "NaN"):
        with pytest.raises((ValueError, ArithmeticError)):
            hours_of(bad)


def test_check_ins_and_organisations_count_by_state():
    assert change(
        ParticipationState(COMMUNITY, False), ParticipationState(COMMUNITY, True)
    ).areas == {c: Figures(checked_in=1) for c in (DISTRICT, STREET, COMMUNITY)}
    dissolved = change(OrganizationState(COMMUNITY, True), OrganizationState(COMMUNITY, False))
    assert dissolved.areas[DISTRICT] == Figures(organizations=-1)
    assert change(OrganizationState(COMMUNITY, False), OrganizationState(STREET, False)) == Moves()


def test_a_later_start_raises_the_latest_activity_and_a_lost_one_is_recounted() -> None:
    """最近活动时间 moves without reading every activity unless the latest may have left."""
    may = "2026-05-01T09:00:00+08:00"
    june = "2026-06-01T09:00:00+08:00"
    created = activity_after(None, "created", activity_data(startsAt=may))
    first = latest_activity(None, created)
    assert first.raised == {ORG: created.starts_at}
    assert first.recount == frozenset()
    later = activity_after(created, "updated", activity_data(startsAt=june))
    assert latest_activity(created, later).recount == frozenset()
    earlier = latest_activity(later, created)  # moved back to May: June may have been the latest
    assert earlier.recount == {ORG}
    cancelled = activity_after(created, "cancelled", activity_data(startsAt=may))
    gone = latest_activity(created, cancelled)
    assert gone.raised == {}
    assert gone.recount == {ORG}
    moved = activity_after(
        created, "updated", {**activity_data(startsAt=may), "organizerIds": [str(OTHER_ORG)]}
    )
    handed_over = latest_activity(created, moved)
    assert handed_over.raised == {OTHER_ORG: created.starts_at}
    assert handed_over.recount == {ORG}
