"""Wiring of the evaluation service."""

from __future__ import annotations

from pathlib import Path

from gongjian_evaluation.bulletins.files import bulletin_file
from gongjian_evaluation.events import DISTRICT_STATS_TOPIC, STATS_CHANGED_CHANNEL, consumers
from gongjian_evaluation.export.files import explanation_file, results_file
from gongjian_evaluation.graphql.schema import make_schema
from gongjian_evaluation.live import listen_for_stats
from gongjian_evaluation.publisher import publish_area_stats_task
from gongjian_evaluation.usecases.targets import watch_targets
from gongjian_kit.app import ServiceDefinition, serve
from gongjian_kit.events import EventCatalog
from gongjian_kit.outbox import OUTBOX_CHANNEL
from gongjian_kit.response_cache import INBOX_CHANNEL, ResponseCacheSpec

HERE = Path(__file__).parent

# Figures only the consumers and the publisher move (and today's date, which the cache's key
# holds): an area's figures and an organisation's activity and case summaries, also as the
# gateway asks for them (_entities). Every move is heard (gongjian_kit.response_cache): each
# consumer transaction NOTIFYs the inbox channel at its commit, each event this service writes
# the outbox channel, and the publisher what areaStatsUpdated subscribers are told.
FIGURES = ResponseCacheSpec(
    fields=frozenset(
        {
            "Query._entities",
            "Query.areaStats",
            "Area.code",
            "Area.stats",
            "Organization.id",
            "Organization.activitySummary",
            "Organization.caseSummary",
            "AreaStats.*",
            "AreaFamilyCoverage.*",
            "FigureCount.*",
            "ActivitySummary.*",
            "CaseSummary.*",
        }
    ),
    channels=(INBOX_CHANNEL, OUTBOX_CHANNEL, STATS_CHANGED_CHANNEL),
)

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
    response_cache=FIGURES,
)


def main() -> None:
    serve(definition)
