"""`gongjian up` as ops would meet it: Ctrl-C stops everything; a dead broker stops the rest."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.system


def start_runner(state_dir: Path, *, demo: bool = False) -> subprocess.Popen[str]:
    env = {**os.environ, "GONGJIAN_STATE_DIR": str(state_dir)}
    # The runner picks other ports when 4000-4003 are taken (by a `make up` beside the tests).
    return subprocess.Popen(
        [sys.executable, "-m", "gongjian_deploy.cli", "up", *([] if demo else ["--no-demo"])],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_up(runner: subprocess.Popen[str], state_dir: Path) -> dict[str, int]:
    deadline = time.monotonic() + 120
    state = state_dir / "state.json"
    while not state.exists():
        assert runner.poll() is None, runner.stderr.read() if runner.stderr else ""
        assert time.monotonic() < deadline, "the stack did not come up"
        time.sleep(0.2)
    pids: dict[str, int] = json.loads(state.read_text())["pids"]
    return pids


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: its parent has not reaped it yet.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


def wait_gone(pids: list[int], timeout_s: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_ctrl_c_stops_every_part(tmp_path: Path):
    runner = start_runner(tmp_path)
    try:
        pids = wait_until_up(runner, tmp_path)
        assert set(pids) >= {"organizations", "activities", "evaluation", "gateway", "broker"}
        runner.send_signal(signal.SIGINT)
        assert runner.wait(60) == 0
        assert wait_gone(list(pids.values())) == []
        assert not (tmp_path / "state.json").exists()
    finally:
        if runner.poll() is None:
            runner.kill()


def test_a_dead_broker_is_reported_and_the_rest_stopped(tmp_path: Path):
    runner = start_runner(tmp_path)
    try:
        pids = wait_until_up(runner, tmp_path)
        os.kill(pids["broker"], signal.SIGKILL)
        assert runner.wait(60) == 1
        assert "broker" in (runner.stderr.read() if runner.stderr else "")
        assert wait_gone(list(pids.values())) == []
    finally:
        if runner.poll() is None:
            runner.kill()


def test_make_up_loads_the_demo_data_through_the_api(tmp_path: Path):
    """What people try first: the demo data goes in through the same API rules (a rule the
    demo broke once went unnoticed because every other test starts empty)."""
    runner = start_runner(tmp_path, demo=True)
    try:
        assert runner.stdout is not None
        lines = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = runner.stdout.readline()
            if not line:
                break  # the runner ended
            lines.append(line)
            if "Gongjian is up" in line:
                break
        assert any("Gongjian is up" in line for line in lines), "".join(lines) + (
            runner.stderr.read() if runner.poll() is not None else ""
        )
        assert any("'activities': 24" in line for line in lines), "".join(lines)
        assert any("'cases': 5" in line for line in lines), "".join(lines)
        assert any("'cycles': 1" in line for line in lines), "".join(lines)
        runner.send_signal(signal.SIGINT)
        assert runner.wait(60) == 0
    finally:
        if runner.poll() is None:
            runner.kill()
