"""Every list field fans out through a DataLoader: through the gateway, a request's SQL statements
are bounded by the number of distinct list fields it asks for, not by the number of objects.

The worst nested query (organisations × members × their memberships × those organisations'
members, 100 at each level, × 30 aliases) is refused by the gateway's cost limit
(tests/test_gateway_limits.py). Its cheaper cousin below, which the limit accepts, asks for every
kind of list the organisations subgraph has, and the activities and evaluation subgraphs' fields
on each organisation. Each subgraph reports what every GraphQL request cost in statements
(``gongjian_graphql_request_sql_statements`` on /metrics, the sum of ``extensions.sqlStatements``);
the test reads it before and after each request.
"""

from __future__ import annotations

import re

import httpx
import pytest

from gongjian_deploy.pytest_plugin import District
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.system

SERVICES = ("organizations", "activities", "evaluation")
COUSIN = """query($n: Int!) { organizations(first: $n) { totalCount edges { node {
  name kindLabel area { name coverage { families { rate } } }
  parent { name } hostOrganization { name }
  units { name area { name } coverage { family covered } }
  leaders(currentOnly: false) { postLabel person { name memberships { role } } }
  groups { name memberCount }
  members(first: 5) { totalCount edges { node { role person { name ageBand
    politicalStatusHistory { status } employer { name }
    memberships { role organization { name members(first: 3) { totalCount
      edges { cursor } } } } } } } }
  activities(first: 3) { totalCount edges { node { title organizers { name } } } }
  activitySummary { activityCount } } } } }"""
REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { code } } }"""
MEMBER = """mutation($i: StartMembershipInput!) { startMembership(input: $i) {
  membership { id } errors { code } } }"""
APPOINT = """mutation($i: AppointLeaderInput!) { appointLeader(input: $i) {
  leader { id } errors { code } } }"""
GROUP = """mutation($i: CreateGroupInput!) { createGroup(input: $i) {
  group { id } errors { code } } }"""


def statements(stack, service: str) -> tuple[float, float]:
    """(statements, requests) the service's GraphQL requests have cost so far."""
    url = stack.service_url(service).removesuffix("/graphql") + "/metrics"
    text = httpx.get(url, timeout=10).text
    found = {
        key: float(value)
        for key, value in re.findall(
            r"^gongjian_graphql_request_sql_statements_(sum|count) (\S+)$", text, re.MULTILINE
        )
    }
    return found.get("sum", 0.0), found.get("count", 0.0)


def cost(district: District, query: str, variables: dict) -> dict[str, int]:
    """Run ``query`` through the gateway; the SQL statements each subgraph sent for it."""
    before = {s: statements(district.stack, s) for s in SERVICES}
    body = district.admin.execute(query, variables)
    assert not body.get("errors"), body
    after = {s: statements(district.stack, s) for s in SERVICES}
    return {s: int(after[s][0] - before[s][0]) for s in SERVICES}


@pytest.fixture(scope="module")
def town(stack) -> District:
    """Eight organisations in one community, each with a unit, a leader, a group, an activity
    and five members; each member belongs to two organisations."""
    district = District(stack)
    community = district.communities[0]
    orgs = [
        district.organization(community, [district.unit(community, name=f"批量单位{i}")])
        for i in range(8)
    ]
    people = []
    for i in range(20):
        first17 = f"330106198{i % 10}0{i % 9 + 1}01{i:03d}"[:17]
        number = first17 + id_check_char(first17)
        result = district.admin.data(
            REGISTER, {"i": {"name": f"批量{i}", "idNumber": number, "areaCode": community}}
        )["registerPerson"]
        assert result["errors"] == [], result
        people.append(result["person"]["id"])
    for i, org in enumerate(orgs):
        for k in range(5):
            person = people[(i * 5 + k) % len(people)]
            data = district.admin.data(MEMBER, {"i": {"personId": person, "organizationId": org}})
            assert data["startMembership"]["errors"] == [], data
        leader = {"organizationId": org, "personId": people[i], "post": "SECRETARY"}
        leader["termStart"] = "2025-01-01"
        assert district.admin.data(APPOINT, {"i": leader})["appointLeader"]["errors"] == []
        group = {"organizationId": org, "name": f"第{i}党小组"}
        assert district.admin.data(GROUP, {"i": group})["createGroup"]["errors"] == []
        district.activity([org], community)
    return district


# The fields of COUSIN that read from the organizations database, each at its own depth: each
# is one statement for all the objects at that depth (two fields of one loader at one depth may
# share one). Anything that cost a statement per object would exceed this at once.
READS = (
    "organizations (page)",
    "organizations.totalCount",
    "Organization.area",
    "Area.coverage",
    "Organization.parent",
    "Organization.hostOrganization",
    "Organization.units",
    "Unit.area",
    "Unit.coverage",
    "Organization.leaders",
    "Leader.person",
    "Leader.person.memberships",
    "Organization.groups",
    "Organization.members (pages)",
    "Organization.members.totalCount",
    "Membership.person",
    "Person.politicalStatusHistory",
    "Person.employer",
    "Person.memberships",
    "Membership.organization",
    "Organization.members (pages), nested",
    "Organization.members.totalCount, nested",
    "_entities(Organization) for Activity.organizers (the gateway's second call)",
)


def test_the_cheaper_cousin_of_the_worst_query_costs_a_bounded_number_of_statements(
    town: District,
):
    for _ in range(10):  # every pooled connection has met these statements' types once
        cost(town, COUSIN, {"n": 8})
    runs = {n: [cost(town, COUSIN, {"n": n}) for _ in range(3)] for n in (1, 2, 8)}
    for n, costs in runs.items():
        for spent in costs:
            # However many organisations (and members, memberships, units …): at most one
            # statement per reading field; with 8 organisations of 5 members each, a statement
            # per object would be hundreds.
            assert spent["organizations"] <= len(READS), (n, runs)
            # Activities: pages, counts, organisers' areas. Evaluation: the summaries (none
            # when its response cache answers the repeated request: gongjian_kit.response_cache).
            assert spent["activities"] == 3, (n, runs)
            assert spent["evaluation"] in (0, 1), (n, runs)


def test_the_worst_query_itself_is_refused_by_its_cost(town: District):
    worst = """{ organizations(first: 100) { edges { node { members(first: 100) { edges {
      node { person { memberships { organization { members(first: 100) { totalCount
      } } } } } } } } } } }"""
    body = town.admin.http.post(town.url, json={"query": worst}).json()
    assert body["errors"][0]["extensions"]["code"] == "COST_LIMIT"
