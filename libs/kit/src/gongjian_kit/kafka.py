"""Kafka clients configured for this project, coded to plain Kafka (Tansu locally)."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


def make_producer(
    bootstrap: str, *, idempotence: bool = False, request_timeout_ms: int = 5000
) -> AIOKafkaProducer:
    """A producer that waits for all in-sync replicas; idempotence only where the broker has it."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=idempotence,
        linger_ms=2,
        request_timeout_ms=request_timeout_ms,
        retry_backoff_ms=100,
        client_id="gongjian",
    )


async def ensure_topics(
    bootstrap: str,
    topics: list[str],
    *,
    partitions: int = 4,
    compacted: frozenset[str] = frozenset(),
) -> None:
    """Create the topics if missing; an existing topic counts as success."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        new = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs={"cleanup.policy": "compact"} if name in compacted else {},
            )
            for name in topics
        ]
        try:
            response = await admin.create_topics(new)
        except TopicAlreadyExistsError:
            return
        for topic_error in getattr(response, "topic_errors", []):
            name, code = topic_error[0], topic_error[1]
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"could not create topic {name}: error {code}")
    finally:
        await admin.close()


async def wait_for_broker(bootstrap: str, timeout_s: float = 30.0) -> None:
    """Block until a TCP connection to the first bootstrap server succeeds."""
    host, _, port = bootstrap.split(",", maxsplit=1)[0].rpartition(":")
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 1.0)
        except (OSError, TimeoutError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
        else:
            writer.close()
            return


async def broker_reachable(bootstrap: str) -> bool:
    """True when the first bootstrap server accepts a TCP connection within a second."""
    try:
        await wait_for_broker(bootstrap, timeout_s=0)
    except (OSError, TimeoutError):
        return False
    return True


CLOUDEVENTS_CONTENT_TYPE = b"application/cloudevents+json"


def cloudevents_headers() -> list[tuple[str, bytes]]:
    """Headers of a structured-mode CloudEvents Kafka message (the value is the whole envelope).

    ``content-type`` alone: it is what the CloudEvents Kafka binding (and its SDKs) read to
    decode the value. No ``ce_*`` header: under the binding any ``ce_`` header means binary
    mode, so the SDK's ``from_kafka_event`` would look for every attribute in the headers
    and refuse the message (a lone ``ce_type`` did exactly that).
    """
    return [("content-type", CLOUDEVENTS_CONTENT_TYPE)]
