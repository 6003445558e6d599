import json
from pathlib import Path

import pytest

from gongjian_kit.events import Event, EventCatalog, InvalidEvent


@pytest.fixture
def catalog(tmp_path: Path) -> EventCatalog:
    (tmp_path / "gongjian.test.thing.happened.v1.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": False,
                "required": ["thingId"],
                "properties": {"thingId": {"type": "string"}},
            }
        )
    )
    return EventCatalog(tmp_path, source="/gongjian/test")


def test_envelope_round_trips_as_cloudevents(catalog):
    event = catalog.new("gongjian.test.thing.happened.v1", "t-1", {"thingId": "t-1"})
    body = json.loads(event.to_json())
    assert body["specversion"] == "1.0"
    assert body["source"] == "/gongjian/test"
    assert Event.from_json(event.to_json()) == event


def test_data_breaking_its_schema_is_refused(catalog):
    with pytest.raises(InvalidEvent, match="thingId"):
        catalog.new("gongjian.test.thing.happened.v1", "t-1", {"thingId": 5})
    with pytest.raises(InvalidEvent, match="Additional properties"):
        catalog.new("gongjian.test.thing.happened.v1", "t-1", {"thingId": "x", "name": "张三"})


def test_unknown_types_are_not_published(catalog):
    with pytest.raises(InvalidEvent, match="does not publish"):
        catalog.new("gongjian.test.other.happened.v1", "x", {})


@pytest.mark.parametrize("raw", [None, b"not json", b"{}", b'{"specversion": "0.3"}', b"\xff\xfe"])
def test_anything_but_an_envelope_is_invalid(raw):
    with pytest.raises(InvalidEvent):
        Event.from_json(raw)
