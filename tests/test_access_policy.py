"""The access policy through the gateway, field by field: every role, in and out of its scope,
0 leaks.

The probes are generated from the gateway's own schema: every root field (with every record of
the test's district as its argument where it takes one) with every field beneath it to a fixed
depth, so a field added to any subgraph is probed here too (the test fails if a field of the
public schema went unprobed). Each answer is checked two ways: every object in it must be one
the role may see (organisations, units, activities, areas, people, and of a person only the
classes of data the role may read), and the raw text must not contain a name, an ID number, a
phone or a birth date the role may not see, wherever it would turn up (error messages included).
What each role may see is written out below by hand from the programme's rules, not computed
from the policy code.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)

from gongjian_deploy.client import GraphQLClient
from gongjian_deploy.pytest_plugin import CREATE_ACTIVITY, District, token_for
from gongjian_evaluation.domain.schemes import DEFAULT_COLLECTIVE_ID
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.system

REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""
MEMBER = """mutation($i: StartMembershipInput!) { startMembership(input: $i) {
  membership { id } errors { field code } } }"""
APPOINT = """mutation($i: AppointLeaderInput!) { appointLeader(input: $i) {
  leader { id } errors { field code } } }"""

PERSONAL_FIELDS = (
    "gender",
    "genderLabel",
    "politicalStatus",
    "politicalStatusLabel",
    "areaCode",
    "migrantWorker",
    "ageBand",
    "leagueOverage",
    "politicalStatusHistory",
    "employer",
    "memberships",
)
SECRET_FIELDS = ("birthDate", "age")
DEPTH = 3  # objects beneath a root field (connections and edges do not count)


@dataclass
class Person:
    label: str
    name: str
    area: str
    id_number: str
    phone: str
    born: str
    id: str = ""


@dataclass
class World:
    district: District
    areas: dict[str, str]
    units: dict[str, str] = field(default_factory=dict)
    orgs: dict[str, str] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    activities: dict[str, str] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)
    unit_names: dict[str, str] = field(default_factory=dict)
    org_names: dict[str, str] = field(default_factory=dict)


def _id_number(born: str, serial: int) -> str:
    first17 = f"330106{born.replace('-', '')}{serial:03d}"
    return first17 + id_check_char(first17)


def _activity(district: District, org: str, area: str) -> str:
    deadline = time.monotonic() + 15
    while True:
        data = district.admin.data(CREATE_ACTIVITY, {"i": district.activity_input([org], area)})
        errors = data["createActivity"]["errors"]
        if not errors:
            return str(data["createActivity"]["activity"]["id"])
        if errors[0]["code"] != "NOT_FOUND" or time.monotonic() > deadline:
            raise AssertionError(errors)
        time.sleep(0.05)


@pytest.fixture(scope="module")
def world(stack) -> World:
    """A district with two streets: community A (with its sibling A2 in the same street) and B
    in the other street; organisations, units, people, memberships and activities in each."""
    district = District(stack)
    a, a2, b = district.communities[0], district.communities[1], district.communities[2]
    w = World(
        district,
        {"D": district.code, "S1": district.streets[0], "A": a, "A2": a2, "B": b},
    )
    for label, area in (("uA1", a), ("uA2", a), ("uB", b), ("uA2x", a2)):
        w.unit_names[label] = f"访问测试单位{label}{district.code[4:6]}"
        w.units[label] = district.unit(area, name=w.unit_names[label], partyMembers=5)
    for label, area, unit, kind in (
        ("oA1", a, "uA1", "PARTY_BRANCH"),
        ("oA2", a, "uA2", "TRADE_UNION"),
        ("oB", b, "uB", "PARTY_BRANCH"),
        ("oA2x", a2, "uA2x", "YOUTH_LEAGUE"),
    ):
        w.org_names[label] = f"访问测试组织{label}{district.code[4:6]}"
        w.orgs[label] = district.organization(
            area, [w.units[unit]], kind=kind, name=w.org_names[label]
        )
    people = [
        # label, name, lives in, member of, born, serial
        ("pA", "甲一访", a, "oA1", "1971-02-03", 111),
        ("pX", "乙二访", b, "oA1", "1983-04-05", 223),
        ("pA2", "丙三访", a, "oA2", "1992-06-07", 335),
        ("pSelf", "丁四访", a, "oA2", "2001-08-09", 447),
        ("pB", "戊五访", b, "oB", "1965-10-11", 559),
        ("pA2x", "己六访", a2, "oA2x", "2004-12-13", 661),
    ]
    for i, (label, name, area, org, born, serial) in enumerate(people):
        person = Person(label, name, area, _id_number(born, serial), f"1390000{i:04d}", born)
        employer = {"pA": "uA1", "pX": "uB"}.get(label)
        values: dict[str, Any] = {
            "name": name,
            "idNumber": person.id_number,
            "phone": person.phone,
            "areaCode": area,
        }
        if employer:
            values["employerUnitId"] = w.units[employer]
        result = district.admin.data(REGISTER, {"i": values})["registerPerson"]
        assert result["errors"] == [], result
        person.id = result["person"]["id"]
        w.people[label] = person
        joined = district.admin.data(
            MEMBER, {"i": {"personId": person.id, "organizationId": w.orgs[org]}}
        )["startMembership"]
        assert joined["errors"] == [], joined
    appointed = district.admin.data(
        APPOINT,
        {
            "i": {
                "organizationId": w.orgs["oA1"],
                "personId": w.people["pA"].id,
                "post": "SECRETARY",
                "termStart": "2025-01-01",
            }
        },
    )["appointLeader"]
    assert appointed["errors"] == [], appointed
    for label, org, area in (("actA1", "oA1", a), ("actA2", "oA2", a), ("actB", "oB", b)):
        w.activities[label] = _activity(district, w.orgs[org], area)
    # Cases: pA's about wages (oA1 handles it), a caller's in B (name and phone on the case
    # only), and pSelf's own online request to oA2.
    for label, org, area, requester, channel in (
        ("cA1", "oA1", a, {"personId": w.people["pA"].id}, "HOTLINE"),
        ("cB", "oB", b, {"name": CASE_CALLER, "phone": CASE_PHONE}, "HOTLINE"),
        ("cSelf", "oA2", a, {"personId": w.people["pSelf"].id}, "ONLINE"),
    ):
        w.cases[label] = _case(district, w.orgs[org], area, requester, channel)
    return w


CASE_CALLER, CASE_PHONE = "庚七访", "13700007777"
NO_SUCH_ID = "00000000-0000-0000-0000-000000000001"
OPEN_CASE = """mutation($i: OpenCaseInput!) { openCase(input: $i) { case { id }
  errors { field code message } } }"""


def _case(district: District, org: str, area: str, requester: dict[str, str], channel: str) -> str:
    values = {
        "channel": channel,
        "category": "UNPAID_WAGES",
        "urgency": "NORMAL",
        "areaCode": area,
        "organizationId": org,
        "title": "访问测试诉求",
        "requester": requester,
    }
    deadline = time.monotonic() + 15
    while True:
        data = district.admin.data(OPEN_CASE, {"i": values})["openCase"]
        if not data["errors"]:
            return str(data["case"]["id"])
        if data["errors"][0]["code"] != "NOT_FOUND" or time.monotonic() > deadline:
            raise AssertionError(data["errors"])
        time.sleep(0.05)


# What each role may see, by hand from the programme's rules --------------------------------


@dataclass(frozen=True)
class Role:
    label: str
    role: str
    area: str  # a key of World.areas
    orgs: tuple[str, ...] = ()
    person: str | None = None
    more_roles: tuple[str, ...] = ()
    records: frozenset[str] = frozenset()  # organisations, units, activities it may see
    full: frozenset[str] = frozenset()  # people it sees with everything (PERSONAL_SECRET)
    named: frozenset[str] = frozenset()  # people it sees by name and role only
    cases: frozenset[str] = frozenset()  # cases of the case desk it may see


IN_A = frozenset({"oA1", "oA2", "uA1", "uA2", "actA1", "actA2"})
ROLES = [
    Role(
        "district-admin",
        "DISTRICT_ADMIN",
        "D",
        records=IN_A | {"oB", "uB", "actB", "oA2x", "uA2x"},
        full=frozenset({"pA", "pX", "pA2", "pSelf", "pB", "pA2x"}),
        cases=frozenset({"cA1", "cB", "cSelf"}),
    ),
    Role(
        "street-admin",
        "STREET_ADMIN",
        "S1",
        records=IN_A | {"oA2x", "uA2x"},
        full=frozenset({"pA", "pA2", "pSelf", "pA2x"}),
        named=frozenset({"pX"}),  # lives in B, a member of oA1 in their street
        cases=frozenset({"cA1", "cSelf"}),
    ),
    Role(
        "community-admin-a",
        "COMMUNITY_ADMIN",
        "A",
        records=IN_A,
        full=frozenset({"pA", "pA2", "pSelf"}),
        named=frozenset({"pX"}),
        cases=frozenset({"cA1", "cSelf"}),
    ),
    Role(
        "community-admin-b",
        "COMMUNITY_ADMIN",
        "B",
        records=frozenset({"oB", "uB", "actB"}),
        full=frozenset({"pX", "pB"}),
        cases=frozenset({"cB"}),
    ),
    Role(
        "org-admin",
        "ORG_ADMIN",
        "A",
        orgs=("oA1",),
        records=frozenset({"oA1", "uA1", "actA1"}),
        full=frozenset({"pA", "pX"}),
        cases=frozenset({"cA1"}),
    ),
    Role(
        "org-admin-and-subscriber",
        "ORG_ADMIN",
        "A",
        orgs=("oA1",),
        more_roles=("DATA_SUBSCRIBER",),
        records=frozenset({"oA1", "uA1", "actA1"}),
        full=frozenset({"pA", "pX"}),
        cases=frozenset({"cA1"}),
    ),
    Role(
        "org-admin-and-member",
        "ORG_ADMIN",
        "A",
        orgs=("oA1",),
        person="pSelf",
        more_roles=("MEMBER",),
        records=IN_A,  # the MEMBER role reads the area's records
        full=frozenset({"pA", "pX", "pSelf"}),
        cases=frozenset({"cA1", "cSelf"}),  # oA1's, and their own request
    ),
    Role("org-admin-of-another-area", "ORG_ADMIN", "A", orgs=("oB",)),
    Role("assessor", "ASSESSOR", "A", records=IN_A),
    Role(
        "member",
        "MEMBER",
        "A",
        person="pSelf",
        records=IN_A,
        full=frozenset({"pSelf"}),
        cases=frozenset({"cSelf"}),  # their own request, nobody else's
    ),
    Role("member-without-person", "MEMBER", "A", records=IN_A),
    Role("data-subscriber", "DATA_SUBSCRIBER", "A"),
]


def client_of(world: World, role: Role) -> GraphQLClient:
    token = token_for(
        world.district.stack,
        role.role,
        world.areas[role.area],
        [world.orgs[o] for o in role.orgs],
        subject=f"matrix-{role.label}",
        person=world.people[role.person].id if role.person else None,
        more_roles=role.more_roles,
    )
    return GraphQLClient(world.district.url, token)


# Probes generated from the gateway's schema ------------------------------------------------


@dataclass
class Probe:
    query: str
    variables: dict[str, Any]
    fields: set[str]  # Type.field selected
    target: str | None = None  # the record a lookup asks for (a label), if any


def _argument(type_name: str, field_name: str, arg_name: str) -> str | None:
    """The literal for a nested field's argument, or None to leave it out."""
    if arg_name == "first":
        return "3"
    if arg_name == "currentOnly":
        return "false"
    return None


