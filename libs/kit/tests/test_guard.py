"""Bad input is refused as BAD_USER_INPUT before any resolver runs, never answered INTERNAL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from gongjian_kit.areas import is_area_code
from gongjian_kit.auth import Caller, Role
from gongjian_kit.errors import ApiError
from gongjian_kit.field_rules import Gate, Held, Open, entity_key
from gongjian_kit.gql import RequestContext, build_schema
from gongjian_kit.guard import forbidden_text_at, id_or_none, parse_id
from gongjian_kit.policy import Resource

seen: list[str] = []


@strawberry.federation.type(keys=["id"])
class Thing:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Thing:
        return cls(id=strawberry.ID(str(parse_id(id))))


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, text: str) -> str:
        seen.append(text)
        return text

    @strawberry.field
    def thing(self, id: strawberry.ID) -> Thing | None:
        key = id_or_none(id)
        return Thing(id=strawberry.ID(str(key))) if key else None

    @strawberry.field
    def count(self, n: int) -> int:
        return n


schema = build_schema(
    Query,
    types=(Thing,),
    field_rules={
        "Query.echo": Open(),
        "Query.thing": Open(),
        "Query.count": Open(),
        "Thing.id": Held(Resource.RECORDS),
        entity_key("Thing"): Gate(Resource.RECORDS),
    },
)


async def run(query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return await schema.execute(query, variable_values=variables, **kwargs)


def codes(result: Any) -> list[str | None]:
    return [(e.extensions or {}).get("code") for e in result.errors or []]


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "\ud800", "x\udfff"])
async def test_nul_and_lone_surrogates_in_variables_are_refused_before_resolvers(text):
    seen.clear()
    result = await run("query($t: String!) { echo(text: $t) }", {"t": text})
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result.errors[0].extensions["field"] == "$t"
    assert " / " in result.errors[0].message
    assert seen == []


async def test_nul_in_a_literal_or_an_object_key_is_refused():
    seen.clear()
    assert codes(await run('{ echo(text: "\\u0000") }')) == ["BAD_USER_INPUT"]
    nested = await run("query($t: String!) { echo(text: $t) }", {"t": "ok", "x": {"k\x00": 1}})
    assert codes(nested) == ["BAD_USER_INPUT"]
    assert seen == []
    assert (await run('{ echo(text: "\\u4e2d") }')).data == {"echo": "中"}


async def test_several_operations_need_an_operation_name():
    document = "query A { count(n: 1) } query B { count(n: 2) }"
    assert codes(await run(document)) == ["BAD_USER_INPUT"]
    assert (await run(document, operation_name="B")).data == {"count": 2}


async def test_a_variable_of_the_wrong_type_is_bad_user_input_not_internal():
    result = await run("query($n: Int!) { count(n: $n) }", {"n": "x"})
    assert codes(result) == ["BAD_USER_INPUT"]


async def test_syntax_errors_carry_a_code():
    assert codes(await run("{ echo(")) == ["GRAPHQL_PARSE_FAILED"]


async def test_a_malformed_id_finds_nothing():
    assert (await run('{ thing(id: "nope") { id } }')).data == {"thing": None}
    assert (await run('{ thing(id: "３３") { id } }')).data == {"thing": None}


@pytest.mark.parametrize(
    "representation",
    [
        "x",
        [],
        {"id": "x"},
        {"__typename": "Nope", "id": "x"},
        {"__typename": "Thing"},
        {"__typename": "Thing", "id": 5},
        {"__typename": "Thing", "id": "x", "extra": "y"},
        {"__typename": "Thing", "id": "not-a-uuid"},
    ],
)
async def test_malformed_entity_representations_are_bad_user_input(representation):
    good = {"__typename": "Thing", "id": str(uuid.UUID(int=7))}
    as_gateway = RequestContext(None, None)  # type: ignore[arg-type]
    as_gateway.from_gateway = True  # _entities answers the gateway only
    as_gateway._caller = Caller("s", frozenset({Role.DISTRICT_ADMIN}), "330106000000")
    result = await run(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { id } } }",
        {"r": [good, representation]},
        context_value=as_gateway,
    )
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result.data == {"_entities": [{"id": good["id"]}, None]}


def test_parse_id_reads_ascii_uuids_only():
    value = "12345678-1234-5678-1234-567812345678"
    assert parse_id(value) == uuid.UUID(value)
    for bad in ["", "x", "１２３４５６７８-1234-5678-1234-567812345678", 5, None, "1_2" * 11]:
        with pytest.raises(ApiError) as caught:
            parse_id(bad, "organizerIds[0]")
        assert caught.value.code.value == "BAD_USER_INPUT"
        assert caught.value.field == "organizerIds[0]"
        assert id_or_none(bad) is None


def test_area_codes_are_ascii_digits_only():
    assert is_area_code("330106000000")
    for bad in [
        "３３０１０６０００００",
        "33010６000000",
        "²²²²²²²²²²²²",
        "٣٣٠١٠٦٠٠٠٠٠٠",
        330106000000,
    ]:
        assert not is_area_code(bad)


def test_forbidden_text_is_found_where_it_is():
    assert forbidden_text_at({"i": {"names": ["ok", "b\x00d"]}}) == "i.names[1]"
    assert forbidden_text_at(["\ud800"]) == "[0]"
    assert forbidden_text_at({"i": {"name": "正常"}}) is None
