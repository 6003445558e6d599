"""`gongjian keys rotate`: re-encrypt people's personal data under the current key.

Rotating the personal data key without downtime (every replica must read every ciphertext that
exists while it runs):

1. Put the new key in every replica as readable only: ``PERSONAL_DATA_OLD_KEYS=2:<new>`` (with
   ``PERSONAL_DATA_KEY`` still the old key, version 1). Roll out. (With one replica, or if a
   few seconds of masked numbers during the roll-out are acceptable, skip this step.)
2. Make it current: ``PERSONAL_DATA_KEY=<new>``, ``PERSONAL_DATA_KEY_VERSION=2``,
   ``PERSONAL_DATA_OLD_KEYS=1:<old>``. Roll out. New rows are now written under version 2.
3. Run ``gongjian keys rotate`` with that same configuration. It re-encrypts, 1000 rows per
   short transaction (``FOR NO KEY UPDATE SKIP LOCKED``, in id order), every ciphertext whose
   header is not the current version, legacy (unversioned) ones included, while the service
   keeps serving. Rows a writer holds are taken in a further pass. A second run re-encrypts
   nothing.
4. Once it reports 0 left, remove ``1:<old>`` from ``PERSONAL_DATA_OLD_KEYS`` and roll out.

The HMAC key (``PERSONAL_DATA_HMAC_KEY``) is not rotated: the lookup hashes would all change.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from gongjian_kit.db import Connection
from gongjian_kit.personal_data import PersonalDataError, PersonalDataProtector

FIELDS = (("id_number_enc", "idNumber"), ("phone_enc", "phone"))
# A ciphertext is due when it does not start with the current header (HEADER_BYTES bytes).
DUE = "(substring(id_number_enc FROM 1 FOR $2) <> $1 OR substring(phone_enc FROM 1 FOR $2) <> $1)"
FIRST_ID = uuid.UUID(int=0)
# Passes over the table: rows locked by a writer are skipped in one pass, taken in the next.
MAX_PASSES = 5


@dataclass
class Rotation:
    """What a run did."""

    version: int
    reencrypted: int = 0  # people whose ciphertexts were rewritten
    batches: int = 0
    failed: dict[uuid.UUID, str] = field(default_factory=dict)  # person → why (no data)
    left: int = 0  # still due at the end (locked the whole time, or failed)
    # Registered during the run under an older version: a replica still writes with an old key
    # (and cannot read what this run wrote).
    written_meanwhile: int = 0


async def rotate(
    conn: Connection,
    protector: PersonalDataProtector,
    *,
    batch_size: int = 1000,
    progress: Callable[[str], None] = print,
) -> Rotation:
    """Re-encrypt every person's ciphertexts that are not under the current key version."""
    head = protector.current_header
    report = Rotation(protector.version)
    started = await conn.fetchval("SELECT clock_timestamp()")
    for _ in range(MAX_PASSES):
        last = FIRST_ID
        while True:
            async with conn.transaction():
                rows = await conn.fetch(
                    "SELECT id, id_number_enc, phone_enc, created_at FROM person "
                    f"WHERE id > $3 AND {DUE} AND NOT id = ANY($4::uuid[]) "
                    # NO KEY UPDATE, as the UPDATE takes: an audited read's foreign key check
                    # (FOR KEY SHARE on the person) neither blocks it nor is blocked by it.
                    "ORDER BY id LIMIT $5 FOR NO KEY UPDATE SKIP LOCKED",
                    head,
                    len(head),
                    last,
                    list(report.failed),
                    batch_size,
                )
                if not rows:
                    break
                updates = []
                for row in rows:
                    try:
                        updates.append((row["id"], *_reencrypted(protector, row)))
                    except PersonalDataError as error:
                        report.failed[row["id"]] = str(error)
                    else:
                        if row["created_at"] >= started:
                            report.written_meanwhile += 1
                await conn.executemany(
                    "UPDATE person SET id_number_enc = $2, phone_enc = $3 WHERE id = $1", updates
                )
            last = rows[-1]["id"]
            report.batches += 1
            report.reencrypted += len(updates)
            progress(
                f"batch {report.batches}: re-encrypted {len(updates)} "
                f"(total {report.reencrypted}), up to id {last}"
            )
        report.left = int(
            await conn.fetchval(
                f"SELECT count(*) FROM person WHERE {DUE} AND NOT id = ANY($3::uuid[])",
                head,
                len(head),
                list(report.failed),
            )
        )
        if not report.left:
            break
        progress(f"{report.left} rows still due (held by a writer, or new); another pass …")
        await asyncio.sleep(0.5)
    report.left += len(report.failed)
    if report.written_meanwhile:
        progress(
            f"warning: {report.written_meanwhile} people registered during this run were not "
            f"under key version {protector.version}: some replica still runs with an older "
            "PERSONAL_DATA_KEY and cannot read what this run wrote; deploy the new key to "
            "every replica and run again"
        )
    return report