def _selection(schema: GraphQLSchema, type_: GraphQLObjectType, depth: int, seen: set[str]) -> str:
    parts = ["__typename"]
    for name, definition in type_.fields.items():
        if name.startswith("_"):
            continue
        args = []
        for arg_name, arg in definition.args.items():
            literal = _argument(type_.name, name, arg_name)
            if literal is None and is_non_null_type(arg.type) and arg.default_value is None:
                break
            if literal is not None:
                args.append(f"{arg_name}: {literal}")
        else:
            named = get_named_type(definition.type)
            call = f"{name}({', '.join(args)})" if args else name
            if is_leaf_type(named):
                parts.append(call)
                seen.add(f"{type_.name}.{name}")
                continue
            assert isinstance(named, GraphQLObjectType)
            wrapper = named.name.endswith(("Connection", "Edge"))
            if depth > 0 or wrapper or named.name == "PageInfo":
                inner = _selection(schema, named, depth if wrapper else depth - 1, seen)
                parts.append(f"{call} {{ {inner} }}")
                seen.add(f"{type_.name}.{name}")
    return " ".join(parts)


def probes(schema: GraphQLSchema, world: World) -> Iterator[list[Probe]]:
    """For every root field and every argument it is probed with: the probe at each depth, the
    deepest first (the test takes the deepest one the gateway's cost limit accepts)."""
    query = schema.query_type
    assert query is not None
    people = world.people.values()
    targets: dict[str, list[tuple[str | None, dict[str, Any]]]] = {
        "organization": [(k, {"id": v}) for k, v in world.orgs.items()],
        "unit": [(k, {"id": v}) for k, v in world.units.items()],
        "activity": [(k, {"id": v}) for k, v in world.activities.items()],
        "case": [(k, {"id": v}) for k, v in world.cases.items()],
        "person": [(p.label, {"id": p.id}) for p in people],
        "personByIdNumber": [(p.label, {"idNumber": p.id_number}) for p in people],
        "area": [(k, {"code": v}) for k, v in world.areas.items()],
        "areas": [(None, {}), *((None, {"parentCode": v}) for v in world.areas.values())],
        "searchAreas": [(None, {"text": "测试"})],
        "coverage": [(None, {"areaCode": v}) for v in world.areas.values()],
        "areaStats": [(None, {"areaCode": v}) for v in world.areas.values()],
        "coverageGaps": [(None, {"areaCode": world.areas["D"], "family": "PARTY"})],
        "people": [(None, {}), *((None, {"areaCode": v}) for v in world.areas.values())],
        "units": [(None, {}), (None, {"areaCode": world.areas["D"]})],
        "organizations": [(None, {}), (None, {"areaCode": world.areas["D"]})],
        "activities": [(None, {}), (None, {"areaCode": world.areas["D"]})],
        "cases": [(None, {}), (None, {"areaCode": world.areas["D"]})],
        "organizationsDueForReelection": [(None, {"withinDays": 3660})],
        "pairingsWithoutVisit": [(None, {"days": 30})],
        "jointMeeting": [(None, {"activityId": v}) for v in world.activities.values()],
        **{
            name: [(None, {"id": NO_SUCH_ID})]
            for name in (
                "pairing",
                "visit",
                "venture",
                "cycle",
                "assessment",
                "award",
                "bulletin",
                "recommendation",
            )
        },
        "scheme": [(None, {"id": str(DEFAULT_COLLECTIVE_ID)})],
        "cycleResultsExport": [(None, {"cycleId": NO_SUCH_ID})],
        "assessmentExplanationPage": [(None, {"assessmentId": NO_SUCH_ID})],
    }
    for name, definition in query.fields.items():
        if name.startswith("_"):
            continue
        named = get_named_type(definition.type)
        for target, values in targets.get(name, [(None, {})]):
            declared = ", ".join(f"${k}: {definition.args[k].type}" for k in values)
            passed = ", ".join(f"{k}: ${k}" for k in values)
            if "first" in definition.args:
                passed = ", ".join(filter(None, [passed, "first: 5"]))
            call = f"{name}({passed})" if passed else name
            tries = []
            for depth in range(DEPTH, -1, -1):
                seen: set[str] = {f"Query.{name}"}
                body = (
                    call
                    if is_leaf_type(named)
                    else f"{call} {{ {_selection(schema, named, depth, seen)} }}"  # type: ignore[arg-type]
                )
                text = f"query({declared}) {{ {body} }}" if declared else f"{{ {body} }}"
                tries.append(Probe(text, values, seen, target))
            yield tries


