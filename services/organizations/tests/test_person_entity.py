"""``Person`` as a federation entity: the organizations subgraph's ``_entities``, as the gateway
calls it (with its secret), gives each role exactly what ``Query.person`` gives it: the whole
record, the name alone, or null; the same masks and the same audit of clear reads; and many
representations cost one SQL statement."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_deploy.stack import Stack
from gongjian_kit.field_rules import entity_key
from gongjian_kit.hardening import GATEWAY_HEADER
from gongjian_organizations.domain.people import id_check_char
from gongjian_organizations.graphql.access import FIELD_RULES

pytestmark = pytest.mark.integration

REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""
MEMBER = """mutation($i: StartMembershipInput!) { startMembership(input: $i) {
  membership { id } errors { field code } } }"""
FIELDS = """id name idNumber phone personalDataVisible gender genderLabel birthDate age ageBand
  areaCode politicalStatus politicalStatusLabel migrantWorker leagueOverage
  politicalStatusHistory { status since } employer { name } memberships { role }"""
BY_QUERY = f"query($id: ID!) {{ person(id: $id) {{ {FIELDS} }} }}"
BY_ENTITIES = f"""query($r: [_Any!]!) {{ _entities(representations: $r) {{ __typename
  ... on Person {{ {FIELDS} }} }} }}"""


def resident_id(born: str) -> str:
    first17 = f"330106{born}{random.randrange(1000):03d}"
    return first17 + id_check_char(first17)


@dataclass
class World:
    district: District
    url: str  # the organizations subgraph
    home: str  # her community
    sibling: str  # the other community of her street
    away: str  # a community of the other street, whose union she belongs to
    her: str
    her_id_number: str
    neighbour: str  # another person of her community
    league: str  # her league branch, at home
    union: str  # the union she belongs to, away
    other_org: str  # an organisation at home she has nothing to do with

    def client(
        self,
        role: str,
        area: str,
        orgs: list[str] | None = None,
        person: str | None = None,
        subject: str | None = None,
    ) -> GraphQLClient:
        """A client of the organizations subgraph, as the gateway calls it."""
        token = token_for(self.district.stack, role, area, orgs, subject, person=person)
        secret = self.district.stack.config.gateway_secret
        return GraphQLClient(self.url, token, headers={GATEWAY_HEADER: secret})


def register(district: District, area: str, name: str, born: str, **more: Any) -> tuple[str, str]:
    number = resident_id(born)
    values = {"name": name, "idNumber": number, "areaCode": area, **more}
    result = district.admin.data(REGISTER, {"i": values})["registerPerson"]
    assert result["errors"] == [], result
    return str(result["person"]["id"]), number


@pytest.fixture(scope="module")
def world(stack: Stack) -> World:
    url = stack.service_url("organizations")
    district = District(stack, url=url)
    home, sibling, away = district.communities[0], district.communities[1], district.communities[2]
    her, number = register(
        district,
        home,
        "钱小梅",
        "19990412",
        phone="13912345678",
        politicalStatus="LEAGUE_MEMBER",
    )
    neighbour, _ = register(district, home, "赵邻居", "19700101", phone="13700001111")
    league = district.organization(home, [district.unit(home)], kind="YOUTH_LEAGUE")
    union = district.organization(away, [district.unit(away)], kind="TRADE_UNION")
    other_org = district.organization(home, [district.unit(home)], kind="WOMENS_FEDERATION")
    for org in (league, union):
        joined = district.admin.data(MEMBER, {"i": {"personId": her, "organizationId": org}})
        assert joined["startMembership"]["errors"] == [], joined
    return World(
        district, url, home, sibling, away, her, number, neighbour, league, union, other_org
    )


def by_query(client: GraphQLClient, person_id: str) -> dict[str, Any]:
    return client.execute(BY_QUERY, {"id": person_id})


def by_entities(client: GraphQLClient, *person_ids: str) -> dict[str, Any]:
    reps = [{"__typename": "Person", "id": p} for p in person_ids]
    return client.execute(BY_ENTITIES, {"r": reps})


# Each role's sight of her, by the programme's rules (docs/domain.md, Roles): "all" (clear ID
# number and phone, birth date), "name" (her name and nothing else), None (not shown), or
# "FORBIDDEN" (the role reads no one).
ROLES: list[tuple[str, str, str, Any]] = [
    # label, role, area (home / sibling / away / street / district), what they see
    ("district admin", "DISTRICT_ADMIN", "district", "all"),
    ("her street's admin", "STREET_ADMIN", "street", "all"),
    ("her community's admin", "COMMUNITY_ADMIN", "home", "all"),
    ("the admin next door", "COMMUNITY_ADMIN", "sibling", None),
    ("the admin keeping her union", "COMMUNITY_ADMIN", "away", "name"),
    ("the other street's admin", "STREET_ADMIN", "away street", "name"),
    ("her league's org admin", "ORG_ADMIN", "home", "all"),
    ("another organisation's org admin", "ORG_ADMIN", "home", None),
    ("herself", "MEMBER", "home", "all"),
    ("her neighbour", "MEMBER", "home", None),
    ("an assessor of her area", "ASSESSOR", "home", None),
    ("a data subscriber", "DATA_SUBSCRIBER", "district", "FORBIDDEN"),
]


def test_the_entity_is_gated_as_query_person_is():
    assert FIELD_RULES[entity_key("Person")] == FIELD_RULES["Query.person"]


def client_for(world: World, label: str, role: str, where: str) -> GraphQLClient:
    area = {
        "district": world.district.code,
        "street": world.home[:9] + "000",
        "home": world.home,
        "sibling": world.sibling,
        "away": world.away,
        "away street": world.away[:9] + "000",
    }[where]
    orgs = None
    if role == "ORG_ADMIN":
        orgs = [world.league if label.startswith("her") else world.other_org]
    person = None
    if role == "MEMBER":
        person = world.her if label == "herself" else world.neighbour
    return world.client(role, area, orgs, person)


@pytest.mark.parametrize(("label", "role", "where", "sight"), ROLES, ids=[r[0] for r in ROLES])
def test_entities_and_query_person_answer_alike_for_every_role(
    world: World, label: str, role: str, where: str, sight: Any
):
    client = client_for(world, label, role, where)
    direct, entity = by_query(client, world.her), by_entities(client, world.her)
    if sight == "FORBIDDEN":
        for body in (direct, entity):
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
            assert "钱小梅" not in str(body)
        return
    assert not direct.get("errors"), direct
    assert not entity.get("errors"), entity
    person = direct["data"]["person"]
    [found] = entity["data"]["_entities"]
    if found is not None:
        assert found.pop("__typename") == "Person"
    assert found == person, label
    if sight is None:
        assert person is None
    elif sight == "name":
        assert person["name"] == "钱小梅"
        assert person["personalDataVisible"] is False
        shown = {k: v for k, v in person.items() if v is not None and k not in ("id", "name")}
        assert shown == {"personalDataVisible": False}, shown
    else:
        assert person["idNumber"] == world.her_id_number
        assert person["phone"] == "13912345678"
        assert person["birthDate"] == "1999-04-12"
        assert person["personalDataVisible"] is True
        assert {m["role"] for m in person["memberships"]} == {"成员"}


def test_an_admin_of_her_area_gets_her_and_an_admin_elsewhere_gets_null(world: World):
    mine = world.client("COMMUNITY_ADMIN", world.home)
    theirs = world.client("COMMUNITY_ADMIN", world.sibling)
    got = by_entities(mine, world.her, world.neighbour)
    assert not got.get("errors"), got
    assert [p["name"] for p in got["data"]["_entities"]] == ["钱小梅", "赵邻居"]
    refused = by_entities(theirs, world.her, world.neighbour)
    assert not refused.get("errors"), refused
    assert refused["data"]["_entities"] == [None, None]
    assert "钱小梅" not in str(refused)
    assert world.her_id_number not in str(refused)


def test_an_unknown_or_malformed_id_is_null_in_place(world: World):
    admin = world.client("DISTRICT_ADMIN", world.district.code)
    body = by_entities(admin, str(uuid.uuid4()), world.her, "not-a-uuid")
    assert not body.get("errors"), body
    first, second, third = body["data"]["_entities"]
    assert first is None
    assert third is None
    assert second["id"] == world.her


def test_without_the_gateways_secret_entities_are_refused(world: World):
    token = token_for(world.district.stack, "DISTRICT_ADMIN", world.district.code)
    body = by_entities(GraphQLClient(world.url, token), world.her)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "钱小梅" not in str(body)


def test_many_representations_cost_one_statement(world: World):
    admin = world.client("DISTRICT_ADMIN", world.district.code)
    ids = [world.her, world.neighbour, *(str(uuid.uuid4()) for _ in range(18))]
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Person { id name ageBand } } }"""
    for _ in range(3):  # every pooled connection has prepared the statement once
        body = admin.execute(query, {"r": [{"__typename": "Person", "id": p} for p in ids]})
        assert not body.get("errors"), body
        found = body["data"]["_entities"]
        assert [p and p["name"] for p in found[:2]] == ["钱小梅", "赵邻居"]
        assert found[2:] == [None] * 18
        assert body["extensions"]["sqlStatements"] == 1, body["extensions"]


