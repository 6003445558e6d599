"""The response cache in front of a real strawberry schema: what is kept, for whom, how long."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry

from gongjian_kit.auth import TokenVerifier, issue_token
from gongjian_kit.events import EventCatalog
from gongjian_kit.response_cache import (
    CachedGraphQL,
    ResponseCache,
    ResponseCacheSpec,
    selected_fields,
)
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings

SECRET = "response-cache-test-secret-0123456789abcdef"
asked: list[str] = []


@strawberry.type
class Figures:
    count: int
    area: str


@strawberry.type
class Query:
    @strawberry.field
    def figures(self, info: strawberry.Info, area: str) -> Figures:
        asked.append(area)
        if info.context["request"].headers.get("x-refuse"):
            raise ValueError("refused")
        return Figures(count=len(asked), area=area)

    @strawberry.field
    def other(self) -> str:
        asked.append("other")
        return "not a figure"


SCHEMA = strawberry.Schema(query=Query)
SPEC = ResponseCacheSpec(fields=frozenset({"Query.figures", "Figures.*"}), channels=("x",))
FIGURES = "query($a: String!) { figures(area: $a) { count area } }"


def client(max_age_s: float = 60.0) -> tuple[httpx.AsyncClient, ResponseCache]:
    from strawberry.asgi import GraphQL  # noqa: PLC0415

    settings = ServiceSettings(jwt_secret=SECRET)
    runtime = Runtime(
        settings=settings,
        catalog=EventCatalog(Path(__file__).parent, source="/test"),
        topics={},
        verifier=TokenVerifier(settings),
    )
    cache = ResponseCache(SPEC, SCHEMA._schema, max_age_s)
    cache.listening = True
    app = CachedGraphQL(GraphQL(SCHEMA), cache, runtime)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://test"), cache


def token(subject: str, ttl_s: int = 600) -> str:
    return issue_token(
        SECRET, subject=subject, roles=["STREET_ADMIN"], area="330106001000", ttl_s=ttl_s
    )


async def ask(http: httpx.AsyncClient, who: str, area: str = "a", **headers: str) -> Any:
    response = await http.post(
        "/graphql",
        json={"query": FIGURES, "variables": {"a": area}},
        headers={"authorization": f"Bearer {who}", **headers},
    )
    return response.headers.get("x-gongjian-cache"), response.json()


def test_only_operations_of_listed_fields_are_cacheable() -> None:
    schema = SCHEMA._schema
    assert selected_fields(schema, FIGURES) == {"Query.figures", "Figures.count", "Figures.area"}
    _, cache = client()
    assert cache.cacheable(FIGURES)
    assert cache.cacheable('query { ...F } fragment F on Query { figures(area: "a") { count } }')
    assert not cache.cacheable('{ figures(area: "a") { count } other }')
    assert not cache.cacheable('mutation { figures(area: "a") { count } }')
    assert not cache.cacheable('{ figures(area: "a") { nope } }')
    assert not cache.cacheable("{ figures(")


async def test_an_answer_is_kept_per_caller_and_per_input() -> None:
    http, _ = client()
    one, two = token("one"), token("two")
    assert (await ask(http, one))[0] == "miss"
    status, body = await ask(http, one)
    assert status == "hit"
    assert body["data"]["figures"]["area"] == "a"
    assert (await ask(http, two))[0] == "miss"  # the same claims, another caller: not shared
    assert (await ask(http, one, "b"))[0] == "miss"


async def test_a_refusal_is_never_kept() -> None:
    http, _ = client()
    who = token("refused")
    for _ in range(2):
        status, body = await ask(http, who, "r", **{"x-refuse": "1"})
        assert status == "miss"
        assert body["errors"]


async def test_an_expired_token_gets_no_kept_answer() -> None:
    http, _ = client()
    short = token("short", ttl_s=1)
    assert (await ask(http, short))[0] == "miss"
    assert (await ask(http, short))[0] == "hit"
    await asyncio.sleep(2.1)  # past the token's expiry, well within the answer's age
    status, _ = await ask(http, short)
    assert status is None  # handed to the view (which, in a service, answers UNAUTHENTICATED)


async def test_a_notification_or_age_forgets_and_a_change_during_a_request_is_not_kept() -> None:
    http, cache = client(max_age_s=0.3)
    who = token("ages")
    await ask(http, who)
    assert (await ask(http, who))[0] == "hit"
    cache.invalidate()
    assert (await ask(http, who))[0] == "miss"
    await asyncio.sleep(0.35)
    assert (await ask(http, who))[0] == "miss"
    epoch = cache.epoch
    cache.invalidate()  # heard while the answer was being computed
    cache.put(("k",), b"{}", epoch)
    assert cache.get(("k",)) is None


async def test_nothing_is_kept_while_not_listening() -> None:
    http, cache = client()
    cache.listening = False
    who = token("deaf")
    await ask(http, who)
    assert (await ask(http, who))[0] is None


@pytest.mark.parametrize("query", ["{ other }"])
async def test_other_operations_pass_through(query: str) -> None:
    http, _ = client()
    response = await http.post(
        "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token('x')}"}
    )
    assert response.json() == {"data": {"other": "not a figure"}}
    assert "x-gongjian-cache" not in response.headers