def _readable_types(schema: GraphQLSchema) -> list[GraphQLObjectType]:
    """The object types a query can reach (a mutation's payloads are the writes' business)."""
    assert schema.query_type is not None
    found: dict[str, GraphQLObjectType] = {}
    todo = [schema.query_type]
    while todo:
        type_ = todo.pop()
        if type_.name in found:
            continue
        found[type_.name] = type_
        for name, definition in type_.fields.items():
            named = get_named_type(definition.type)
            if not name.startswith("_") and isinstance(named, GraphQLObjectType):
                todo.append(named)
    return list(found.values())


@pytest.fixture(scope="module")
def schema(world: World) -> GraphQLSchema:
    found = world.district.admin.data(get_introspection_query())
    return build_client_schema(found)  # type: ignore[arg-type]


# Checks ------------------------------------------------------------------------------------


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "__typename" in value:
            yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _person_leaks(world: World, role: Role, obj: dict[str, Any]) -> list[str]:
    """What of a person object the role may not see."""
    person = next((p for p in world.people.values() if p.id == obj.get("id")), None)
    if person is None:
        return []  # someone of another test's district: the area checks cover them
    if person.label not in role.full | role.named:
        return [f"Person {person.label}"]
    if person.label in role.full:
        return []
    shown = [f for f in (*PERSONAL_FIELDS, *SECRET_FIELDS) if obj.get(f) is not None]
    shown += [f for f in ("idNumber", "phone") if obj.get(f) is not None]
    return [f"Person {person.label}.{f}" for f in shown]


