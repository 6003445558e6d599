"""Fault injection, short run: the real PostgreSQL and broker, a steady writer, one fault per
test, then every read model compared with the source of truth (gongjian_deploy.chaos).

The suite starts its own stack (its own PostgreSQL and Tansu broker unless DATABASE_URL /
KAFKA_BOOTSTRAP are set), apart from the one the other tests share, because it kills, stops and
restarts its parts. Tests run in file order on one stack; a scenario that fails is followed by a
recovery (every service restarted, every outbox re-published) so the next one starts clean, and
reports what stayed wrong as carried over. The long run is `make chaos`.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gongjian_deploy.chaos import SHORT, ChaosRun, Figures, render_table

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def chaos() -> AsyncIterator[ChaosRun]:
    run = ChaosRun(SHORT, Path(tempfile.mkdtemp(prefix="gongjian-chaos-test-")), log=lambda _: None)
    try:
        await run.start()
        yield run
    finally:
        await run.stop()
        print(render_table(run.results))


async def scenario(chaos: ChaosRun, name: str, capsys: pytest.CaptureFixture[str]) -> Figures:
    [figures] = await chaos.run((name,))
    with capsys.disabled():
        print(f"\n  chaos {figures.summary()}")
    return figures


async def test_consumers_killed_at_random_moments_lose_and_double_nothing(
    chaos: ChaosRun, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = await scenario(chaos, "kills", capsys)
    assert figures.faults == SHORT.kills
    assert figures.ok, figures.render()


async def test_a_postgres_restart_mid_stream_loses_and_doubles_nothing(
    chaos: ChaosRun, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = await scenario(chaos, "postgres", capsys)
    if figures.skipped:
        pytest.skip(figures.skipped)
    assert figures.ok, figures.render()


async def test_poison_goes_to_the_dlq_and_an_oversized_row_is_parked_while_the_rest_flows(
    chaos: ChaosRun, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = await scenario(chaos, "poison", capsys)
    assert figures.ok, figures.render()


async def test_two_replicas_of_every_service_apply_each_event_once_in_key_order(
    chaos: ChaosRun, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = await scenario(chaos, "replicas", capsys)
    assert figures.ok, figures.render()


# Last: a restarted Tansu stays inconsistent for the rest of its life (see the reason below),
# so nothing runs after it on this broker.
@pytest.mark.xfail(
    reason=(
        "Tansu 0.6 (memory storage) after a restart: produce fails with "
        "ObjectStore AlreadyExists for record offsets it reports as past the partition's end, and "
        "end offsets fall below offsets it served; consumers then cannot converge within the "
        "short profile. The kit re-reads from the start on a new broker epoch (see the broker "
        "log and issue 6's note); with Apache Kafka (KAFKA_BOOTSTRAP) this scenario is skipped "
        "because the suite cannot stop that broker."
    ),
    strict=False,
)
async def test_a_broker_outage_then_republish_loses_and_doubles_nothing(
    chaos: ChaosRun, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = await scenario(chaos, "broker", capsys)
    if figures.skipped:
        pytest.skip(figures.skipped)
    assert figures.ok, figures.render()
