"""A subscription ends when its token expires: a caller whose access lapsed hears no more."""

import asyncio
import json
import time

import pytest
import websockets

from gongjian_deploy.pytest_plugin import District
from gongjian_kit.auth import issue_token

pytestmark = pytest.mark.system

SUBSCRIBE = """subscription($code: String!) { areaStatsUpdated(areaCode: $code) {
  areaCode organizationCount } }"""


async def test_a_subscription_is_closed_when_its_token_expires(district: District):
    token = issue_token(
        district.stack.config.jwt_secret,
        subject="short-lived-subscriber",
        roles=["DATA_SUBSCRIBER"],
        area=district.code,
        ttl_s=4,
    )
    url = district.url.replace("http://", "ws://")
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "connection_ack"
        started = time.monotonic()
        await socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"code": district.code}},
                }
            )
        )
        messages = []
        while True:
            message = json.loads(await asyncio.wait_for(socket.recv(), 30))
            messages.append(message)
            if message["type"] in ("complete", "error") or (
                message["type"] == "next" and message["payload"].get("errors")
            ):
                break
        ended_after = time.monotonic() - started
    assert ended_after < 15
    text = json.dumps(messages, ensure_ascii=False)
    assert "expired" in text or "UNAUTHENTICATED" in text or "过期" in text, messages