def _text_leaks(world: World, role: Role, text: str) -> list[str]:
    """Names, ID numbers, phones and birth dates the role may not see, anywhere in the text."""
    found = []
    for person in world.people.values():
        if person.label not in role.full | role.named and person.name in text:
            found.append(f"name of {person.label}")
        if person.label not in role.full:
            found += [
                f"secret of {person.label}: {secret}"
                for secret in (person.id_number, person.phone, person.born)
                if secret in text
            ]
    for label, name in (*world.org_names.items(), *world.unit_names.items()):
        if label not in role.records and name in text:
            found.append(f"name of {label}")
    if "cB" not in role.cases:  # the caller's name and phone are on the case alone
        found += [f"requester of cB: {s}" for s in (CASE_CALLER, CASE_PHONE) if s in text]
    return found


def _leaks(world: World, role: Role, body: dict[str, Any]) -> list[str]:
    """Everything in ``body`` the role may not see."""
    found: list[str] = []
    label_of = {
        **{v: k for k, v in world.orgs.items()},
        **{v: k for k, v in world.units.items()},
        **{v: k for k, v in world.activities.items()},
        **{v: k for k, v in world.cases.items()},
    }
    scope = world.areas[role.area]
    prefix = {"D": scope[:6], "S1": scope[:9]}.get(role.area, scope)
    for obj in _objects(body.get("data")):
        kind, oid = obj["__typename"], obj.get("id")
        if kind in {"Organization", "Unit", "Activity"} and oid is not None:
            label = label_of.get(oid, oid)
            if label not in role.records:
                found.append(f"{kind} {label}")
        elif kind == "Case" and label_of.get(oid, oid) not in role.cases:
            found.append(f"Case {label_of.get(oid, oid)}")
        elif kind == "Area" and not str(obj.get("code", prefix)).startswith(prefix):
            found.append(f"Area {obj.get('code')}")
        elif kind == "Person":
            found += _person_leaks(world, role, obj)
    return found + _text_leaks(world, role, json.dumps(body, ensure_ascii=False))


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.label)
def test_every_field_every_role_in_and_out_of_scope_leaks_nothing(
    world: World, schema: GraphQLSchema, role: Role
):
    client = client_of(world, role)
    leaks: dict[str, list[str]] = {}
    probed: set[str] = set()
    refused: list[str] = []
    answered_lookups: dict[str, set[str]] = {}
    for tries in probes(schema, world):
        for probe in tries:  # the deepest the gateway's cost and length limits accept
            body = client.execute(probe.query, probe.variables)
            codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
            too_long = any(
                (e.get("extensions") or {}).get("limit", {}).get("name") == "maxQueryLength"
                for e in body.get("errors") or []
            )
            if "COST_LIMIT" not in codes and not too_long:
                break
        assert not codes & {"INTERNAL", "INTERNAL_SERVER_ERROR", "COST_LIMIT"}, (probe, body)
        if "BAD_USER_INPUT" in codes:
            refused.append(probe.query)
            continue
        probed |= probe.fields
        if found := _leaks(world, role, body):
            leaks[probe.query[:120] + json.dumps(probe.variables)] = found
        data = body.get("data") or {}
        root = next(iter(data.values()), None) if data else None
        if probe.target is not None and isinstance(root, dict):
            answered_lookups.setdefault(next(iter(data)), set()).add(probe.target)
    assert leaks == {}
    assert refused == [], "probes the gateway refused: lower DEPTH"
    # Not too little either: every record the role may see can be looked up.
    people = {p.label for p in world.people.values()}
    assert answered_lookups.get("person", set()) == (role.full | role.named) & people
    assert answered_lookups.get("organization", set()) == {
        r for r in role.records if r.startswith("o")
    }
    assert answered_lookups.get("unit", set()) == {r for r in role.records if r.startswith("u")}
    assert answered_lookups.get("activity", set()) == {
        r for r in role.records if r.startswith("act")
    }
    assert answered_lookups.get("case", set()) == role.cases
    # And every field of the public schema was asked for (by the district admin at least).
    if role.label == "district-admin":
        public = {
            f"{type_.name}.{f}"
            for type_ in _readable_types(schema)
            for f in type_.fields
            if not f.startswith("_")
        }
        assert sorted(public - probed) == []


