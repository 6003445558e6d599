from gongjian_organizations.domain.organizations import (
    Establishment,
    OrganizationFamily,
    OrganizationKind,
    establishment_problems,
)
from gongjian_organizations.domain.units import headcount_problems


def fields(problems):
    return [p[0] for p in problems]


def test_standalone_covers_exactly_one_unit():
    assert establishment_problems(Establishment.STANDALONE, 1, has_host=False) == []
    assert fields(establishment_problems(Establishment.STANDALONE, 2, has_host=False)) == [
        "unitIds"
    ]


def test_joint_needs_two_or_more_units():
    assert fields(establishment_problems(Establishment.JOINT, 1, has_host=False)) == ["unitIds"]
    assert establishment_problems(Establishment.JOINT, 3, has_host=False) == []


def test_affiliated_names_its_host_and_only_it_does():
    assert fields(establishment_problems(Establishment.AFFILIATED, 1, has_host=False)) == [
        "hostOrganizationId"
    ]
    assert establishment_problems(Establishment.AFFILIATED, 1, has_host=True) == []
    assert fields(establishment_problems(Establishment.STANDALONE, 1, has_host=True)) == [
        "hostOrganizationId"
    ]


def test_kinds_fall_into_four_families():
    assert OrganizationKind.PARTY_GENERAL_BRANCH.family is OrganizationFamily.PARTY
    assert OrganizationKind.TRADE_UNION.family is OrganizationFamily.TRADE_UNION
    assert {k.family for k in OrganizationKind} == set(OrganizationFamily)


def test_headcounts_cannot_be_negative_or_exceed_the_workforce():
    counts = {
        "employees": 10,
        "partyMembers": 3,
        "leagueMembers": 2,
        "unionMembers": 10,
        "women": 11,
        "youth": -1,
    }
    assert sorted(fields(headcount_problems(counts))) == ["women", "youth"]
