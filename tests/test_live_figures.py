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


async def wait_for_figures(socket, wanted: dict, timeout_s: float = 15.0) -> dict:
    """The first pushed figures that include ``wanted`` (earlier pushes are skipped)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        left = deadline - asyncio.get_running_loop().time()
        message = await next_message(socket, max(left, 0.1))
        assert message["type"] == "next", message
        figures = message["payload"]["data"]["areaStatsUpdated"]
        if wanted.items() <= figures.items():
            return figures


async def test_street_figures_are_pushed_when_an_activity_is_logged(district: District):
    street = district.streets[0]
    token = token_for(district.stack, "DATA_SUBSCRIBER", district.code)
    socket = await open_subscription(district, token, street)
    try:
        await asyncio.sleep(1.0)  # the gateway opens its upstream subscription
        community = district.communities[0]
        unit = await asyncio.to_thread(district.unit, community)
        org = await asyncio.to_thread(district.organization, community, [unit])
        first = await wait_for_figures(socket, {"organizationCount": 1})
        assert first["areaCode"] == street
        await asyncio.to_thread(district.activity, [org], community)
        second = await wait_for_figures(socket, {"activityCount": 1})
        assert second == {"areaCode": street, "organizationCount": 1, "activityCount": 1}
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