def test_what_the_people_lists_hold_for_each_role(world: World):
    """The same as above, said plainly for the lists a frontend shows first."""
    query = """query($a: String) { people(areaCode: $a, first: 50) { totalCount
      edges { node { name idNumber birthDate ageBand } } } }"""
    expected = {
        "community-admin-a": {"甲一访", "丙三访", "丁四访"},
        "org-admin": {"甲一访"},  # of its members only pA lives in A (pX lives in B)
        "member": {"丁四访"},
        "assessor": set(),
    }
    for label, names in expected.items():
        role = next(r for r in ROLES if r.label == label)
        listed = client_of(world, role).data(query, {"a": world.areas["A"]})["people"]
        assert {e["node"]["name"] for e in listed["edges"]} == names, label
        assert listed["totalCount"] == len(names), label
    subscriber = next(r for r in ROLES if r.label == "data-subscriber")
    refused = client_of(world, subscriber).execute(query, {"a": world.areas["A"]})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_members_and_leaders_show_only_whom_the_role_may_see(world: World):
    query = """query($id: ID!) { organization(id: $id) {
      members(first: 50) { totalCount edges { node { role person { name } } } }
      leaders(currentOnly: false) { postLabel person { name } } } }"""
    oa1, oa2 = world.orgs["oA1"], world.orgs["oA2"]
    member = client_of(world, next(r for r in ROLES if r.label == "member"))
    mine = member.data(query, {"id": oa2})["organization"]
    assert [e["node"]["person"]["name"] for e in mine["members"]["edges"]] == ["丁四访"]
    assert mine["members"]["totalCount"] == 1
    theirs = member.data(query, {"id": oa1})["organization"]
    assert theirs["members"]["totalCount"] == 0
    # The post is the organisation's record; who holds it is not the member's to see.
    assert theirs["leaders"] == [{"postLabel": "书记", "person": None}]
    keeper = client_of(world, next(r for r in ROLES if r.label == "org-admin"))
    kept = keeper.data(query, {"id": oa1})["organization"]
    assert {e["node"]["person"]["name"] for e in kept["members"]["edges"]} == {"甲一访", "乙二访"}
    assert kept["leaders"] == [{"postLabel": "书记", "person": {"name": "甲一访"}}]
    assert keeper.data(query, {"id": oa2})["organization"] is None


def test_subgraph_entities_follow_the_same_policy(world: World):
    """``_entities``, as the gateway calls it (with its secret), for an ORG_ADMIN."""
    stack = world.district.stack
    for service, query in (
        ("organizations", "... on Organization { id name }"),
        ("activities", "... on Organization { id activities { totalCount } }"),
        ("evaluation", "... on Organization { id activitySummary { activityCount } }"),
    ):
        client = world.district.client(
            "ORG_ADMIN", world.areas["A"], [world.orgs["oA1"]], url=stack.service_url(service)
        )
        reps = [{"__typename": "Organization", "id": world.orgs[o]} for o in ("oA1", "oA2")]
        body = client.execute(
            f"query($r: [_Any!]!) {{ _entities(representations: $r) {{ {query} }} }}",
            {"r": reps},
        )
        assert not body.get("errors"), (service, body)
        mine, other = body["data"]["_entities"]
        assert mine is not None, service
        if service == "organizations":
            assert other is None
        elif service == "activities":
            assert mine["activities"]["totalCount"] == 1
            assert other["activities"]["totalCount"] == 0
        else:
            assert other["activitySummary"] is None
        subscriber = world.district.client(
            "DATA_SUBSCRIBER", world.areas["A"], url=stack.service_url(service)
        )
        refused = subscriber.execute(
            f"query($r: [_Any!]!) {{ _entities(representations: $r) {{ {query} }} }}",
            {"r": reps},
        )
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", service


