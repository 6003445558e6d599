"""The shared schema extensions: limits hold, production hides the schema, caches hit."""

from __future__ import annotations

import strawberry
from strawberry.extensions.validation_cache import _get_validate_cache

from gongjian_kit.field_rules import Open
from gongjian_kit.gql import build_schema
from gongjian_kit.settings import ServiceSettings


@strawberry.type
class Node:
    name: str = "x"

    @strawberry.field
    def child(self) -> Node:
        return Node()


@strawberry.type
class Query:
    @strawberry.field
    def node(self) -> Node:
        return Node()


RULES = {"Query.node": Open(), "Node.name": Open(), "Node.child": Open()}


def nested(depth: int) -> str:
    return "{ node " + "{ child " * depth + "{ name }" + " }" * depth + " }"


async def test_depth_and_alias_limits_hold():
    schema = build_schema(
        Query, settings=ServiceSettings(max_query_depth=5, max_aliases=3), field_rules=RULES
    )
    assert not (await schema.execute(nested(3))).errors
    deep = await schema.execute(nested(8))
    assert deep.errors
    assert "exceeds maximum operation depth" in deep.errors[0].message
    aliases = await schema.execute(
        "{ a: node { name } b: node { name } c: node { name } d: node { name } }"
    )
    assert aliases.errors
    # The same documents again: answered from the caches, with the same verdicts.
    assert (await schema.execute(nested(8))).errors
    assert not (await schema.execute(nested(3))).errors


async def test_production_hides_the_schema_and_development_shows_it():
    introspection = "{ __schema { queryType { name } } }"
    production = build_schema(
        Query, settings=ServiceSettings(environment="production"), field_rules=RULES
    )
    development = build_schema(
        Query, settings=ServiceSettings(environment="development"), field_rules=RULES
    )
    assert (await production.execute(introspection)).errors
    assert not (await development.execute(introspection)).errors


async def test_validation_is_cached_across_requests():
    schema = build_schema(Query, field_rules=RULES)
    cache = _get_validate_cache(512)
    await schema.execute(nested(2))
    before = cache.cache_info().hits
    for _ in range(5):
        await schema.execute(nested(2))
    assert cache.cache_info().hits - before == 5
