"""Wiring of the organizations service."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from gongjian_kit.app import ServiceDefinition, serve
from gongjian_kit.events import EventCatalog
from gongjian_kit.personal_data import PersonalDataKeyError, PersonalDataProtector
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings
from gongjian_organizations.events import consumers
from gongjian_organizations.graphql.schema import make_schema
from gongjian_organizations.store.coverage_rebuild import rebuild_if_rules_changed
from gongjian_organizations.usecases import RULES

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TOPIC = "gongjian.organizations.v1"


async def apply_coverage_rules(runtime: Runtime, stopping: asyncio.Event) -> None:
    """Rebuild coverage once if the thresholds changed since it was last computed."""
    async with runtime.db.acquire() as conn:
        if await rebuild_if_rules_changed(conn, RULES):
            log.info("coverage rebuilt for new thresholds %s", RULES.model_dump())


definition = ServiceDefinition(
    name="organizations",
    schema_factory=make_schema,
    migrations=HERE / "migrations",
    catalog=EventCatalog(HERE / "event_schemas", source="/gongjian/organizations"),
    topics={"gongjian.organizations.": TOPIC},
    consumers=consumers,
    background=[apply_coverage_rules],
)


def main() -> None:
    # Refuse to start without well-formed personal data keys (the message names the variable).
    try:
        PersonalDataProtector.from_settings(ServiceSettings(service_name=definition.name))
    except PersonalDataKeyError as error:
        raise SystemExit(f"organizations: {error}") from None
    serve(definition)