# Writes ------------------------------------------------------------------------------------

WRITES: list[tuple[str, str, str]] = [
    # mutation, its input (with {placeholders}), what it needs (policy resource)
    ("createArea", '{code: "{new_community}", name: "新社区"}', "AREAS"),
    ("renameArea", '{code: "{A}", name: "测试社区0"}', "AREAS"),
    ("registerUnit", '{name: "越权单位", kind: VILLAGE, areaCode: "{A}"}', "RECORDS"),
    ("updateUnit", '{id: "{uA1}", employees: 1}', "RECORDS"),
    ("closeUnit", '{id: "{uA2}", closedOn: "2026-01-01", reason: "x"}', "RECORDS"),
    (
        "establishOrganization",
        '{name: "越权组织", kind: TRADE_UNION, establishment: STANDALONE, areaCode: "{A}", '
        'unitIds: ["{uA1}"]}',
        "RECORDS",
    ),
    ("dissolveOrganization", '{id: "{oA2}", dissolvedOn: "2026-01-01"}', "RECORDS"),
    ("renameOrganization", '{id: "{oA1}", name: "改名"}', "RECORDS"),
    ("reestablishOrganization", '{id: "{oA1}", foundedOn: "2026-01-01"}', "RECORDS"),
    ("registerPerson", '{name: "越权", idNumber: "{new_id}", areaCode: "{A}"}', "PERSONAL"),
    (
        "changePoliticalStatus",
        '{personId: "{pA2}", status: PARTY_MEMBER, since: "2026-01-01"}',
        "PERSONAL",
    ),
    ("startMembership", '{personId: "{pA2}", organizationId: "{oA2}"}', "UPKEEP"),
    (
        "endMembership",
        '{id: "00000000-0000-0000-0000-000000000001", until: "2026-01-01"}',
        "UPKEEP",
    ),
    (
        "appointLeader",
        '{organizationId: "{oA2}", personId: "{pA2}", post: CHAIR, termStart: "2026-01-01"}',
        "UPKEEP",
    ),
    (
        "endLeaderTerm",
        '{id: "00000000-0000-0000-0000-000000000001", endedOn: "2026-01-01"}',
        "UPKEEP",
    ),
    ("createGroup", '{organizationId: "{oA2}", name: "越权小组"}', "UPKEEP"),
    (
        "dissolveGroup",
        '{id: "00000000-0000-0000-0000-000000000001", dissolvedOn: "2026-01-01"}',
        "UPKEEP",
    ),
    (
        "addGroupMember",
        '{groupId: "00000000-0000-0000-0000-000000000001", personId: "{pA2}"}',
        "UPKEEP",
    ),
    (
        "createActivity",
        '{title: "越权活动", line: PAIRING, category: VISIT, organizerIds: ["{oA2}"], '
        'areaCode: "{A}", startsAt: "2026-05-01T09:00:00+08:00"}',
        "UPKEEP",
    ),
    (
        "updateActivity",
        '{id: "{actA2}", title: "越权", line: PAIRING, category: VISIT, '
        'startsAt: "2026-05-01T09:00:00+08:00"}',
        "UPKEEP",
    ),
    ("publishActivity", '{id: "{actA2}"}', "UPKEEP"),
    ("startActivity", '{id: "{actA2}"}', "UPKEEP"),
    ("completeActivity", '{id: "{actA2}", peopleServed: 1}', "UPKEEP"),
    ("cancelActivity", '{id: "{actA2}", reason: "越权"}', "UPKEEP"),
    (
        "verifyHours",
        '{participationId: "00000000-0000-0000-0000-000000000001", hours: 1}',
        "UPKEEP",
    ),
    (
        "rejectHours",
        '{participationId: "00000000-0000-0000-0000-000000000001", reason: "越权"}',
        "UPKEEP",
    ),
    (
        "issueVolunteerCertificate",
        '{personId: "{pA2}", issuerOrganizationId: "{oA2}", from: "2026-01-01", to: "2026-02-01"}',
        "UPKEEP",
    ),
    ("addHours", '{personId: "{pA2}", hours: 1, reason: "越权"}', "RECORDS"),
    # A member for themself, or whoever keeps an organiser: pA2 in actA2 is neither for anyone
    # out of scope.
    ("signUp", '{activityId: "{actA2}", personId: "{pA2}"}', "PEOPLE"),
    ("withdraw", '{activityId: "{actA2}", personId: "{pA2}"}', "PEOPLE"),
    ("checkIn", '{activityId: "{actA2}", personId: "{pA2}", code: "000000"}', "PEOPLE"),
    ("checkOut", '{activityId: "{actA2}", personId: "{pA2}"}', "PEOPLE"),
    # Cases: oA2 handles cSelf (pSelf's own request), which a member may follow, not handle.
    (
        "openCase",
        '{channel: HOTLINE, category: "UNPAID_WAGES", urgency: NORMAL, areaCode: "{A}", '
        'organizationId: "{oA2}", title: "越权", requester: {personId: "{pA2}"}}',
        "CASES",
    ),
    ("acceptCase", '{id: "{cSelf}"}', "CASES"),
    ("startCase", '{id: "{cSelf}"}', "CASES"),
    ("transferCase", '{id: "{cSelf}", toOrganizationId: "{oA1}", reason: "越权"}', "CASES"),
    ("resolveCase", '{id: "{cSelf}", resolution: "越权"}', "CASES"),
    ("closeCase", '{id: "{cSelf}", satisfaction: 5}', "CASES"),
    ("reopenCase", '{id: "{cSelf}", reason: "越权"}', "CASES"),
    # Pairings, pledges, joint meetings (records of A, oA2's), ventures (area admins only).
    (
        "startPairing",
        '{kind: ORG_ORG, title: "越权", areaCode: "{A}", startsOn: "2026-01-01", parties: '
        '[{kind: ORGANIZATION, id: "{oA2}"}, {kind: ORGANIZATION, id: "{oA2x}"}]}',
        "UPKEEP",
    ),
    ("endPairing", '{id: "00000000-0000-0000-0000-000000000001", reason: "越权"}', "UPKEEP"),
    (
        "logVisit",
        '{pairingId: "00000000-0000-0000-0000-000000000001", visitedOn: "2026-01-01", '
        'visitorIds: ["{pA2}"]}',
        "UPKEEP",
    ),
    (
        "makePledge",
        '{areaCode: "{A}", content: "越权", dueOn: "2099-01-01", organizationId: "{oA2}"}',
        "UPKEEP",
    ),
    ("fulfillPledge", '{id: "00000000-0000-0000-0000-000000000001", evidence: "越权"}', "UPKEEP"),
    (
        "recordJointMeeting",
        '{activityId: "{actA2}", attendees: [{organizationId: "{oA2}", attendeeCount: 1}]}',
        "UPKEEP",
    ),
    ("completeDecision", '{id: "00000000-0000-0000-0000-000000000001", outcome: "越权"}', "UPKEEP"),
    ("dropDecision", '{id: "00000000-0000-0000-0000-000000000001", reason: "越权"}', "UPKEEP"),
    (
        "registerVenture",
        '{leaderPersonId: "{pA2}", kind: WOMEN, name: "越权", areaCode: "{A}", '
        'startedOn: "2026-01-01", peopleEmployed: 1, peopleLed: 1}',
        "RECORDS",
    ),
    (
        "updateVenture",
        '{id: "00000000-0000-0000-0000-000000000001", peopleEmployed: 1, peopleLed: 1}',
        "RECORDS",
    ),
    # Evaluation: schemes are the district's; cycles and awards are run by the area's admins;
    # the workflow's steps need the assessment in the caller's reach (none here: NOT_FOUND).
    (
        "copyScheme",
        '{schemeId: "{default_scheme}", name: "越权方案", areaCode: "{A}"}',
        "RECORDS",
    ),
    ("updateScheme", '{id: "{none}", dimensions: []}', "RECORDS"),
    (
        "openCycle",
        '{name: "越权", areaCode: "{A}", schemeId: "{default_scheme}", from: "2026-01-01", '
        'to: "2026-12-31"}',
        "ASSESSMENTS",
    ),
    ("closeCycle", '{id: "{none}"}', "ASSESSMENTS"),
    ("publishCycle", '{id: "{none}"}', "ASSESSMENTS"),
    ("assignAssessor", '{cycleId: "{none}", assessor: "x"}', "ASSESSMENTS"),
    ("submitSelfAssessment", '{assessmentId: "{none}"}', "ASSESSMENTS"),
    ("reviewAssessment", '{assessmentId: "{none}"}', "ASSESSMENTS"),
    ("returnAssessment", '{assessmentId: "{none}", reason: "越权"}', "ASSESSMENTS"),
    ("rateOrganization", '{assessmentId: "{none}", ratings: []}', "ASSESSMENTS"),
    ("proposeAward", '{assessmentId: "{none}", title: ADVANCED_COLLECTIVE}', "ASSESSMENTS"),
    ("raiseObjection", '{awardId: "{none}", content: "越权"}', "PEOPLE"),
    ("answerObjection", '{objectionId: "{none}", answer: "越权"}', "ASSESSMENTS"),
    ("conferAward", '{awardId: "{none}"}', "ASSESSMENTS"),
    ("withdrawAward", '{awardId: "{none}", reason: "越权"}', "ASSESSMENTS"),
    (
        "setTarget",
        '{organizationId: "{oA2}", metric: "activities_completed", target: 12, '
        'deadline: "2099-12-31"}',
        "UPKEEP",
    ),
    ("generateBulletin", '{areaCode: "{A}", from: "2026-01-01", to: "2026-06-30"}', "RECORDS"),
    (
        "recommendForParty",
        '{personId: "{pA2}", byOrganizationId: "{oA2}", on: "2026-01-05", reason: "越权"}',
        "UPKEEP",
    ),
    ("advanceRecommendation", '{id: "{none}", stage: ACTIVIST, on: "2026-01-05"}', "UPKEEP"),
    ("stopRecommendation", '{id: "{none}", reason: "越权"}', "UPKEEP"),
    # The catalogue is the district's: area writers of a smaller area are refused inside.
    ("defineCaseCategory", '{code: "OVERREACH", label: "越权", labelEn: "x"}', "RECORDS"),
]
WRITERS = {
    "PEOPLE": {
        "DISTRICT_ADMIN",
        "STREET_ADMIN",
        "COMMUNITY_ADMIN",
        "ORG_ADMIN",
        "ASSESSOR",
        "MEMBER",
    },
    "AREAS": {"DISTRICT_ADMIN", "STREET_ADMIN", "COMMUNITY_ADMIN"},
    "RECORDS": {"DISTRICT_ADMIN", "STREET_ADMIN", "COMMUNITY_ADMIN"},
    "PERSONAL": {"DISTRICT_ADMIN", "STREET_ADMIN", "COMMUNITY_ADMIN"},
    "UPKEEP": {"DISTRICT_ADMIN", "STREET_ADMIN", "COMMUNITY_ADMIN", "ORG_ADMIN"},
    "CASES": {"DISTRICT_ADMIN", "STREET_ADMIN", "COMMUNITY_ADMIN", "ORG_ADMIN", "MEMBER"},
    "ASSESSMENTS": {
        "DISTRICT_ADMIN",
        "STREET_ADMIN",
        "COMMUNITY_ADMIN",
        "ORG_ADMIN",
        "ASSESSOR",
        "MEMBER",
    },
}


