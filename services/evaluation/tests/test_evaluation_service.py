"""The evaluation subgraph on its own: figures kept current from the other services' events."""

import time

import pytest

from gongjian_deploy.pytest_plugin import District
from gongjian_deploy.stack import Stack

pytestmark = pytest.mark.integration

STATS = "query($c: String!) { areaStats(areaCode: $c) { organizationCount activityCount } }"


@pytest.fixture
def district(stack: Stack) -> District:
    return District(stack)


def figures(district: District, code: str, role: str = "DISTRICT_ADMIN") -> dict:
    client = district.client(role, district.code, url=district.stack.service_url("evaluation"))
    return client.data(STATS, {"c": code})["areaStats"]


def wait_for_figures(district: District, code: str, expected: dict) -> dict:
    deadline = time.monotonic() + 10
    while (got := figures(district, code)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return got


def test_figures_roll_up_from_community_to_district(district: District):
    c1, c2, c3 = district.communities[0], district.communities[1], district.communities[2]
    for community in (c1, c2, c3):
        district.organization(community, [district.unit(community)])
    org = district.organization(c1, [district.unit(c1)], kind="TRADE_UNION")
    district.activity([org], c1)
    district.activity([org], c1)
    assert wait_for_figures(
        district, district.code, {"organizationCount": 4, "activityCount": 2}
    ) == {"organizationCount": 4, "activityCount": 2}
    assert figures(district, c1) == {"organizationCount": 2, "activityCount": 2}
    assert figures(district, district.streets[0]) == {"organizationCount": 3, "activityCount": 2}
    assert figures(district, district.streets[1]) == {"organizationCount": 1, "activityCount": 0}


def test_a_dissolved_organisation_no_longer_counts(district: District):
    community = district.communities[3]
    org = district.organization(community, [district.unit(community)])
    assert (
        wait_for_figures(district, community, {"organizationCount": 1, "activityCount": 0})[
            "organizationCount"
        ]
        == 1
    )
    dissolve = (
        "mutation($i: DissolveOrganizationInput!) { dissolveOrganization(input: $i) "
        "{ errors { code } } }"
    )
    district.admin.data(dissolve, {"i": {"id": org, "dissolvedOn": "2026-06-01"}})
    assert (
        wait_for_figures(district, community, {"organizationCount": 0, "activityCount": 0})[
            "organizationCount"
        ]
        == 0
    )


def test_figures_of_another_area_are_forbidden(district: District):
    client = district.client(
        "COMMUNITY_ADMIN", district.communities[0], url=district.stack.service_url("evaluation")
    )
    body = client.execute(STATS, {"c": district.communities[1]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["extensions"]["messageEn"]
