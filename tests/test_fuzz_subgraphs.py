"""Property-based fuzzing of every subgraph's queries and mutations: whatever a caller sends, the
answer is data or a typed error, never INTERNAL and never a 5xx.

Documents come from each subgraph's own schema (hypothesis-graphql), sent straight to the running
subgraph with a DISTRICT_ADMIN token. Ids, area codes, dates and entity representations are
drawn partly from real records of a district made for the test, so that resolvers get past the
first look-up, and partly from hostile text (U+0000, lone surrogates, full-width digits …).

The run is derandomised and bounded so that it is the same in every `make test`;
``FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1`` explores further.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.system

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))  # per test: about 25 s in all
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"

REGISTER_PERSON = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""
START_MEMBERSHIP = """mutation($i: StartMembershipInput!) { startMembership(input: $i) {
  membership { id } errors { field code message } } }"""
APPOINT = """mutation($i: AppointLeaderInput!) { appointLeader(input: $i) {
  leader { id } errors { field code message } } }"""
CREATE_GROUP = """mutation($i: CreateGroupInput!) { createGroup(input: $i) {
  group { id } errors { field code message } } }"""


@dataclass
class Records:
    """Real ids and codes of the fuzzed district, mixed into the generated values."""

    district: District
    ids: list[str]
    area_codes: list[str]
    texts: list[str]
    representations: list[dict[str, str]]


def _resident_id(serial: int) -> str:
    first17 = f"330106199003{serial % 28 + 1:02d}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


@pytest.fixture(scope="module")
def records(stack) -> Records:
    district = District(stack)
    community = district.communities[0]
    units = [district.unit(community, name=f"模糊测试企业{i}", partyMembers=5) for i in range(2)]
    orgs = [district.organization(community, [u]) for u in units]
    person = district.admin.data(
        REGISTER_PERSON,
        {"i": {"name": "王五", "idNumber": _resident_id(7), "areaCode": community}},
    )["registerPerson"]["person"]["id"]
    membership = district.admin.data(
        START_MEMBERSHIP, {"i": {"personId": person, "organizationId": orgs[0]}}
    )["startMembership"]["membership"]["id"]
    leader = district.admin.data(
        APPOINT,
        {
            "i": {
                "organizationId": orgs[0],
                "personId": person,
                "post": "SECRETARY",
                "termStart": "2025-01-01",
            }
        },
    )["appointLeader"]["leader"]["id"]
    group = district.admin.data(CREATE_GROUP, {"i": {"organizationId": orgs[0], "name": "小组"}})[
        "createGroup"
    ]["group"]["id"]
    activity = district.activity(orgs, community)
    codes = [district.code, *district.streets, *district.communities]
    return Records(
        district=district,
        ids=[*orgs, *units, person, membership, leader, group, activity],
        area_codes=codes,
        texts=[
            "测试",
            "模糊测试企业0",
            "王",
            _resident_id(7),
            _resident_id(8),
            "13800138000",
            district.credit_code(),
            "成员",
        ],
        representations=[
            *({"__typename": "Organization", "id": o} for o in orgs),
            {"__typename": "Activity", "id": activity},
            *({"__typename": "Area", "code": c} for c in codes),
        ],
    )


# Text that has broken servers before: NUL, lone surrogates, full-width and other Unicode digits,
# SQL and LIKE metacharacters, very long strings.
HOSTILE = [
    "\x00",
    "a\x00b",
    "\ud800",
    "３３０１０６００００００",
    "33010６000000",
    "²²²²²²²²²²²²",
    "%",
    "_",
    "\\",
    "'; SELECT 1; --",
    " ",
    "",
    "x" * 5000,
    "00000000-0000-0000-0000-000000000000",
    "{12345678-1234-5678-1234-567812345678}",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "Z3o6MQ==",  # base64 of "gj:1", a cursor
    "bm9wZQ==",
    "9999-12-31",
    "0001-01-01",
]


# Characters that look like digits or letters to str methods but not to int() or PostgreSQL.
ODD_CHARACTERS = "²２٣߃𝟘Ⅻ_ \t\n\u200bＸx-\x00"


def _pool(real: list[str], seed: int) -> list[str]:
    """Real values (so that resolvers get past their first look-up), hostile ones, and real ones
    with one character replaced by an odd one (so that they pass the first checks and reach the
    deeper ones), in one shuffled list. Hypothesis draws the first element about half the time,
    so the first real value (the district's code, an organisation's id) stays first."""
    rng = random.Random(seed)
    altered = [
        value[:i] + char + value[i + 1 :]
        for value in real
        if value
        for char in ODD_CHARACTERS
        for i in [rng.randrange(len(value))]
    ]
    digits = ["".join(rng.choice("0123456789") for _ in range(12)) for _ in range(20)]
    pool = real * 4 + HOSTILE + altered + digits
    rng.shuffle(pool)
    return [real[0], *pool]


def _value_strategies(records: Records) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    texts = st.one_of(
        st.sampled_from(_pool(records.area_codes + records.ids + records.texts, 1)),
        st.text(max_size=30),
    )
    ids = st.one_of(st.sampled_from(_pool(records.ids, 2)), st.uuids().map(str))
    dates = st.one_of(st.dates().map(date.isoformat), st.sampled_from(HOSTILE), st.text())
    datetimes = st.one_of(
        st.datetimes().map(lambda d: d.isoformat() + "+08:00"),
        st.sampled_from(["2026-05-01T09:00:00+08:00", "2026-05-01T09:00:00"]),
        st.sampled_from(HOSTILE),
    )
    ints = st.one_of(
        st.integers(-3, 120),
        st.sampled_from([-(2**31), 2**31 - 1, 1000, 10_000]),
    )
    any_json = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=6,
    )
    representations = st.one_of(
        st.sampled_from(records.representations),
        st.builds(
            lambda t, k, v: {"__typename": t, k: v},
            st.sampled_from(["Organization", "Activity", "Area", "Unit", "Nope", ""]),
            st.sampled_from(["id", "code", "name"]),
            st.one_of(st.sampled_from(HOSTILE), st.sampled_from(records.ids), any_json),
        ),
        any_json,
    )
    return {
        "String": texts.map(nodes.String),
        "ID": ids.map(nodes.String),
        "Date": dates.map(nodes.String),
        "DateTime": datetimes.map(nodes.String),
        "Int": ints.map(nodes.Int),
        "_Any": representations.map(_ast_from_json),
    }


def _ast_from_json(value: Any) -> graphql.ValueNode:
    if isinstance(value, dict):
        return graphql.ObjectValueNode(
            fields=tuple(
                graphql.ObjectFieldNode(
                    name=graphql.NameNode(value=_safe_name(k)), value=_ast_from_json(v)
                )
                for k, v in value.items()
            )
        )
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(_ast_from_json(v) for v in value))
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    return graphql.StringValueNode(value=str(value))


def _safe_name(key: str) -> str:
    """GraphQL literal object keys must be names; anything else becomes one."""
    name = "".join(c for c in key if c.isascii() and (c.isalnum() or c == "_"))
    return name if name and not name[0].isdigit() else f"_{name}"


def _schema(service: str) -> graphql.GraphQLSchema:
    module = __import__(f"gongjian_{service}.graphql.schema", fromlist=["schema"])
    built: graphql.GraphQLSchema = module.schema._schema
    return built


@dataclass
class Finding:
    query: str
    status: int
    body: str


def _check(url: str, token: str, query: str, gateway_secret: str) -> Finding | None:
    # ASCII JSON, so that lone surrogates travel as escapes, as a hostile client would send them.
    # As the gateway would: with its secret, so _entities is fuzzed too.
    response = httpx.post(
        url,
        content=json.dumps({"query": query}),
        headers={
            "authorization": f"Bearer {token}",
            "content-type": "application/json",
            "x-gongjian-gateway": gateway_secret,
        },
        timeout=30,
    )
    if response.status_code >= 500:
        return Finding(query, response.status_code, response.text[:2000])
    try:
        body = response.json()
    except json.JSONDecodeError:
        return None  # a 4xx in plain text (e.g. an unknown operation name) is an answer too
    for error in body.get("errors") or []:
        if (error.get("extensions") or {}).get("code") == "INTERNAL":
            return Finding(query, response.status_code, json.dumps(body, ensure_ascii=False)[:2000])
    return None


def _fuzz(
    records: Records,
    service: str,
    make: Callable[..., st.SearchStrategy[str]],
    examples: int,
) -> None:
    url = records.district.stack.service_url(service)
    # A subject of its own: its look-ups by ID number spend its own rate-limit bucket (and may
    # be refused as RATE_LIMITED, a typed error), not the other tests'.
    token = token_for(
        records.district.stack, "DISTRICT_ADMIN", records.district.code, subject=f"fuzz-{service}"
    )
    schema = _schema(service)
    root = schema.query_type if make is queries else schema.mutation_type
    assert root is not None
    scalars = _value_strategies(records)
    # One root field per document, every field in turn: in a document of many fields the
    # first failing one hides the others, and the rarer fields are hardly exercised.
    strategy = st.one_of(
        [make(schema, fields=[name], custom_scalars=scalars) for name in sorted(root.fields)]
    )

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(query: str) -> None:
        finding = _check(url, token, query, records.district.stack.config.gateway_secret)
        assert finding is None, f"{service} answered INTERNAL or 5xx:\n{finding}"

    run()


@pytest.mark.parametrize("service", ["organizations", "activities", "evaluation"])
def test_generated_queries_never_get_internal_errors(records: Records, service: str):
    _fuzz(records, service, queries, EXAMPLES)


@pytest.mark.parametrize("service", ["organizations", "activities"])
def test_generated_mutations_never_get_internal_errors(records: Records, service: str):
    _fuzz(records, service, mutations, EXAMPLES)
