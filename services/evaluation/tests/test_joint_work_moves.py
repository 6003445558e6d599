"""How the case desk and joint work move the figures: pure rules, no I/O."""

import uuid
from typing import Any

import pytest

from gongjian_evaluation.domain.figures import Figures, Moves, change, ratio
from gongjian_evaluation.domain.joint_work import (
    case_after,
    decision_after,
    pairing_after,
    pledge_after,
    venture_after,
    visit_after,
)

DISTRICT, STREET, COMMUNITY = "330106000000", "330106001000", "330106001001"
OTHER_STREET, OTHER_COMMUNITY = "330106002000", "330106002001"
ORG, OTHER_ORG = uuid.UUID(int=1), uuid.UUID(int=2)
EVERY_LEVEL = (DISTRICT, STREET, COMMUNITY)


def case(status: str = "OPEN", **given: Any) -> dict[str, Any]:
    return {
        "caseId": str(uuid.UUID(int=9)),
        "areaCode": COMMUNITY,
        "organizationId": str(ORG),
        "status": status,
        "escalated": False,
        "onTime": None,
        "satisfaction": None,
        **given,
    }


def everywhere(figures: Figures) -> dict[str, Figures]:
    return dict.fromkeys(EVERY_LEVEL, figures)


def test_every_event_applied_twice_moves_nothing_the_second_time():
    steps: list[tuple[Any, str, dict[str, Any]]] = [
        (case_after, "opened", case()),
        (case_after, "closed", case("CLOSED", onTime=True, satisfaction=4)),
        (case_after, "escalated", case("IN_PROGRESS", escalated=True)),
        (pairing_after, "started", {"areaCode": COMMUNITY}),
        (pairing_after, "ended", {"areaCode": COMMUNITY}),
        (visit_after, "logged", {"areaCode": COMMUNITY}),
        (pledge_after, "made", {"areaCode": COMMUNITY}),
        (pledge_after, "lapsed", {"areaCode": COMMUNITY}),
        (decision_after, "made", {"areaCode": COMMUNITY}),
        (decision_after, "overdue", {"areaCode": COMMUNITY}),
        (
            venture_after,
            "registered",
            {"areaCode": COMMUNITY, "startedOn": "2026-03-01", "peopleEmployed": 3, "peopleLed": 8},
        ),
    ]
    kept: dict[Any, Any] = {}  # each subject's state so far
    for after, verb, data in steps:
        once = after(kept.get(after), verb, data)
        assert change(kept.get(after), once) != Moves(), verb  # the first time moves figures
        twice = after(once, verb, data)
        assert twice == once, verb
        assert change(once, twice) == Moves(), verb
        kept[after] = once


def test_a_case_counts_in_its_area_every_ancestor_and_for_its_handler():
    moved = change(None, case_after(None, "opened", case()))
    assert moved.areas == everywhere(Figures(cases_opened=1))
    assert list(moved.areas) == sorted(moved.areas)  # ancestors first: the lock order
    assert moved.organizations == {ORG: Figures(cases_opened=1)}


def test_a_case_resolved_on_time_then_closed_with_a_score():
    accepted = case_after(None, "accepted", case("ACCEPTED"))
    resolved = case_after(accepted, "resolved", case("RESOLVED", onTime=True))
    assert change(accepted, resolved).areas[DISTRICT] == Figures(
        cases_resolved=1, cases_resolved_on_time=1
    )
    closed = case_after(resolved, "closed", case("CLOSED", onTime=True, satisfaction=4))
    assert change(resolved, closed).areas[STREET] == Figures(
        cases_closed=1, satisfaction_count=1, satisfaction_sum=4
    )
    late = case_after(None, "closed", case("CLOSED", onTime=False, satisfaction=None))
    assert change(None, late).areas[COMMUNITY] == Figures(
        cases_opened=1, cases_resolved=1, cases_closed=1
    )  # late, and the requester not reached: resolved and closed, no score


def test_a_reopened_case_takes_its_resolution_back():
    closed = case_after(None, "closed", case("CLOSED", onTime=True, satisfaction=2))
    reopened = case_after(closed, "reopened", case("IN_PROGRESS"))
    taken_back = Figures(
        cases_resolved=-1,
        cases_resolved_on_time=-1,
        cases_closed=-1,
        satisfaction_count=-1,
        satisfaction_sum=-2,
    )
    moved = change(closed, reopened)
    assert moved.areas == everywhere(taken_back)
    assert moved.organizations == {ORG: taken_back}
    resolved_again = case_after(reopened, "resolved", case("RESOLVED", onTime=False))
    assert change(reopened, resolved_again).areas[DISTRICT] == Figures(cases_resolved=1)


def test_an_escalated_case_counts_as_overdue_until_resolved():
    open_case = case_after(None, "opened", case())
    escalated = case_after(open_case, "escalated", case("ACCEPTED", escalated=True))
    assert change(open_case, escalated).areas[DISTRICT] == Figures(cases_overdue_escalated=1)
    resolved = case_after(escalated, "resolved", case("RESOLVED", escalated=True, onTime=False))
    assert change(escalated, resolved).areas[DISTRICT] == Figures(
        cases_resolved=1, cases_overdue_escalated=-1
    )
    reopened = case_after(resolved, "reopened", case("IN_PROGRESS", escalated=True))
    assert change(resolved, reopened).areas[DISTRICT] == Figures(
        cases_resolved=-1, cases_overdue_escalated=1
    )


