"""GraphQL pieces every subgraph shares: context, errors, Relay connections, schema hardening."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from prometheus_client import Histogram
from strawberry.dataloader import DataLoader
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import Info

from gongjian_kit.auth import Caller
from gongjian_kit.db import request_statements
from gongjian_kit.errors import ApiError, ErrorCode, unauthenticated
from gongjian_kit.field_rules import Rule, apply_field_rules
from gongjian_kit.guard import CodedParserCache, GuardedFederationSchema, RequestGuard
from gongjian_kit.hardening import GatewayOnly, NoSuggestions
from gongjian_kit.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class RequestContext:
    """Per request (or per WebSocket connection): the runtime, the caller, the DataLoaders."""

    _request_id: str | None = None

    def __init__(self, runtime: Runtime, authorization: str | None) -> None:
        self.runtime = runtime
        self.authorization = authorization
        self.connection_params: dict[str, Any] | None = None
        # Set by the app: the request carries the gateway's secret (may ask _entities/_service).
        self.from_gateway = False
        self._caller: Caller | None = None
        self._loaders: dict[str, DataLoader[Any, Any]] = {}

    @property
    def caller(self) -> Caller:
        """The verified caller; UNAUTHENTICATED when there is no valid token."""
        if self._caller is None:
            header = self.authorization
            if not header and self.connection_params:
                header = self.connection_params.get("authorization") or self.connection_params.get(
                    "Authorization"
                )
            if self.runtime.verifier is None:
                raise unauthenticated()
            self._caller = self.runtime.verifier.from_authorization(header)
        return self._caller

    def loader(
        self, name: str, factory: Callable[[], DataLoader[Any, Any]]
    ) -> DataLoader[Any, Any]:
        """The request's DataLoader called ``name``, made on first use."""
        if name not in self._loaders:
            self._loaders[name] = factory()
        return self._loaders[name]

    @property
    def request_id(self) -> str:
        """This request's id, for audit rows: made on first use (one per request, or per
        WebSocket connection)."""
        if self._request_id is None:
            self._request_id = uuid.uuid4().hex
        return self._request_id


def context_of(info: Info[Any, Any]) -> RequestContext:
    ctx = info.context
    assert isinstance(ctx, RequestContext)
    return ctx


@strawberry.federation.type(shareable=True, description="可预期的错误 / An expected, typed error")
class UserError:
    field: str | None = strawberry.field(description="出错的字段路径 / Path of the field at fault")
    code: str = strawberry.field(description="BAD_USER_INPUT, CONFLICT, NOT_FOUND, FORBIDDEN …")
    message: str = strawberry.field(description="中文 / English")
    message_zh: str
    message_en: str


def user_error(field: str | None, code: ErrorCode, zh: str, en: str) -> UserError:
    return UserError(
        field=field, code=code.value, message=f"{zh} / {en}", message_zh=zh, message_en=en
    )


def user_error_from(exc: ApiError) -> UserError:
    return user_error(exc.field, exc.code, exc.zh, exc.en)


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.federation.type(shareable=True)
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    """A Relay connection; ``totalCount`` costs one extra statement, only when asked for."""

    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="符合条件的总数 / Number of matching items")
    async def total_count(self) -> int:
        return await self.count()


def encode_cursor(position: int | tuple[int, ...]) -> str:
    """An opaque cursor for a keyset position (one number, or several for compound orders)."""
    parts = position if isinstance(position, tuple) else (position,)
    return base64.urlsafe_b64encode(("gj:" + ":".join(map(str, parts))).encode()).decode()


