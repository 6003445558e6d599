"""Wiring of the evaluation service."""

from __future__ import annotations

from pathlib import Path

from gongjian_evaluation.bulletins.files import bulletin_file
from gongjian_evaluation.events import DISTRICT_STATS_TOPIC, consumers
from gongjian_evaluation.export.files import explanation_file, results_file
from gongjian_evaluation.graphql.schema import make_schema
from gongjian_evaluation.live import listen_for_stats
from gongjian_evaluation.publisher import publish_area_stats_task
from gongjian_evaluation.usecases.targets import watch_targets
from gongjian_kit.app import ServiceDefinition, serve
from gongjian_kit.events import EventCatalog

HERE = Path(__file__).parent

definition = ServiceDefinition(
    name="evaluation",
    schema_factory=make_schema,
    migrations=HERE / "migrations",
    catalog=EventCatalog(HERE / "event_schemas", source="/gongjian/evaluation"),
    topics={
        "gongjian.evaluation.area-stats.": DISTRICT_STATS_TOPIC,
        "gongjian.evaluation.": "gongjian.evaluation.v1",
    },
    consumers=consumers,
    files={
        "results/": results_file,
        "explanations/": explanation_file,
        "bulletins/": bulletin_file,
    },
    background=[listen_for_stats, publish_area_stats_task, watch_targets],
    compacted_topics=frozenset({DISTRICT_STATS_TOPIC}),
)


def main() -> None:
    serve(definition)
