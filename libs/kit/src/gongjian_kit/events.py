"""The event envelope (CloudEvents 1.0, JSON) and the JSON Schema per type it is checked against."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

ENVELOPE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CloudEvents 1.0 envelope (JSON)",
    "type": "object",
    "required": ["specversion", "id", "source", "type", "time", "subject", "data"],
    "properties": {
        "specversion": {"const": "1.0"},
        "id": {"type": "string", "format": "uuid"},
        "source": {"type": "string", "minLength": 1},
        "type": {"type": "string", "pattern": r"^gongjian\.[a-z-]+\.[a-z-]+\.[a-z-]+\.v[0-9]+$"},
        "time": {"type": "string", "format": "date-time"},
        "subject": {"type": "string", "minLength": 1},
        "datacontenttype": {"const": "application/json"},
        # The aggregate's version after this change (1, 2, …), in commit order per subject:
        # a read model ignores an event older than what it holds (replays, resets, DLQ replay).
        "aggregateversion": {"type": "integer", "minimum": 1},
        "data": {"type": "object"},
    },
}
_envelope_validator = Draft202012Validator(ENVELOPE_SCHEMA)


class InvalidEvent(ValueError):  # noqa: N818 - reads as a fact about the event
    """An event that is not a valid envelope, or whose data breaks its type's schema."""


_TYPE_PATTERN = re.compile(ENVELOPE_SCHEMA["properties"]["type"]["pattern"])
_VERSION_SUFFIX = re.compile(r"\.v([0-9]+)$")


def split_type(event_type: str) -> tuple[str, int]:
    """``gongjian.a.b.c.v2`` → (``gongjian.a.b.c``, 2): the type's name and its major version."""
    match = _VERSION_SUFFIX.search(event_type)
    if match is None:
        return event_type, 0
    return event_type[: match.start()], int(match.group(1))


def _looks_valid(body: object) -> bool:
    """The common case without jsonschema's cost: every required attribute with the right type."""
    if not isinstance(body, dict) or body.get("specversion") != "1.0":
        return False
    for name in ("id", "source", "type", "time", "subject"):
        value = body.get(name)
        if not isinstance(value, str) or not value:
            return False
    if not isinstance(body.get("data"), dict) or not _TYPE_PATTERN.match(body["type"]):
        return False
    content_type = body.get("datacontenttype", "application/json")
    version = body.get("aggregateversion", 1)
    return (
        content_type == "application/json"
        and isinstance(version, int)
        and not isinstance(version, bool)
        and version >= 1
    )


@dataclass(frozen=True)
class Event:
    """One fact, as it travels: CloudEvents attributes plus the type's ``data``."""

    type: str
    subject: str
    data: dict[str, Any]
    source: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The subject's version after this change; None for events from before versions existed.
    version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "specversion": "1.0",
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time.isoformat(),
            "subject": self.subject,
            "datacontenttype": "application/json",
        }
        if self.version is not None:
            body["aggregateversion"] = self.version
        body["data"] = self.data
        return body

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes | str | None) -> Event:
        """Parse a received message; raise ``InvalidEvent`` for anything that is not an envelope."""
        if raw is None:
            raise InvalidEvent("message has no value")
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidEvent(f"not JSON: {exc}") from exc
        if not _looks_valid(body):
            errors = sorted(_envelope_validator.iter_errors(body), key=str)
            if errors:
                raise InvalidEvent(f"not a CloudEvents envelope: {errors[0].message}")
        try:
            time = datetime.fromisoformat(body["time"])
            uuid.UUID(body["id"])
        except ValueError as exc:
            raise InvalidEvent(f"bad id or time: {exc}") from exc
        return cls(
            type=body["type"],
            subject=body["subject"],
            data=body["data"],
            source=body["source"],
            id=body["id"],
            time=time,
            version=body.get("aggregateversion"),
        )


class EventCatalog:
    """The event types a service publishes, each with its JSON Schema (``<type>.json`` files)."""

    def __init__(self, directory: Path, source: str) -> None:
        self.directory = directory
        self.source = source

    @cached_property
    def schemas(self) -> dict[str, dict[str, Any]]:
        found = {}
        for path in sorted(self.directory.glob("*.json")):
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            found[path.stem] = schema
        return found

    @cached_property
    def _validators(self) -> dict[str, Draft202012Validator]:
        return {name: Draft202012Validator(schema) for name, schema in self.schemas.items()}

    def validate(self, event: Event) -> None:
        validator = self._validators.get(event.type)
        if validator is None:
            raise InvalidEvent(f"{self.source} does not publish events of type {event.type}")
        if validator.is_valid(event.data):  # the common case, without collecting errors
            return
        errors = sorted(validator.iter_errors(event.data), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "data"
            raise InvalidEvent(f"{event.type}: {where}: {errors[0].message}")

    def new(
        self, type_: str, subject: str, data: dict[str, Any], *, version: int | None = None
    ) -> Event:
        """Build an event of a published type, checked against its schema."""
        event = Event(type=type_, subject=subject, data=data, source=self.source, version=version)
        self.validate(event)
        return event
