"""Dates that pass: the background task that notices them (overdue cases escalate; other parts
of the service add their own sweep to SWEEPS: pledges that lapse, decisions that fall overdue).

Each sweep handles one batch per transaction and returns how many it handled; it is called again
at once while it keeps finding work, then every ``DEADLINE_SWEEP_INTERVAL_S``. Replicas run it
side by side: the rows are taken ``FOR UPDATE SKIP LOCKED`` and marked, so each date passing
raises its event once. A failure (the database away) is logged and tried again next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from gongjian_activities.settings import activity_settings
from gongjian_activities.usecases.cases import escalate_overdue
from gongjian_activities.usecases.meetings import raise_overdue_decisions
from gongjian_activities.usecases.pledges import lapse_pledges
from gongjian_kit.runtime import Runtime

log = logging.getLogger(__name__)

Sweep = Callable[[Runtime], Awaitable[int]]
SWEEPS: list[tuple[str, Sweep]] = [
    ("cases.escalate_overdue", escalate_overdue),
    ("pledges.lapse", lapse_pledges),
    ("decisions.overdue", raise_overdue_decisions),
]
MAX_ROUNDS = 50  # batches of one sweep in a row, before the others get their turn


async def sweep_once(runtime: Runtime) -> dict[str, int]:
    """Run every sweep until it finds nothing more (or MAX_ROUNDS batches): how many each did."""
    done: dict[str, int] = {}
    for name, sweep in SWEEPS:
        total = 0
        for _ in range(MAX_ROUNDS):
            handled = await sweep(runtime)
            total += handled
            if not handled:
                break
        done[name] = total
    return done


async def sweep_deadlines(runtime: Runtime, stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        try:
            done = await sweep_once(runtime)
            if any(done.values()):
                log.info("deadline sweep: %s", done)
        except Exception:  # the database away, a deadlock: the next round tries again
            log.exception("deadline sweep failed; trying again next round")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                stopping.wait(), timeout=activity_settings().deadline_sweep_interval_s
            )
