"""SQL for the last state of cases, pairings, visits, pledges, decisions and ventures.

Each state is a frozen dataclass whose fields are its table's columns (besides the subject's
id), so one read and one upsert serve them all. As in ``states``, the read locks the subject's
row (``FOR UPDATE``) until the consumer's transaction ends.
"""

from __future__ import annotations

import uuid
from dataclasses import astuple, fields
from typing import TypeVar

from gongjian_evaluation.domain.joint_work import (
    CaseState,
    DecisionState,
    PairingState,
    PledgeState,
    VentureState,
    VisitState,
)
from gongjian_kit.db import Connection

State = TypeVar(
    "State", CaseState, PairingState, VisitState, PledgeState, DecisionState, VentureState
)

# The table of each kind of state and the column of its subject's id (constants, never input).
TABLES: dict[type, tuple[str, str]] = {
    CaseState: ("case_state", "case_id"),
    PairingState: ("pairing_state", "pairing_id"),
    VisitState: ("visit_seen", "visit_id"),
    PledgeState: ("pledge_state", "pledge_id"),
    DecisionState: ("decision_state", "decision_id"),
    VentureState: ("venture_state", "venture_id"),
}


def _columns(kind: type) -> list[str]:
    return [f.name for f in fields(kind)]


async def state_of(conn: Connection, kind: type[State], subject_id: uuid.UUID) -> State | None:
    """The subject's last state (None: not heard of before), its row locked."""
    table, key = TABLES[kind]
    row = await conn.fetchrow(
        f"SELECT {', '.join(_columns(kind))} FROM {table} WHERE {key} = $1 FOR UPDATE",
        subject_id,
    )
    return None if row is None else kind(**dict(row))


async def save_state(conn: Connection, subject_id: uuid.UUID, state: State) -> None:
    table, key = TABLES[type(state)]
    columns = _columns(type(state))
    params = ", ".join(f"${n}" for n in range(2, len(columns) + 2))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
    await conn.execute(
        f"INSERT INTO {table} ({key}, {', '.join(columns)}) VALUES ($1, {params}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}",
        subject_id,
        *astuple(state),
    )
