"""The rules of pairings (结对) and visits (走访), without a database."""

from __future__ import annotations

from datetime import date, timedelta

from gongjian_activities.domain.pairings import (
    KIND_LABELS,
    FoundProblem,
    PairingKind,
    PairingStatus,
    Party,
    PartyKind,
    days_since_visit,
    end_problems,
    party_problems,
    term_problems,
    visit_date_problems,
    visit_problems,
    without_visit,
)

TODAY = date(2026, 11, 27)
ORG_A = "0f8e4b1c-0000-4000-8000-000000000001"
ORG_B = "0f8e4b1c-0000-4000-8000-000000000002"
PERSON = "0f8e4b1c-0000-4000-8000-000000000003"
COMMUNITY = "330106001002"
STREET = "330106001000"


def fields(problems: list[tuple[str, str, str]]) -> list[str]:
    return [p[0] for p in problems]


def test_every_kind_has_a_chinese_label():
    assert set(KIND_LABELS) == set(PairingKind)
    assert KIND_LABELS[PairingKind.GUIDANCE_GROUP] == "街道指导组"


def test_two_organisations_make_an_org_org_pairing():
    parties = [Party(PartyKind.ORGANIZATION, ORG_A), Party(PartyKind.ORGANIZATION, ORG_B)]
    assert party_problems(PairingKind.ORG_ORG, parties) == []


def test_a_pairing_needs_two_parties_and_no_party_twice():
    one = [Party(PartyKind.ORGANIZATION, ORG_A)]
    assert "parties" in fields(party_problems(PairingKind.URBAN_RURAL, one))
    twice = [Party(PartyKind.ORGANIZATION, ORG_A), Party(PartyKind.ORGANIZATION, ORG_A)]
    assert "parties[1]" in fields(party_problems(PairingKind.URBAN_RURAL, twice))
    many = [Party(PartyKind.AREA, f"3301060010{i:02d}") for i in range(1, 22)]
    assert "parties" in fields(party_problems(PairingKind.URBAN_RURAL, many))


def test_an_org_org_pairing_with_one_organisation_is_refused():
    parties = [Party(PartyKind.ORGANIZATION, ORG_A), Party(PartyKind.UNIT, ORG_B)]
    assert fields(party_problems(PairingKind.ORG_ORG, parties)) == ["parties"]


def test_a_guidance_group_is_with_a_community():
    to_community = [Party(PartyKind.ORGANIZATION, ORG_A), Party(PartyKind.AREA, COMMUNITY)]
    assert party_problems(PairingKind.GUIDANCE_GROUP, to_community) == []
    to_street = [Party(PartyKind.ORGANIZATION, ORG_A), Party(PartyKind.AREA, STREET)]
    assert fields(party_problems(PairingKind.GUIDANCE_GROUP, to_street)) == ["parties"]
    assert fields(party_problems(PairingKind.RESPONSIBILITY_UNIT, to_street)) == ["parties"]


def test_pairing_assistance_names_a_cadre():
    parties = [Party(PartyKind.ORGANIZATION, ORG_A), Party(PartyKind.AREA, COMMUNITY)]
    assert fields(party_problems(PairingKind.CADRE_HOUSEHOLD, parties)) == ["parties"]
    with_cadre = [Party(PartyKind.PERSON, PERSON, "帮扶干部"), Party(PartyKind.AREA, COMMUNITY)]
    assert party_problems(PairingKind.CADRE_HOUSEHOLD, with_cadre) == []


def test_a_malformed_area_party_and_a_party_without_id_are_named():
    parties = [Party(PartyKind.AREA, "3301"), Party(PartyKind.UNIT, None)]
    assert fields(party_problems(PairingKind.URBAN_RURAL, parties)) == [
        "parties[0].areaCode",
        "parties[1].id",
    ]


def test_the_term_ends_after_it_starts_and_goals_are_bounded():
    assert term_problems("共建", TODAY, None, None, TODAY) == []
    found = term_problems(" ", TODAY, TODAY, "目" * 2001, TODAY)
    assert fields(found) == ["title", "endsOn", "goals"]
    assert fields(term_problems("共建", TODAY + timedelta(days=400), None, None, TODAY)) == [
        "startsOn"
    ]


def test_ending_is_not_in_the_future_nor_before_the_start():
    start = TODAY - timedelta(days=10)
    assert end_problems(start, TODAY, TODAY) == []
    assert fields(end_problems(start, TODAY + timedelta(days=1), TODAY)) == ["endedOn"]
    assert fields(end_problems(start, start - timedelta(days=1), TODAY)) == ["endedOn"]


def test_every_problem_of_a_visit_is_named_at_once():
    found = visit_problems(
        TODAY + timedelta(days=1),
        0,
        "记" * 5001,
        [FoundProblem(""), FoundProblem("漏水", "描" * 5001, True)],
        TODAY,
    )
    assert fields(found) == [
        "visitedOn",
        "visitorIds",
        "notes",
        "problems[0].title",
        "problems[1].description",
    ]
    assert visit_problems(TODAY, 1, None, [], TODAY) == []
    assert fields(visit_problems(TODAY, 21, None, [FoundProblem("x")] * 21, TODAY)) == [
        "visitorIds",
        "problems",
    ]


def test_a_visit_is_not_before_the_start_and_not_under_an_ended_pairing():
    start = TODAY - timedelta(days=5)
    assert visit_date_problems(TODAY, start, PairingStatus.ACTIVE) == []
    [(field, _, _, conflict)] = visit_date_problems(
        start - timedelta(days=1), start, PairingStatus.ACTIVE
    )
    assert (field, conflict) == ("visitedOn", False)
    [(field, _, _, conflict)] = visit_date_problems(TODAY, start, PairingStatus.ENDED)
    assert (field, conflict) == ("pairingId", True)


def test_days_since_visit_count_from_the_start_when_never_visited():
    start = TODAY - timedelta(days=60)
    assert days_since_visit(start, None, TODAY) == 60
    assert days_since_visit(start, TODAY - timedelta(days=3), TODAY) == 3
    assert days_since_visit(TODAY + timedelta(days=5), None, TODAY) == 0


def test_a_pairing_never_visited_is_listed_once_it_is_older_than_the_window():
    assert without_visit(TODAY - timedelta(days=60), None, TODAY, 30)
    assert not without_visit(TODAY - timedelta(days=29), None, TODAY, 30)


def test_a_visit_within_the_window_keeps_a_pairing_off_the_list():
    start = TODAY - timedelta(days=60)
    assert not without_visit(start, TODAY - timedelta(days=29), TODAY, 30)
    assert without_visit(start, TODAY - timedelta(days=30), TODAY, 30)
    assert without_visit(start, TODAY - timedelta(days=45), TODAY, 30)
