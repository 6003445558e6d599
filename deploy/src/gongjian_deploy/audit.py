"""`gongjian audit --person ID | --subject SUB`: the audit rows of personal data.

Every unmasked read of an ID number or phone, every look-up by ID number, every registration
refused because the ID number or credit code was taken, and every refusal for too many look-ups
is a row in the organizations database (``personal_data_access``): when, who (subject, roles,
area), which request, whose record, which field and why. This prints them, oldest first.

The database is ``--database-url``, else ``DATABASE_URL`` (as a deployed service has it), else
the organizations database of the stack that `gongjian up` is running.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from datetime import datetime
from typing import Any, TextIO

import asyncpg

from gongjian_organizations.store.audit import rows_about

COLUMNS = ("read_at", "actor", "roles", "area", "request_id", "person_id", "unit_id", "field")


def _database_url(given: str | None) -> str | None:
    if given:
        return given
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from gongjian_deploy.cli import _read_state  # noqa: PLC0415 - the CLI imports this module

    found = _read_state().get("organizations_database_url")
    return str(found) if found else None


def _line(row: asyncpg.Record) -> str:
    at = row["read_at"].isoformat(timespec="seconds")
    roles = ",".join(row["roles"] or []) or "-"
    whose = f"person {row['person_id']}" if row["person_id"] else ""
    if row["unit_id"]:
        whose = f"unit {row['unit_id']}"
    detail = f" ({row['detail']})" if row["detail"] else ""
    who = f"{row['actor']}  [{roles} @ {row['area'] or '-'}]"
    request = f"request {row['request_id'] or '-'}"
    return f"{at}  {who}  {request}  {row['reason']} {row['field']}{detail}  {whose}".rstrip()


async def print_audit(
    url: str,
    *,
    person: uuid.UUID | None,
    subject: str | None,
    since: datetime | None,
    as_json: bool,
    out: TextIO,
) -> int:
    conn = await asyncpg.connect(url)
    try:
        rows = await rows_about(conn, person_id=person, subject=subject, since=since)
    finally:
        await conn.close()
    for row in rows:
        if as_json:
            record: dict[str, Any] = {k: row[k] for k in row.keys()}  # noqa: SIM118
            print(json.dumps(record, default=str, ensure_ascii=False), file=out)
        else:
            print(_line(row), file=out)
    if not as_json:
        print(f"{len(rows)} 条记录 / rows", file=out)
    return 0


def audit(args: argparse.Namespace) -> int:
    url = _database_url(args.database_url)
    if url is None:
        print(
            "no running stack found (start it with `make up`), and neither --database-url nor "
            "DATABASE_URL is given",
            file=sys.stderr,
        )
        return 2
    try:
        person = uuid.UUID(args.person) if args.person else None
        since = datetime.fromisoformat(args.since) if args.since else None
    except ValueError as exc:
        print(f"人员编号或日期格式无效 / Malformed person id or date: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(
        print_audit(
            url,
            person=person,
            subject=args.subject,
            since=since,
            as_json=args.json,
            out=sys.stdout,
        )
    )


def register(commands: Any) -> None:
    """Add `audit` to the `gongjian` command."""
    audit_cmd = commands.add_parser(
        "audit",
        help="print the audit of personal data: about a person, or by a subject",
        description=(
            "Unmasked reads, look-ups by ID number, refused duplicates and refusals for too "
            "many look-ups, oldest first."
        ),
    )
    which = audit_cmd.add_mutually_exclusive_group(required=True)
    which.add_argument("--person", help="a person's id: every access to their record")
    which.add_argument("--subject", help="a token's subject: everything they did")
    audit_cmd.add_argument("--since", help="ISO date or time, e.g. 2026-11-01")
    audit_cmd.add_argument("--json", action="store_true", help="one JSON object per line")
    audit_cmd.add_argument(
        "--database-url",
        help="the organizations database (default: $DATABASE_URL, else the running `gongjian up`)",
    )
    audit_cmd.set_defaults(run=audit)
