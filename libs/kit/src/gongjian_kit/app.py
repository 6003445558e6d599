"""The Starlette app of a service: GraphQL, health, metrics, and its background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import strawberry
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gongjian_kit.auth import TokenVerifier
from gongjian_kit.consumer import ConsumerSpec, EventConsumer
from gongjian_kit.db import create_pool
from gongjian_kit.events import EventCatalog
from gongjian_kit.files import MIN_SECRET_LENGTH, FileHandler, file_endpoint
from gongjian_kit.gql import RequestContext
from gongjian_kit.hardening import GATEWAY_HEADER, from_gateway
from gongjian_kit.kafka import broker_reachable, ensure_topics
from gongjian_kit.migrations import migrate
from gongjian_kit.outbox import OutboxRelay
from gongjian_kit.response_cache import (
    CachedGraphQL,
    ResponseCache,
    ResponseCacheSpec,
    listen_for_changes,
)
from gongjian_kit.retention import Retention, run_retention
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")

BackgroundTask = Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class ServiceDefinition:
    """Everything that makes one service different from the others."""

    name: str
    schema_factory: Callable[[ServiceSettings], strawberry.Schema]
    migrations: Path
    catalog: EventCatalog
    topics: dict[str, str]  # event type prefix → logical topic it is published to
    consumers: Callable[[Runtime], list[ConsumerSpec]] = lambda _: []
    background: list[BackgroundTask] = field(default_factory=list)
    compacted_topics: frozenset[str] = frozenset()
    # Documents served at /files/<service>/<prefix><rest> behind signed links (gongjian_kit.files):
    # prefix (e.g. "certificates/") → handler called with the rest.
    files: Mapping[str, FileHandler] = field(default_factory=dict)
    # Answers that may be kept in memory: fields that change only by events, and the NOTIFY
    # channels that tell of each change (gongjian_kit.response_cache).
    response_cache: ResponseCacheSpec | None = None


class GongjianGraphQL(GraphQL[RequestContext, None]):
    """strawberry's ASGI view, with our context and the caller's token from header or params."""

    def __init__(self, runtime: Runtime, schema: strawberry.Schema, *, ide: bool) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if ide else None,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            allow_queries_via_get=False,
        )
        self.runtime = runtime

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        context = RequestContext(self.runtime, request.headers.get("authorization"))
        secret = self.runtime.settings.gateway_secret
        context.from_gateway = not secret or from_gateway(
            request.headers.get(GATEWAY_HEADER), secret
        )
        # The gateway's id of the client request: audit rows of its subgraph calls share it.
        request_id = request.headers.get("x-request-id", "")
        if REQUEST_ID.fullmatch(request_id):
            context._request_id = request_id
        return context


def create_app(definition: ServiceDefinition, settings: ServiceSettings | None = None) -> Starlette:
    """Build the ASGI app; its lifespan migrates, then runs the relay and the consumers."""
    settings = settings or ServiceSettings(service_name=definition.name)
    check_production_settings(settings, serves_files=bool(definition.files))
    runtime = Runtime(
        settings=settings,
        catalog=definition.catalog,
        topics=definition.topics,
        verifier=TokenVerifier(settings),
    )
    schema = definition.schema_factory(settings)
    graphql_app, endpoint, background = graphql_endpoint(definition, settings, runtime, schema)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.pool = await create_pool(
            settings.database_url,
            min_size=settings.database_pool_min,
            max_size=settings.database_pool_max,
        )
        applied = await migrate(
            settings.database_url,
            definition.name,
            definition.migrations,
            lock_wait_s=settings.migration_lock_wait_s,
            lock_timeout=settings.migration_lock_timeout,
        )
        if applied:
            log.info("%s: applied %d migrations", definition.name, len(applied))
        stopping = asyncio.Event()
        relay = OutboxRelay(
            runtime.pool,
            settings.kafka_bootstrap,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            idempotence=settings.kafka_idempotence,
            request_timeout_ms=settings.kafka_request_timeout_ms,
            park_after=settings.relay_park_after,
        )
        runtime.extras["relay"] = relay
        consumers = [
            EventConsumer(
                spec,
                runtime.pool,
                settings.kafka_bootstrap,
                fetch_wait_ms=settings.consumer_fetch_wait_ms,
                batch_size=settings.consumer_batch_size,
                max_backoff_s=settings.consumer_max_backoff_s,
                epoch_topic=settings.topic("gongjian.broker-epoch"),
            )
            for spec in definition.consumers(runtime)
        ]
        runtime.extras["consumers"] = consumers
        published = sorted({settings.topic(t) for t in definition.topics.values()})
        with contextlib.suppress(Exception):  # the relay creates them on first send otherwise
            await ensure_topics(
                settings.kafka_bootstrap,
                published,
                compacted=frozenset(settings.topic(t) for t in definition.compacted_topics),
            )
        tasks = [asyncio.create_task(relay.run(), name=f"{definition.name}-relay")]
        tasks += [asyncio.create_task(c.run(), name=c.spec.name) for c in consumers]
        tasks += [asyncio.create_task(task(runtime, stopping)) for task in background]
        retention = Retention(settings.outbox_retention_days, settings.inbox_retention_days)
        tasks.append(
            asyncio.create_task(
                run_retention(runtime.pool, retention, settings.retention_interval_s, stopping),
                name=f"{definition.name}-retention",
            )
        )
        # Objects made at start-up live forever: keep the collector from walking them (p99).
        if settings.metrics_port is not None:
            start_http_server(settings.metrics_port, addr=settings.host)
        gc.collect()
        gc.freeze()
        log.info("%s ready on %s:%d", definition.name, settings.host, settings.port)
        try:
            yield
        finally:
            stopping.set()
            relay.stop()
            for consumer in consumers:
                consumer.stop()
            _, pending = await asyncio.wait(tasks, timeout=10)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await runtime.db.close()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "service": definition.name})

    async def readyz(_: Request) -> Response:
        return await readiness(runtime)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route(
            "/graphql",
            endpoint,
            methods=["GET", "POST"],
        ),
        WebSocketRoute("/graphql", graphql_app),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    if settings.metrics_port is None:
        routes.append(Route("/metrics", metrics))
    if definition.files:
        routes.append(
            Route(
                "/files/{rest:path}",
                file_endpoint(runtime, definition.name, definition.files),
                methods=["GET"],
            )
        )
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app


def graphql_endpoint(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    runtime: Runtime,
    schema: strawberry.Schema,
) -> tuple[GongjianGraphQL, Any, list[BackgroundTask]]:
    """strawberry's view (WebSocket), what answers POST /graphql (the view, behind the response
    cache when the service keeps answers) and the background tasks (the cache's listener)."""
    graphql_app = GongjianGraphQL(runtime, schema, ide=settings.is_development)
    spec = definition.response_cache
    if spec is None or settings.response_cache_max_age_s <= 0:
        return graphql_app, graphql_app, list(definition.background)
    cache = ResponseCache(spec, schema._schema, settings.response_cache_max_age_s)
    runtime.extras["response_cache"] = cache
    listener = partial(listen_for_changes, cache=cache)
    return (
        graphql_app,
        CachedGraphQL(graphql_app, cache, runtime),
        [*definition.background, listener],
    )


class ConfigurationError(RuntimeError):
    """A setting production cannot run without."""


def check_production_settings(settings: ServiceSettings, *, serves_files: bool = False) -> None:
    """Refuse to start production without what keeps it closed.

    A service that serves files behind signed links also needs its own ``FILES_SECRET``.
    """
    if settings.is_development:
        return
    missing = [
        name
        for name, value in (
            ("GATEWAY_SECRET", settings.gateway_secret),
            ("JWT_SECRET or JWT_JWKS_URL", settings.jwt_secret or settings.jwt_jwks_url),
            ("FILES_SECRET", settings.files_secret or not serves_files),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(
            f"{settings.service_name}: ENVIRONMENT=production needs {', '.join(missing)} "
            "(set ENVIRONMENT=development for a local run)"
        )
    if len(settings.gateway_secret) < 32:
        raise ConfigurationError("GATEWAY_SECRET must be at least 32 characters")
    if serves_files and len(settings.files_secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError("FILES_SECRET must be at least 32 characters")


async def readiness(runtime: Runtime) -> JSONResponse:
    """Ready when the database and broker answer and the relay and every consumer run freely.

    A consumer retrying a transient failure (its partitions paused) makes the service not ready:
    its read models are falling behind, and an operator should see why here.
    """
    checks: dict[str, bool] = {"database": False, "broker": False}
    with contextlib.suppress(Exception):
        checks["database"] = await asyncio.wait_for(runtime.db.fetchval("SELECT true"), 2)
    checks["broker"] = await broker_reachable(runtime.settings.kafka_bootstrap)
    relay: OutboxRelay | None = runtime.extras.get("relay")
    checks["relay"] = relay is not None and relay.running
    problems: dict[str, str] = {}
    consumer: EventConsumer
    for consumer in runtime.extras.get("consumers", []):
        checks[f"consumer:{consumer.spec.name}"] = (
            consumer.state.running and not consumer.state.retrying
        )
        if consumer.state.retrying:
            problems[consumer.spec.name] = "retrying a transient failure: " + "; ".join(
                f"{tp}: {error}" for tp, error in sorted(consumer.state.retrying.items())
            )
        elif not consumer.state.running:
            problems[consumer.spec.name] = "not running"
    status = 200 if all(checks.values()) else 503
    body: dict[str, object] = {"status": "ready" if status == 200 else "not ready", **checks}
    if problems:
        body["problems"] = problems
    return JSONResponse(body, status_code=status)


def serve(definition: ServiceDefinition) -> None:
    """Run a service with uvicorn (httptools + uvloop), reading settings from the environment."""
    import uvicorn  # noqa: PLC0415

    settings = ServiceSettings(service_name=definition.name)
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s {definition.name} %(levelname)s %(name)s: %(message)s",
    )
    uvicorn.run(
        create_app(definition, settings),
        host=settings.host,
        port=settings.port,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        lifespan="on",
        ws="websockets",
        timeout_graceful_shutdown=10,
        timeout_keep_alive=settings.http_keep_alive_s,
    )