def test_every_write_is_refused_to_roles_without_the_right_and_outside_the_scope(world: World):
    """Each mutation, on records of community A (organisation oA2 for the upkeep), by every role
    that may not make it (FORBIDDEN) or may but not there: community B's admin, and the
    ORG_ADMINs of oA1 whatever their second role. Nothing is written."""
    values = {
        **world.areas,
        **world.units,
        **world.orgs,
        **{k: p.id for k, p in world.people.items()},
        **world.activities,
        **world.cases,
        "none": NO_SUCH_ID,
        "default_scheme": str(DEFAULT_COLLECTIVE_ID),
        "new_community": world.areas["A"][:9] + "009",
        "new_id": _id_number("1990-01-01", 901),
    }
    public = world.district.admin.data("{ __schema { mutationType { fields { name } } } }")
    assert {f["name"] for f in public["__schema"]["mutationType"]["fields"]} == {
        name for name, _, _ in WRITES
    }
    in_scope = {"district-admin", "street-admin", "community-admin-a"}
    for role in ROLES:
        if role.label in in_scope:
            continue
        client = client_of(world, role)
        granted = {role.role, *role.more_roles}
        for name, template, needs in WRITES:
            argument = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
            body = client.execute(
                f"mutation {{ {name}(input: {argument}) {{ errors {{ code }} }} }}"
            )
            codes = [e["extensions"]["code"] for e in body.get("errors") or []]
            if not granted & WRITERS[needs]:
                assert codes == ["FORBIDDEN"], (role.label, name, body)
                continue
            payload = (body.get("data") or {}).get(name) or {}
            codes += [e["code"] for e in payload.get("errors", [])]
            assert set(codes) & {"FORBIDDEN", "NOT_FOUND"}, (role.label, name, body)
    admin = world.district.admin
    organization = """query($id: ID!) { organization(id: $id) { name active
      members { totalCount } groups { id } activities { totalCount } } }"""
    assert admin.data(organization, {"id": values["oA1"]})["organization"] == {
        "name": world.org_names["oA1"],
        "active": True,
        "members": {"totalCount": 2},
        "groups": [],
        "activities": {"totalCount": 1},
    }
    assert admin.data(organization, {"id": values["oA2"]})["organization"] == {
        "name": world.org_names["oA2"],
        "active": True,
        "members": {"totalCount": 2},
        "groups": [],
        "activities": {"totalCount": 1},
    }
    unit = admin.data("query($id: ID!) { unit(id: $id) { closedOn } }", {"id": values["uA2"]})
    assert unit == {"unit": {"closedOn": None}}
    case = admin.data(
        "query($id: ID!) { case(id: $id) { status organization { id } } }",
        {"id": values["cSelf"]},
    )
    assert case == {"case": {"status": "OPEN", "organization": {"id": values["oA2"]}}}
    cases = admin.data("{ cases(first: 50) { totalCount } }")
    assert cases["cases"]["totalCount"] == 3
    categories = admin.data("{ caseCategories(includeInactive: true) { code } }")
    assert "OVERREACH" not in {c["code"] for c in categories["caseCategories"]}
    person = admin.data(
        "query($id: ID!) { person(id: $id) { politicalStatus } }", {"id": values["pA2"]}
    )
    assert person == {"person": {"politicalStatus": "MASSES"}}
    assert (
        admin.data(
            "query($c: String!) { area(code: $c) { code } }", {"c": values["new_community"]}
        )["area"]
        is None
    )
    assert admin.data(
        'query($a: String!) { people(areaCode: $a, namePrefix: "越权") { totalCount } '
        "units(areaCode: $a) { totalCount } }",
        {"a": values["A"]},
    ) == {"people": {"totalCount": 0}, "units": {"totalCount": 2}}
