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
from gongjian_kit.consumer import dlq_topic
from gongjian_kit.kafka import CLOUDEVENTS_CONTENT_TYPE
from gongjian_kit.runtime import Runtime
from gongjian_kit.settings import ServiceSettings
from gongjian_organizations.app import definition as organizations

SERVICES: list[ServiceDefinition] = [organizations, activities, evaluation]
CONTENT_TYPE = CLOUDEVENTS_CONTENT_TYPE.decode()
# Every consumer reads it to notice a broker that lost its data (gongjian_kit.app, consumer.py).
BROKER_EPOCH_TOPIC = "gongjian.broker-epoch"
KAFKA_BINDING = "0.5.0"
PUBLIC_NOTE = {
    DISTRICT_STATS_TOPIC: "区域统计（无个人信息，按区划代码为键，压缩主题：每个键最新一条即当前值）"
    " / District statistics, keyed by area code, compacted: the latest "
    "message per key is the current figure. No personal data.",
}
KEY_NOTE = {
    DISTRICT_STATS_TOPIC: "区划代码 / The area code (12 digits), also the event's subject and "
    "data.areaCode",
}
HEADERS = {
    "type": "object",
    "description": "CloudEvents Kafka protocol binding, structured content mode: the value is the "
    "whole event (JSON); no ce_* header (one would mean binary mode to a CloudEvents SDK).",
    "required": ["content-type"],
    "properties": {"content-type": {"const": CONTENT_TYPE}},
}


def consumed_topics(service: ServiceDefinition) -> list[str]:
    """The topics ``service``'s consumers read (each has its dead-letter topic)."""
    runtime = Runtime(
        settings=ServiceSettings(service_name=service.name, topic_namespace=""),
        catalog=service.catalog,
        topics=service.topics,
    )
    return sorted({topic for spec in service.consumers(runtime) for topic in spec.topics})


def internal_channels() -> dict[str, Any]:
    """Topics the services keep for themselves: listed so no topic goes undocumented."""
    channels: dict[str, Any] = {}
    for service in SERVICES:
        for topic in consumed_topics(service):
            channel = channels.setdefault(
                dlq_topic(topic),
                {
                    "address": dlq_topic(topic),
                    "description": "内部主题，请勿订阅 / Internal: the events of "
                    f"{topic} a consumer could not apply (a person looks at them with "
                    "`gongjian dlq`), original value and headers plus dlq_* headers. "
                    "Not a contract.",
                    "tags": [{"name": "internal"}],
                    "x-consumers": [],
                },
            )
            channel["x-consumers"].append(service.name)
    channels[BROKER_EPOCH_TOPIC] = {
        "address": BROKER_EPOCH_TOPIC,
        "description": "内部主题，请勿订阅 / Internal: one marker message per broker life; "
        "a consumer that finds a new one knows the broker lost its data and reads again "
        "from the start. Not a contract.",
        "tags": [{"name": "internal"}],
        "bindings": {"kafka": {"partitions": 1, "bindingVersion": KAFKA_BINDING}},
    }
    return channels


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
                "contentType": CONTENT_TYPE,
                "headers": HEADERS,
                "bindings": {
                    "kafka": {
                        "key": {
                            "type": "string",
                            "description": KEY_NOTE.get(
                                topic, "The aggregate's id, also the event's subject"
                            ),
                        },
                        "bindingVersion": KAFKA_BINDING,
                    }
                },
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
            compacted = topic in service.compacted_topics
            channel = channels.setdefault(
                topic,
                {
                    "address": topic,
                    "description": PUBLIC_NOTE.get(
                        topic,
                        f"{service.name} events, keyed by the "
                        "aggregate id (one aggregate stays in order)",
                    ),
                    "tags": [{"name": "public"}],
                    "bindings": {
                        "kafka": {
                            "topicConfiguration": {
                                "cleanup.policy": ["compact"] if compacted else ["delete"]
                            },
                            "bindingVersion": KAFKA_BINDING,
                        }
                    },
                    "messages": {},
                },
            )
            channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    for topic in channels:
        operations[f"receive_{topic.replace('.', '_').replace('-', '_')}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{topic}"},
        }
    channels.update(internal_channels())
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Gongjian (共建) events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 (JSON, structured content mode of the Kafka "
            "protocol binding: header content-type: application/cloudevents+json) published "
            "through each service's outbox. Channels tagged public are the contract; those "
            "tagged internal are the services' own. "
            "Consumers must be idempotent: an event may be delivered twice; "
            "its id is unique.",
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render() -> str:
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