def decode_keyset(cursor: str | None, size: int, field: str = "after") -> tuple[int, ...] | None:
    """The ``size`` numbers in ``cursor``; a malformed cursor is the caller's error."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, *parts = text.split(":")
        if prefix != "gj" or len(parts) != size:
            raise ValueError(cursor)
        return tuple(int(p) for p in parts)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(
            ErrorCode.BAD_USER_INPUT, "分页游标无效", "Invalid pagination cursor", field
        ) from exc


def decode_cursor(cursor: str | None, field: str = "after") -> int | None:
    """The keyset position in a single-number cursor."""
    parts = decode_keyset(cursor, 1, field)
    return None if parts is None else parts[0]


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise ApiError(
            ErrorCode.BAD_USER_INPUT,
            f"first 须在 0 到 {MAX_PAGE_SIZE} 之间",
            f"first must be between 0 and {MAX_PAGE_SIZE}",
            "first",
        )
    return first


def make_connection(
    rows: list[T],
    positions: Sequence[int | tuple[int, ...]],
    first: int,
    had_cursor: bool,
    count: Callable[[], Awaitable[int]],
) -> Connection[T]:
    """Build a page from ``first + 1`` fetched rows (the extra row tells there is a next page)."""
    page, more = rows[:first], len(rows) > first
    edges = [
        Edge(cursor=encode_cursor(pos), node=row) for row, pos in zip(page, positions, strict=False)
    ]
    info = PageInfo(
        has_next_page=more,
        has_previous_page=had_cursor,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, page_info=info, count=count)


async def seq_page(
    first: int | None,
    after: str | None,
    fetch: Callable[[int | None, int], Awaitable[list[Any]]],
    convert: Callable[[Any], T],
    count: Callable[[], Awaitable[int]],
) -> Connection[T]:
    """A page of rows ordered by their ``seq`` column: ``fetch(after_seq, limit)`` is asked for
    one row more than the page, which tells whether there is a next page."""
    limit, position = page_size(first), decode_cursor(after)
    rows = await fetch(position, limit + 1)
    return make_connection(
        [convert(r) for r in rows], [r["seq"] for r in rows], limit, position is not None, count
    )


class MaskInternalErrors(MaskErrors):
    """Expected errors keep their code; anything else becomes INTERNAL with no detail."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=self._should_mask,
            error_message="服务器内部错误 / Internal server error",
        )

    @staticmethod
    def _should_mask(error: GraphQLError) -> bool:
        original = error.original_error
        if original is None:
            return False  # syntax and validation errors: the caller's, and safe to show
        if isinstance(original, ApiError | GraphQLError):
            return False  # typed errors, and variables that do not fit their types
        log.error("unexpected error at %s", error.path, exc_info=original)
        return True

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": ErrorCode.INTERNAL.value}
        return masked


class ApiErrorExtensions(SchemaExtension):
    """Put ``code``, ``field`` and both messages of an ``ApiError`` into ``extensions``."""

    def on_operation(self) -> Any:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or []:
            if isinstance(error.original_error, ApiError):
                error.extensions = {**(error.extensions or {}), **error.original_error.extensions}
            elif (error.extensions or {}).get("code"):
                continue
            elif error.original_error is None:
                error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"}
            elif isinstance(error.original_error, GraphQLError):
                # A variable's value that does not fit its type: the caller's input.
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}


class SqlStatementCount(SchemaExtension):
    """Development aid: ``extensions.sqlStatements`` tells what a request cost in SQL."""

    async def on_operation(self) -> AsyncIterator[None]:
        self._counter = [0]
        token = request_statements.set(self._counter)
        try:
            yield
            await asyncio.sleep(0)  # let the last statement's logger callback run
        finally:
            request_statements.reset(token)

    def get_results(self) -> dict[str, Any]:
        REQUEST_STATEMENTS.observe(self._counter[0])
        return {"sqlStatements": self._counter[0]}


# The statements each GraphQL request sent, as /metrics shows them: a system test reads the sum
# and count around one request through the gateway (background work is not counted here).
REQUEST_STATEMENTS = Histogram(
    "gongjian_graphql_request_sql_statements",
    "SQL statements sent by one GraphQL request (development: with extensions.sqlStatements)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)


def schema_extensions(
    *, production: bool, max_depth: int = 12, max_aliases: int = 30, max_tokens: int = 4000
) -> list[Any]:
    """The extensions every subgraph runs with: caches, limits, error shaping."""
    from graphql.validation import NoSchemaIntrospectionCustomRule  # noqa: PLC0415

    # The limits' rule classes are made once, here: ValidationCache keys on the rules, and a
    # limiter made per request brings a new rule class each time, so nothing would ever hit.
    rules = tuple(QueryDepthLimiter(max_depth=max_depth).validation_rules) + tuple(
        MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules
    )
    if production:
        rules += (NoSchemaIntrospectionCustomRule,)
    # Factories, not instances: strawberry makes a fresh extension per request from each.
    extensions: list[Any] = [
        lambda: CodedParserCache(maxsize=512),
        lambda: AddValidationRules(list(rules)),
        lambda: ValidationCache(maxsize=512),
        RequestGuard,  # after ValidationCache: it adds its errors to validation's
        GatewayOnly,
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        ApiErrorExtensions,
        MaskInternalErrors,
    ]
    if production:
        extensions.append(NoSuggestions)
    else:
        extensions.append(SqlStatementCount)
    return extensions


FEDERATION_VERSION = "2.5"  # what @theguild/federation-composition 0.27 accepts


def build_schema(
    query: type,
    *,
    mutation: type | None = None,
    subscription: type | None = None,
    types: tuple[type, ...] = (),
    settings: Any = None,
    field_rules: Mapping[str, Rule],
) -> strawberry.Schema:
    """A Federation v2 subgraph schema with the shared extensions, hardened in production, and
    the access policy applied to every field (``field_rules``: see ``gongjian_kit.field_rules``;
    a field without a rule stops the build)."""
    from gongjian_kit.settings import ServiceSettings  # noqa: PLC0415

    settings = settings or ServiceSettings()
    schema = GuardedFederationSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
        extensions=schema_extensions(
            production=not settings.is_development,
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
        ),
    )
    apply_field_rules(schema, field_rules)
    return schema
