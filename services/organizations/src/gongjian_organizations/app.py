"""Wiring of the organizations service."""

from __future__ import annotations

from pathlib import Path

from gongjian_kit.app import ServiceDefinition, serve
from gongjian_kit.events import EventCatalog
from gongjian_organizations.graphql.schema import make_schema

HERE = Path(__file__).parent
TOPIC = "gongjian.organizations.v1"

definition = ServiceDefinition(
    name="organizations",
    schema_factory=make_schema,
    migrations=HERE / "migrations",
    catalog=EventCatalog(HERE / "event_schemas", source="/gongjian/organizations"),
    topics={"gongjian.organizations.": TOPIC},
)


def main() -> None:
    serve(definition)
