from datetime import date

from gongjian_organizations.domain.coverage import (
    AreaDelta,
    CoverageMode,
    CoverageRules,
    UnitCoverage,
    coverage_rate,
    strongest_mode,
)
from gongjian_organizations.domain.leaders import TermLengths
from gongjian_organizations.domain.organizations import OrganizationFamily as Family

UNIT = {"party_members": 3, "employees": 25, "league_members": 3, "women": 50, "closed_on": None}


def test_party_branch_required_from_3_full_members():
    rules = CoverageRules()
    assert rules.required(Family.PARTY, UNIT)
    assert not rules.required(Family.PARTY, {**UNIT, "party_members": 2})


def test_union_required_from_25_employees():
    rules = CoverageRules()
    assert rules.required(Family.TRADE_UNION, UNIT)
    assert not rules.required(Family.TRADE_UNION, {**UNIT, "employees": 24})


def test_league_from_3_members_and_women_by_setting():
    rules = CoverageRules(women_min=80)
    assert rules.required(Family.YOUTH_LEAGUE, UNIT)
    assert not rules.required(Family.WOMENS_FEDERATION, UNIT)
    assert CoverageRules().required(Family.WOMENS_FEDERATION, UNIT)


def test_a_closed_unit_requires_nothing():
    assert not CoverageRules().required(Family.PARTY, {**UNIT, "closed_on": date(2026, 1, 1)})


def test_the_strongest_form_of_coverage_counts():
    assert strongest_mode([CoverageMode.ATTACHED, CoverageMode.OWN]) is CoverageMode.OWN
    assert strongest_mode([CoverageMode.ATTACHED, CoverageMode.JOINT]) is CoverageMode.JOINT
    assert strongest_mode([]) is None


def test_area_figures_move_by_the_difference():
    gap = UnitCoverage(required=True, mode=None)
    covered = UnitCoverage(required=True, mode=CoverageMode.JOINT)
    delta = AreaDelta.of(covered, True).minus(AreaDelta.of(gap, True))
    assert delta == AreaDelta(units=0, required=0, covered_required=1, covered_not_required=0)
    closing = AreaDelta.of(covered, False).minus(AreaDelta.of(covered, True))
    assert closing == AreaDelta(-1, -1, -1, 0)
    assert AreaDelta.of(gap, True).minus(AreaDelta.of(gap, True)).is_zero


def test_no_rate_where_nothing_is_required():
    assert coverage_rate(0, 0) is None
    assert coverage_rate(3, 4) == 0.75


def test_default_terms_by_family_survive_29_february():
    terms = TermLengths()
    assert terms.term_end(Family.PARTY, date(2024, 2, 29)) == date(2027, 2, 28)
    assert terms.term_end(Family.TRADE_UNION, date(2024, 3, 1)) == date(2029, 3, 1)
    assert TermLengths(youth_league=5).years(Family.YOUTH_LEAGUE) == 5
