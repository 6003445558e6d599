"""The gateway as production runs it: no introspection, no suggestions, subgraphs still answer."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import pytest

from gongjian_deploy.infra import free_port, stop_process, wait_for_port
from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_deploy.stack import GATEWAY_BINARY, GATEWAY_DIR, Stack

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def production_gateway(stack: Stack) -> Iterator[str]:
    port = free_port()
    env = stack.gateway_env(port, environment="production")
    log = open(stack.config.workdir / "logs" / "gateway-production.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [str(GATEWAY_BINARY), "supergraph"],
        env=env,
        cwd=GATEWAY_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, 90, "production gateway", process)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        stop_process(process)
        log.close()


def test_production_gateway_hides_the_schema_but_answers(
    production_gateway: str, district: District
):
    token = token_for(district.stack, "DISTRICT_ADMIN", district.code)
    headers = {"authorization": f"Bearer {token}"}

    def ask(query: str) -> dict:
        return httpx.post(
            production_gateway, json={"query": query}, headers=headers, timeout=20
        ).json()

    wrong = ask("{ organizatons(first: 1) { totalCount } }")
    assert wrong["errors"]
    assert "Did you mean" not in str(wrong)
    assert "__schema" not in str(ask("{ __schema { types { name } } }").get("data") or {})
    # Cross-subgraph joins still work: the gateway's secret reaches the subgraphs' _entities.
    answer = ask(
        "{ organizations(first: 1) { totalCount edges { node { name "
        "activitySummary { activityCount } activities(first: 1) { totalCount } } } } }"
    )
    assert "errors" not in answer, answer


def test_production_gateway_refuses_to_start_without_the_secret(stack: Stack):
    env = {**stack.gateway_env(free_port(), environment="production"), "GATEWAY_SECRET": ""}
    done = subprocess.run(
        [str(GATEWAY_BINARY), "supergraph"],
        env=env,
        cwd=GATEWAY_DIR,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode != 0
    assert "GATEWAY_SECRET" in done.stdout + done.stderr
