"""The AsyncAPI document of the topics outsiders may read, from the schemas the code validates.

uv run python -m gongjian_deploy.asyncapi > docs/asyncapi.json   (a test checks it is current)
"""

from __future__ import annotations

import json
from typing import Any

from gongjian_activities.app import definition as activities
from gongjian_evaluation.app import definition as evaluation
from gongjian_evaluation.events import DISTRICT_STATS_TOPIC
from gongjian_kit.app import ServiceDefinition
from gongjian_organizations.app import definition as organizations

SERVICES: list[ServiceDefinition] = [organizations, activities, evaluation]
PUBLIC_NOTE = {
    DISTRICT_STATS_TOPIC: "区域统计（无个人信息，按区划代码为键，压缩主题：每个键最新一条即当前值）"
    " / District statistics, keyed by area code, compacted: the latest "
    "message per key is the current figure. No personal data.",
}


def document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for service in SERVICES:
        for event_type, schema in sorted(service.catalog.schemas.items()):
            topic = next(t for prefix, t in service.topics.items() if event_type.startswith(prefix))
            name = event_type.removeprefix("gongjian.").replace(".", "_").replace("-", "_")
            messages[name] = {
                "name": event_type,
                "title": schema.get("title", event_type),
                "contentType": "application/cloudevents+json",
                "headers": {"type": "object", "properties": {"ce_type": {"const": event_type}}},
                "payload": {
                    "type": "object",
                    "required": ["specversion", "id", "source", "type", "time", "subject", "data"],
                    "properties": {
                        "specversion": {"const": "1.0"},
                        "id": {"type": "string", "format": "uuid"},
                        "source": {"const": service.catalog.source},
                        "type": {"const": event_type},
                        "time": {"type": "string", "format": "date-time"},
                        "subject": {"type": "string"},
                        "data": {k: v for k, v in schema.items() if k != "$schema"},
                    },
                },
            }
            channel = channels.setdefault(
                topic,
                {
                    "address": topic,
                    "description": PUBLIC_NOTE.get(
                        topic,
                        f"{service.name} events, keyed by the "
                        "aggregate id (one aggregate stays in order)",
                    ),
                    "messages": {},
                },
            )
            channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    for topic in channels:
        operations[f"receive_{topic.replace('.', '_').replace('-', '_')}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{topic}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Gongjian (共建) events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 (JSON) published through each service's outbox. "
            "Consumers must be idempotent: an event may be delivered twice; "
            "its id is unique.",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render() -> str:
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
