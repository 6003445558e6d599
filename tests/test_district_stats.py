"""District statistics through the gateway: a new subscription first gets the current figures,
then the changes (coalesced by evaluation's publisher); the monthly history."""

import asyncio
import json

import pytest
import websockets

from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_kit import clock

pytestmark = pytest.mark.system

SUBSCRIBE = """subscription($code: String!) { areaStatsUpdated(areaCode: $code) {
  areaCode organizationCount activityCount } }"""
HISTORY = """query($c: String!, $f: Date!, $t: Date!) {
  areaStatsHistory(areaCode: $c, fromMonth: $f, toMonth: $t) { month areaCode activityCount } }"""


async def subscribe(district: District, code: str):
    token = token_for(district.stack, "DATA_SUBSCRIBER", district.code)
    socket = await websockets.connect(
        district.url.replace("http://", "ws://"), subprotocols=["graphql-transport-ws"]
    )
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "connection_ack"
    await socket.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"code": code}},
            }
        )
    )
    return socket


async def figures(socket) -> dict:
    message = json.loads(await asyncio.wait_for(socket.recv(), 15))
    assert message["type"] == "next", message
    return message["payload"]["data"]["areaStatsUpdated"]


async def test_a_subscription_starts_with_the_current_figures_then_the_changes(
    district: District,
):
    community = district.communities[0]
    unit = await asyncio.to_thread(district.unit, community)
    org = await asyncio.to_thread(district.organization, community, [unit])
    await asyncio.to_thread(district.activity, [org], community)
    street = district.streets[0]
    # Until evaluation counts the activity (the publisher has then published it too).
    query = "query($c: String!) { areaStats(areaCode: $c) { activityCount } }"
    for _ in range(150):
        if district.admin.data(query, {"c": street})["areaStats"]["activityCount"] == 1:
            break
        await asyncio.sleep(0.1)
    socket = await subscribe(district, street)
    try:
        # No change happens: the first message is what the figures are now.
        first = await figures(socket)
        assert first == {"areaCode": street, "organizationCount": 1, "activityCount": 1}
        await asyncio.to_thread(district.activity, [org], community)
        while (changed := await figures(socket))["activityCount"] != 2:
            pass
        assert changed == {"areaCode": street, "organizationCount": 1, "activityCount": 2}
    finally:
        await socket.close()

    today = clock.today()
    month = today.replace(day=1).isoformat()
    history = district.admin.data(HISTORY, {"c": street, "f": month, "t": today.isoformat()})[
        "areaStatsHistory"
    ]
    assert history == [{"month": month, "areaCode": street, "activityCount": 2}]
