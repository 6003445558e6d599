"""Wiring of the activities service."""

from __future__ import annotations

from pathlib import Path

from gongjian_activities.certificates.files import certificate_file
from gongjian_activities.events import consumers
from gongjian_activities.graphql.schema import make_schema
from gongjian_activities.sweeps import sweep_deadlines
from gongjian_kit.app import ServiceDefinition, serve
from gongjian_kit.events import EventCatalog

HERE = Path(__file__).parent

definition = ServiceDefinition(
    name="activities",
    schema_factory=make_schema,
    migrations=HERE / "migrations",
    catalog=EventCatalog(HERE / "event_schemas", source="/gongjian/activities"),
    topics={"gongjian.activities.": "gongjian.activities.v1"},
    consumers=consumers,
    files={"certificates/": certificate_file},
    background=[sweep_deadlines],
)


def main() -> None:
    serve(definition)
