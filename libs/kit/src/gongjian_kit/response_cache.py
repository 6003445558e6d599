"""Answers kept for figures that change only by events, dropped when those events land.

A subgraph declares the fields whose values its consumers and publisher alone move (an area's
figures, an organisation's activity summary) and the NOTIFY channels that tell of such a move.
A POST to /graphql whose operation selects nothing but those fields is answered from memory
when the same caller asked the same thing before and nothing was heard since; everything else
goes to strawberry as usual. Measured on the street dashboard (bench/dashboard.py), the
evaluation subgraph's CPU per dashboard falls to the cost of HTTP and one token check.

What keeps it right:
- **Per caller.** The key holds the whole ``Authorization`` value (so two callers never share an
  answer, whatever their claims), whether the request carries the gateway's secret, the query,
  operation name, variables and extensions, and today's date in China (figures that count "the
  last 90 days" move at midnight without an event). The token is verified on every hit: an
  expired or revoked caller gets no kept answer.
- **Only whole, good answers** (HTTP 200, no ``errors``) are kept: a refusal (FORBIDDEN outside
  the caller's area) is never replayed, and an answer computed while a change was heard is not
  kept (the epoch moved under it).
- **Dropped by the events that move it.** Every NOTIFY on the channels clears the cache.
  Evaluation hears ``gongjian_inbox`` (the kit's trigger on the inbox: every consumer transaction,
  at its commit, with the figures it moved), ``gongjian_outbox`` (every event it writes: its own
  mutations, the publisher's figures) and its publisher's ``gongjian_area_stats`` (what
  ``areaStatsUpdated`` subscribers are told): a kept figure is dropped when it moves, before a
  subscriber hears of it. While the LISTEN connection is down nothing is served from or put
  into the cache. An entry lives at most ``RESPONSE_CACHE_MAX_AGE_S`` (default 1 s, the
  publisher's interval) as a bound for anything no notification covers; 0 turns it off.
- **Bounded**: at most ``max_entries`` answers of at most ``max_bytes`` each, least recently
  used first out. Per process: each replica LISTENs and keeps its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    parse,
    visit,
)
from prometheus_client import Counter

from gongjian_kit import clock
from gongjian_kit.errors import ApiError
from gongjian_kit.hardening import GATEWAY_HEADER, from_gateway
from gongjian_kit.listen import hold_listeners
from gongjian_kit.runtime import Runtime

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_REQUEST_BYTES = 64 * 1024
# NOTIFYed by the kit's trigger on the inbox when a consumer's transaction commits.
INBOX_CHANNEL = "gongjian_inbox"
CACHE_HEADER = b"x-gongjian-cache"

ANSWERS = Counter(
    "gongjian_response_cache_requests",
    "GraphQL POSTs by what the response cache did: hit, miss (asked, kept if good), bypass",
    ["result"],
)


@dataclass(frozen=True)
class ResponseCacheSpec:
    """What a service may keep: ``fields`` ("Type.field", or "Type.*" for all of a type's)
    whose values change only by events, and the NOTIFY ``channels`` that tell of every such
    change."""

    fields: frozenset[str]
    channels: tuple[str, ...]
    max_entries: int = 4096
    max_bytes: int = 64 * 1024


class _Coordinates(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.found: set[str] = set()
        self.unknown = False

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value.startswith("__"):
            return
        parent = self.type_info.get_parent_type()
        if parent is None or self.type_info.get_field_def() is None:
            self.unknown = True
        else:
            self.found.add(f"{parent.name}.{node.name.value}")


def selected_fields(schema: GraphQLSchema, query: str) -> set[str] | None:
    """Every "Type.field" a document selects (fragments included); None when it is not one
    query operation or names something the schema lacks."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return None
    type_info = TypeInfo(schema)
    walker = _Coordinates(type_info)
    visit(document, TypeInfoVisitor(type_info, walker))
    return None if walker.unknown else walker.found


class ResponseCache:
    """The kept answers of one process, and whether it may use them (while it listens)."""

    def __init__(self, spec: ResponseCacheSpec, schema: GraphQLSchema, max_age_s: float) -> None:
        self.spec = spec
        self.max_age_s = max_age_s
        self.epoch = 0
        self.listening = False
        self._entries: OrderedDict[tuple[Any, ...], tuple[float, bytes]] = OrderedDict()

        @lru_cache(maxsize=512)
        def cacheable(query: str) -> bool:
            fields = selected_fields(schema, query)
            return bool(fields) and all(
                f in spec.fields or f"{f.split('.')[0]}.*" in spec.fields for f in fields or ()
            )

        self.cacheable = cacheable

    @property
    def active(self) -> bool:
        return self.listening and self.max_age_s > 0

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, body = entry
        if time.monotonic() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return body

    def put(self, key: tuple[Any, ...], body: bytes, epoch: int) -> None:
        """Keep ``body`` unless a change was heard since the request began (``epoch``)."""
        if not self.active or epoch != self.epoch or len(body) > self.spec.max_bytes:
            return
        self._entries[key] = (time.monotonic() + self.max_age_s, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.spec.max_entries:
            self._entries.popitem(last=False)

    def invalidate(self, *_: object) -> None:
        """Something changed (or may have, unheard): forget every answer."""
        self.epoch += 1
        self._entries.clear()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class CachedGraphQL:
    """ASGI wrapper of the GraphQL endpoint: answers from the cache what it may, else asks
    ``app`` and keeps a good answer."""

    def __init__(self, app: ASGIApp, cache: ResponseCache, runtime: Runtime) -> None:
        self.app, self.cache, self.runtime = app, cache, runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not self.cache.active:
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more and len(body) <= MAX_REQUEST_BYTES:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay(b"", False, receive, message), send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        replay = _replay(body, more, receive)
        key = None if more else self._key(scope, body)
        if key is None:
            ANSWERS.labels("bypass").inc()
            await self.app(scope, replay, send)
            return
        kept = self.cache.get(key)
        if kept is not None:
            ANSWERS.labels("hit").inc()
            await _answer(send, kept)
            return
        ANSWERS.labels("miss").inc()
        await self._ask(scope, replay, send, key)

    def _key(self, scope: Scope, body: bytes) -> tuple[Any, ...] | None:
        """The cache key of a request it may answer, else None."""
        if not (_header(scope, b"content-type") or "").startswith("application/json"):
            return None
        try:
            request = json.loads(body)
        except ValueError:
            return None
        query = request.get("query") if isinstance(request, dict) else None
        if not isinstance(query, str) or not self.cache.cacheable(query):
            return None
        authorization = _header(scope, b"authorization")
        verifier = self.runtime.verifier
        if verifier is None:
            return None
        try:
            verifier.from_authorization(authorization)  # expired or bad: strawberry says so
        except ApiError:
            return None
        secret = self.runtime.settings.gateway_secret
        gateway = not secret or from_gateway(_header(scope, GATEWAY_HEADER.encode()), secret)

        def canonical(value: object) -> str:
            return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

        return (
            query,
            canonical(request.get("operationName")),
            canonical(request.get("variables")),
            canonical(request.get("extensions")),
            authorization,
            gateway,
            clock.today().isoformat(),
        )

    async def _ask(self, scope: Scope, receive: Receive, send: Send, key: tuple[Any, ...]) -> None:
        epoch = self.cache.epoch
        status, chunks, size = 0, [], 0

        async def capture(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (CACHE_HEADER, b"miss")]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if size <= self.cache.spec.max_bytes:
                    chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        answer = b"".join(chunks)
        if status == 200 and size == len(answer) and b'"errors"' not in answer:
            self.cache.put(key, answer, epoch)


def _replay(body: bytes, more: bool, receive: Receive, first: Message | None = None) -> Receive:
    """A ``receive`` that hands the app what was read already (``first``, or the ``body`` read
    so far and whether ``more`` follows), then the rest as it comes."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return first or {"type": "http.request", "body": body, "more_body": more}

    return replayed


async def _answer(send: Send, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (CACHE_HEADER, b"hit"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def listen_for_changes(
    runtime: Runtime, stopping: asyncio.Event, *, cache: ResponseCache
) -> None:
    """Hold a LISTEN connection on the spec's channels (reconnecting after failures); the cache
    is used only while it is held, and cleared on every notification and every (re)connect."""

    def listening(up: bool) -> None:
        cache.invalidate()
        cache.listening = up

    await hold_listeners(
        runtime,
        stopping,
        dict.fromkeys(cache.spec.channels, cache.invalidate),
        name="response cache listener",
        on_state=listening,
    )