def _reencrypted(protector: PersonalDataProtector, row: asyncpg.Record) -> list[bytes | None]:
    found: list[bytes | None] = []
    for column, name in FIELDS:
        blob = row[column]
        if blob is None or protector.is_current(bytes(blob)):
            found.append(None if blob is None else bytes(blob))
        else:
            found.append(protector.reencrypt(bytes(blob), name, row["id"]))
    return found


async def rotate_command(args: argparse.Namespace) -> int:
    from gongjian_deploy.cli import _service_settings  # noqa: PLC0415

    settings = _service_settings(args)
    protector = PersonalDataProtector.from_settings(settings)  # checks every key first
    print(
        f"re-encrypting personal data under key version {protector.version} "
        f"(readable: {', '.join(map(str, protector.readable_versions))}; 0 is legacy) …",
        flush=True,
    )
    conn = await asyncpg.connect(settings.database_url)
    try:
        report = await rotate(
            conn,
            protector,
            batch_size=args.batch_size,
            progress=lambda line: print(line, flush=True),
        )
    finally:
        await conn.close()
    for person, why in sorted(report.failed.items()):
        print(f"not re-encrypted: person {person}: {why}", file=sys.stderr)
    print(
        f"re-encrypted {report.reencrypted} people to key version {report.version} in "
        f"{report.batches} batches; {len(report.failed)} could not be decrypted; "
        f"{report.left} not under version {report.version}",
        flush=True,
    )
    return 1 if report.left or report.written_meanwhile else 0


def keys(args: argparse.Namespace) -> int:
    from gongjian_kit.personal_data import PersonalDataKeyError  # noqa: PLC0415

    try:
        return asyncio.run(rotate_command(args))
    except PersonalDataKeyError as error:
        print(f"gongjian keys rotate: {error}", file=sys.stderr)
        return 2


def register(commands: Any) -> None:
    """Add `keys rotate` to the `gongjian` command."""
    keys_cmd = commands.add_parser("keys", help="personal data keys: rotation")
    actions = keys_cmd.add_subparsers(dest="action", required=True)
    rotate_cmd = actions.add_parser(
        "rotate",
        help="re-encrypt personal data under the current PERSONAL_DATA_KEY (idempotent)",
        description=(
            "Re-encrypts every person's ID number and phone not yet under "
            "PERSONAL_DATA_KEY_VERSION, in short batches, while the service runs. Every "
            "replica must already run with this PERSONAL_DATA_KEY (old keys in "
            "PERSONAL_DATA_OLD_KEYS). Exit codes: 0 all current; 1 some rows left (see the "
            "messages); 2 a key is missing or malformed."
        ),
    )
    rotate_cmd.add_argument(
        "--database-url",
        help="the organizations database (default: the running `gongjian up`, else "
        "$DATABASE_URL); keys from PERSONAL_DATA_KEY, PERSONAL_DATA_KEY_VERSION, "
        "PERSONAL_DATA_OLD_KEYS, PERSONAL_DATA_HMAC_KEY",
    )
    rotate_cmd.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")
    rotate_cmd.set_defaults(run=keys)