def test_a_transferred_case_moves_to_its_new_handler_and_stays_in_its_area():
    accepted = case_after(None, "accepted", case("ACCEPTED"))
    transferred = case_after(
        accepted, "transferred", case("ACCEPTED", organizationId=str(OTHER_ORG))
    )
    moved = change(accepted, transferred)
    assert moved.areas == {}
    assert moved.organizations == {
        ORG: Figures(cases_opened=-1),
        OTHER_ORG: Figures(cases_opened=1),
    }


def test_a_bad_case_state_is_refused():
    for bad in (0, 6, True, "5"):
        with pytest.raises(ValueError, match="satisfaction"):
            case_after(None, "closed", case("CLOSED", satisfaction=bad))
    with pytest.raises(ValueError, match="status"):
        case_after(None, "opened", case("DONE"))


def test_a_pairing_counts_while_active_and_each_visit_once():
    started = pairing_after(None, "started", {"areaCode": COMMUNITY})
    assert change(None, started).areas == everywhere(Figures(pairings_active=1))
    ended = pairing_after(started, "ended", {"areaCode": COMMUNITY})
    assert change(started, ended).areas == everywhere(Figures(pairings_active=-1))
    assert change(None, pairing_after(None, "ended", {"areaCode": COMMUNITY})) == Moves()
    visit = visit_after(None, "logged", {"areaCode": OTHER_COMMUNITY})
    assert change(None, visit).areas == {
        DISTRICT: Figures(visits=1),
        OTHER_STREET: Figures(visits=1),
        OTHER_COMMUNITY: Figures(visits=1),
    }


def test_a_lapsed_pledge_counts_as_lapsed_until_it_is_fulfilled():
    made = pledge_after(None, "made", {"areaCode": COMMUNITY})
    assert change(None, made).areas[DISTRICT] == Figures(pledges_made=1)
    lapsed = pledge_after(made, "lapsed", {"areaCode": COMMUNITY})
    assert change(made, lapsed).areas[DISTRICT] == Figures(pledges_lapsed=1)
    fulfilled = pledge_after(lapsed, "fulfilled", {"areaCode": COMMUNITY})
    assert change(lapsed, fulfilled).areas[DISTRICT] == Figures(
        pledges_lapsed=-1, pledges_fulfilled=1
    )


def test_an_overdue_decision_counts_until_done_and_a_late_overdue_copy_changes_nothing():
    made = decision_after(None, "made", {"areaCode": COMMUNITY})
    assert change(None, made).areas[DISTRICT] == Figures(decisions_made=1)
    overdue = decision_after(made, "overdue", {"areaCode": COMMUNITY})
    assert overdue.status == "OPEN"
    assert change(made, overdue).areas[DISTRICT] == Figures(decisions_overdue=1)
    done = decision_after(overdue, "done", {"areaCode": COMMUNITY})
    assert change(overdue, done).areas[DISTRICT] == Figures(decisions_done=1, decisions_overdue=-1)
    assert decision_after(done, "overdue", {"areaCode": COMMUNITY}) == done
    dropped = decision_after(overdue, "dropped", {"areaCode": COMMUNITY})
    assert change(overdue, dropped).areas[DISTRICT] == Figures(decisions_overdue=-1)


def venture(as_of: str, employed: int, led: int, area: str = COMMUNITY) -> dict[str, Any]:
    return {
        "ventureId": str(uuid.UUID(int=5)),
        "areaCode": area,
        "startedOn": as_of,
        "asOf": as_of,
        "peopleEmployed": employed,
        "peopleLed": led,
    }


def test_a_venture_counts_the_people_of_its_latest_report():
    registered = venture_after(None, "registered", venture("2026-03-01", 3, 8))
    assert change(None, registered).areas[DISTRICT] == Figures(
        ventures=1, venture_jobs=3, venture_people_led=8
    )
    grown = venture_after(registered, "updated", venture("2026-06-30", 5, 20))
    assert change(registered, grown).areas[DISTRICT] == Figures(
        venture_jobs=2, venture_people_led=12
    )
    # A report about an earlier date, entered late, does not overwrite the latest one.
    assert venture_after(grown, "updated", venture("2026-04-30", 4, 10)) == grown
    moved = venture_after(grown, "updated", venture("2026-07-31", 5, 20, area=OTHER_COMMUNITY))
    counted = Figures(ventures=1, venture_jobs=5, venture_people_led=20)
    assert change(grown, moved).areas == {
        OTHER_STREET: counted,
        OTHER_COMMUNITY: counted,
        STREET: -counted,
        COMMUNITY: -counted,
    }
    with pytest.raises(ValueError, match="negative"):
        venture_after(None, "registered", venture("2026-03-01", -1, 0))


def test_rates_are_null_when_there_is_nothing_to_divide():
    assert ratio(0, 0) is None
    assert ratio(3, 4) == 0.75
