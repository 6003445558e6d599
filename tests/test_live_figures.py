"""District offices subscribe to live figures through the gateway over WebSocket."""

import asyncio
import json

import pytest
import websockets

from gongjian_deploy.pytest_plugin import District, token_for

pytestmark = pytest.mark.system

SUBSCRIBE = """subscription($code: String!) { areaStatsUpdated(areaCode: $code) {
  areaCode organizationCount activityCount } }"""


async def open_subscription(district: District, token: str, code: str):
    url = district.url.replace("http://", "ws://")
    socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert ack["type"] == "connection_ack"
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


async def next_message(socket, timeout_s: float = 15.0) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout_s))


async def test_street_figures_are_pushed_when_an_activity_is_logged(district: District):
    street = district.streets[0]
    token = token_for(district.stack, "DATA_SUBSCRIBER", district.code)
    socket = await open_subscription(district, token, street)
    try:
        await asyncio.sleep(0.5)  # the upstream subscription is set up
        community = district.communities[0]
        unit = await asyncio.to_thread(district.unit, community)
        org = await asyncio.to_thread(district.organization, community, [unit])
        first = await next_message(socket)
        assert first["type"] == "next", first
        assert first["payload"]["data"]["areaStatsUpdated"] == {
            "areaCode": street,
            "organizationCount": 1,
            "activityCount": 0,
        }
        await asyncio.to_thread(district.activity, [org], community)
        second = await next_message(socket)
        assert second["payload"]["data"]["areaStatsUpdated"]["activityCount"] == 1
    finally:
        await socket.close()


async def test_a_subscription_outside_the_callers_area_is_refused(district: District):
    token = token_for(district.stack, "COMMUNITY_ADMIN", district.communities[0])
    socket = await open_subscription(district, token, district.communities[1])
    try:
        message = await next_message(socket)
        assert message["type"] in {"error", "next"}
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    finally:
        await socket.close()


async def test_a_subscription_without_a_valid_token_is_refused(district: District):
    # The gateway checks the token on each subscribe and answers with an error, then completes.
    socket = await open_subscription(district, "forged", district.code)
    try:
        message = await next_message(socket)
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        await socket.close()