async def audit_rows(stack: Stack, person_id: str, actor: str) -> list[str]:
    conn = await asyncpg.connect(stack.database("organizations"))
    try:
        rows = await conn.fetch(
            "SELECT field FROM personal_data_access "
            "WHERE person_id = $1::uuid AND actor = $2 ORDER BY id",
            person_id,
            actor,
        )
    finally:
        await conn.close()
    return [r["field"] for r in rows]


async def test_clear_reads_through_entities_are_audited_as_through_query_person(world: World):
    stack = world.district.stack
    reader = world.client("COMMUNITY_ADMIN", world.home, subject="entity-reader")
    body = by_entities(reader, world.her)
    assert body["data"]["_entities"][0]["idNumber"] == world.her_id_number
    assert sorted(await audit_rows(stack, world.her, "entity-reader")) == ["idNumber", "phone"]
    # Who sees her name only reads nothing in clear, and nothing is written down.
    keeper = world.client("COMMUNITY_ADMIN", world.away, subject="entity-keeper")
    assert by_entities(keeper, world.her)["data"]["_entities"][0]["idNumber"] is None
    assert await audit_rows(stack, world.her, "entity-keeper") == []


async def test_an_unreadable_ciphertext_is_masked_alike_by_both_paths(world: World):
    """A ciphertext copied from another person's row is never shown: stars for the ID number,
    the last four digits of the phone, whichever way the person is asked for."""
    district = world.district
    victim, _ = register(district, world.home, "孙复制", "19880808", phone="13655556666")
    conn = await asyncpg.connect(district.stack.database("organizations"))
    try:
        await conn.execute(
            "UPDATE person SET id_number_enc = o.id_number_enc, phone_enc = o.phone_enc "
            "FROM person o WHERE person.id = $1::uuid AND o.id = $2::uuid",
            victim,
            world.neighbour,
        )
    finally:
        await conn.close()
    admin = world.client("DISTRICT_ADMIN", world.district.code, subject="entity-masked")
    direct = by_query(admin, victim)["data"]["person"]
    [entity] = by_entities(admin, victim)["data"]["_entities"]
    entity.pop("__typename")
    assert entity == direct
    assert direct["idNumber"] == "*" * 18
    assert direct["phone"] == "*******6666"
    assert await audit_rows(district.stack, victim, "entity-masked") == []
