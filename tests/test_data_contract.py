"""The data contract for subscribers, checked with stock clients, not the services' own.

Messages are read from the running stack's broker with kafka-python (not aiokafka), decoded
with the CloudEvents SDK, validated against the schemas published in docs/asyncapi.json, and
searched for the names, phones and ID numbers of the people the test registered.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.v1 import kafka as ce_kafka_v1
from kafka import KafkaConsumer, TopicPartition

from gongjian_deploy.pytest_plugin import District
from gongjian_deploy.stack import Stack
from gongjian_organizations.domain.people import id_check_char

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[1]
ASYNCAPI = json.loads((ROOT / "docs" / "asyncapi.json").read_text())
STATS_TOPIC = "gongjian.district-stats.v1"
EVALUATION_TOPIC = "gongjian.evaluation.v1"
CONTENT_TYPE = b"application/cloudevents+json"

REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""
MEMBER = """mutation($i: StartMembershipInput!) { startMembership(input: $i) {
  membership { id } errors { field code } } }"""
STATS = "query($a: String!) { areaStats(areaCode: $a) { areaCode organizationCount } }"
COVERAGE = """query($a: String!) { areaStats(areaCode: $a) {
  coverage { family required covered } } }"""


@dataclass
class Message:
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]

    @property
    def body(self) -> dict[str, Any]:
        return dict(json.loads(self.value))


def public_topics() -> list[str]:
    return sorted(
        name
        for name, channel in ASYNCAPI["channels"].items()
        if {"name": "public"} in channel.get("tags", [])
    )


def consumer(stack: Stack) -> KafkaConsumer:
    return KafkaConsumer(
        bootstrap_servers=stack.bootstrap,
        # No api_version pin: kafka-python 3.0 negotiates with Tansu (and Apache Kafka) itself.
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="data-contract-test",
    )


# Where this module starts reading each partition (its end when the module began): other test
# modules share the broker and put raw events of their own on these topics (poison messages,
# fixtures fed straight to a consumer); the contract is about what the services publish.
STARTS: dict[tuple[str, int], int] = {}


def partitions_of(client: KafkaConsumer, stack: Stack, topics: list[str]) -> list[TopicPartition]:
    namespace = stack.config.topic_namespace
    return [
        TopicPartition(namespace + topic, p)
        for topic in topics
        for p in sorted(client.partitions_for_topic(namespace + topic) or ())
    ]


def mark_starts(stack: Stack) -> None:
    """Each partition's true end now: its reported end, then past whatever follows it (see
    ``read_all``: Tansu may report the end of a batch too low)."""
    client = consumer(stack)
    try:
        partitions = partitions_of(client, stack, public_topics())
        client.assign(partitions)
        for tp, end in client.end_offsets(partitions).items():
            client.seek(tp, end)
        quiet = 0
        while quiet < 2:
            quiet = 0 if client.poll(timeout_ms=300) else quiet + 1
        for tp in partitions:
            STARTS[(tp.topic, tp.partition)] = client.position(tp)
    finally:
        client.close()


def read_all(stack: Stack, logical_topics: list[str]) -> Iterator[Message]:
    """Every message of the topics since this module began (a partition created since: from its
    beginning), until the partitions are past the end they had when asked and quiet.

    Not up to that end only: Tansu answers the end of a partition whose last write was a batch
    of several records as the batch's first offset + 1 (seen: records at offsets 0 and 1, end
    1), so a reader that stops at the end misses the batch's other records.
    """
    namespace = stack.config.topic_namespace
    client = consumer(stack)
    try:
        partitions = partitions_of(client, stack, logical_topics)
        client.assign(partitions)
        starts = {tp: STARTS.get((tp.topic, tp.partition), 0) for tp in partitions}
        for tp, start in starts.items():
            client.seek(tp, start)
        ends = client.end_offsets(partitions)
        deadline = time.monotonic() + 30
        quiet = 0
        while quiet < 2:
            assert time.monotonic() < deadline, "could not read to the end of the topics"
            polled = client.poll(timeout_ms=300)
            for tp, records in polled.items():
                for record in records:
                    yield Message(
                        tp.topic.removeprefix(namespace),
                        record.key,
                        record.value,
                        dict(record.headers),
                    )
            caught_up = all(client.position(tp) >= ends[tp] for tp in partitions)
            quiet = quiet + 1 if caught_up and not polled else 0
    finally:
        client.close()


@dataclass
class Person:
    name: str
    phone: str
    id_number: str


@pytest.fixture(scope="module")
def world(stack: Stack) -> tuple[District, list[Person]]:
    """A district with two people (names, phones, ID numbers) in a party branch of a community."""
    mark_starts(stack)
    district = District(stack)
    community = district.communities[0]
    org = district.organization(community, [district.unit(community, partyMembers=5)])
    people = []
    for i, (name, born) in enumerate((("欧阳数据", "19900102"), ("司马契约", "19851203"))):
        first17 = f"330106{born}{700 + i:03d}"
        person = Person(name, f"1377777{i:04d}", first17 + id_check_char(first17))
        result = district.admin.data(
            REGISTER,
            {
                "i": {
                    "name": person.name,
                    "idNumber": person.id_number,
                    "phone": person.phone,
                    "areaCode": community,
                    "politicalStatus": "PARTY_MEMBER",
                }
            },
        )["registerPerson"]
        assert result["errors"] == [], result
        joined = district.admin.data(
            MEMBER, {"i": {"personId": result["person"]["id"], "organizationId": org}}
        )["startMembership"]
        assert joined["errors"] == [], joined
        people.append(person)
    # The figures of the district (and so of its street and community) count the branch.
    deadline = time.monotonic() + 30
    while district.admin.data(STATS, {"a": district.code})["areaStats"]["organizationCount"] < 1:
        assert time.monotonic() < deadline, "the district's figures never counted the branch"
        time.sleep(0.2)
    return district, people


def stats_messages(stack: Stack, district: District) -> list[Message]:
    """The district-stats messages of ``district``, once every level of it has been published."""
    levels = {district.code, district.streets[0], district.communities[0]}
    deadline = time.monotonic() + 30
    while True:
        found = [
            m
            for m in read_all(stack, [STATS_TOPIC])
            if m.key is not None and m.key.decode()[:6] == district.code[:6]
        ]
        counted = {
            m.key.decode() for m in found if m.key and m.body["data"]["organizationCount"] >= 1
        }
        if levels <= counted:
            return found
        assert time.monotonic() < deadline, f"no figures on Kafka for {levels - counted}"
        time.sleep(0.2)


def test_every_public_message_decodes_with_the_cloudevents_sdk(world, stack):
    district, _ = world
    stats_messages(stack, district)
    seen: dict[str, int] = {}
    for message in read_all(stack, public_topics()):
        body = message.body
        assert message.headers == {"content-type": CONTENT_TYPE}, message.headers
        kafka_message = ce_kafka.KafkaMessage(
            headers=message.headers, key=message.key, value=message.value
        )
        for event in (
            ce_kafka.from_kafka_event(kafka_message),
            ce_kafka.from_structured(kafka_message, JSONFormat()),
        ):
            assert event.get_type() == body["type"]
            assert event.get_source() == body["source"]
            assert event.get_id() == body["id"]
            assert event.get_subject() == body["subject"]
            assert event.get_data() == body["data"]
        # The SDK's older API too (cloudevents.kafka in 1.x, cloudevents.v1.kafka in 2.x).
        old = ce_kafka_v1.from_structured(
            ce_kafka_v1.KafkaMessage(headers=message.headers, key=message.key, value=message.value)
        )
        assert (old["type"], old["source"], old["id"], old["subject"]) == (
            body["type"],
            body["source"],
            body["id"],
            body["subject"],
        )
        assert old.get_data() == body["data"]
        seen[message.topic] = seen.get(message.topic, 0) + 1
    assert seen.get("gongjian.organizations.v1", 0) > 0, seen
    assert seen.get(STATS_TOPIC, 0) > 0, seen


def test_district_stats_follow_the_published_schema_keyed_by_area_and_never_a_name(world, stack):
    district, people = world
    messages = stats_messages(stack, district)
    schemas = {
        message["name"]: message["payload"]
        for message in ASYNCAPI["components"]["messages"].values()
    }
    channel = ASYNCAPI["channels"][STATS_TOPIC]
    assert channel["bindings"]["kafka"]["topicConfiguration"]["cleanup.policy"] == ["compact"]
    published = {ref["$ref"].rsplit("/", 1)[1] for ref in channel["messages"].values()}
    everything = messages + list(read_all(stack, [EVALUATION_TOPIC]))
    for message in everything:
        body = message.body
        assert body["type"] in schemas, f"{body['type']} is not in docs/asyncapi.json"
        checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
        jsonschema.validate(body, schemas[body["type"]], format_checker=checker)
        if message.topic == STATS_TOPIC:
            name = body["type"].removeprefix("gongjian.").replace(".", "_").replace("-", "_")
            assert name in published
            assert message.key is not None
            assert message.key.decode() == body["subject"] == body["data"]["areaCode"]
        for person in people:
            for secret in (person.name, person.phone, person.id_number, person.id_number[6:14]):
                assert secret.encode() not in message.value, (message.topic, secret)
                assert all(secret.encode() not in v for v in message.headers.values())
    # The last message of a key is the current figure: every level counts the branch.
    latest = {m.key.decode(): m.body["data"] for m in messages if m.key}
    for area in (district.code, district.streets[0], district.communities[0]):
        assert latest[area]["organizationCount"] >= 1, (area, latest[area])
    assert (
        latest[district.code]["organizationCount"]
        >= latest[district.streets[0]]["organizationCount"]
    )
    # Coverage per family travels too, as the API tells it (the message is the current state).
    for area in (district.code, district.communities[0]):
        told = district.admin.data(COVERAGE, {"a": area})["areaStats"]["coverage"]
        assert latest[area]["coverage"] == told, area
        assert any(c["required"] for c in told), told


def test_no_personal_data_on_any_public_topic(world, stack):
    _, people = world
    for message in read_all(stack, public_topics()):
        for person in people:
            for secret in (person.name, person.phone, person.id_number):
                assert secret.encode() not in message.value, (message.topic, secret)


def test_every_topic_on_the_broker_is_documented(world, stack):
    district, _ = world
    stats_messages(stack, district)  # the stack has published and consumed by now
    namespace = stack.config.topic_namespace
    client = consumer(stack)
    try:
        on_broker = {
            t.removeprefix(namespace)
            for t in client.topics()
            # the stack's own topics (other tests' stacks use other namespaces on this broker)
            if t.startswith(namespace) and t.removeprefix(namespace).startswith("gongjian.")
        }
    finally:
        client.close()
    documented = set(ASYNCAPI["channels"])
    assert on_broker <= documented, f"undocumented topics: {sorted(on_broker - documented)}"
    assert set(public_topics()) <= on_broker
    for name, channel in ASYNCAPI["channels"].items():
        tags = {tag["name"] for tag in channel.get("tags", [])}
        assert tags in ({"public"}, {"internal"}), name
        if "public" in tags:
            assert channel["messages"], name
            assert "cleanup.policy" in channel["bindings"]["kafka"]["topicConfiguration"]
