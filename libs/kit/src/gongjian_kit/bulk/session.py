"""One transaction for a whole import, whatever number of use-case calls it makes.

The use cases open their unit of work with ``runtime.unit_of_work()``; here that is a savepoint in
the import's own transaction, so an import writes in batches (progress, bounded statements) and
still commits once, or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from gongjian_kit.db import Connection
from gongjian_kit.runtime import Runtime, UnitOfWork


@dataclass
class TransactionRuntime(Runtime):
    """A runtime whose units of work all happen on one connection, inside its transaction."""

    connection: Connection | None = None

    @property
    def conn(self) -> Connection:
        if self.connection is None:
            raise RuntimeError("the import transaction is not open")
        return self.connection

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self.conn.transaction():  # a savepoint: the outer transaction is the import's
            yield UnitOfWork(self.conn, self)


@dataclass
class ImportTransaction:
    """The import's open transaction and whether it is to commit."""

    runtime: TransactionRuntime
    commit: bool = False  # decided by the import: rolled back unless set


@asynccontextmanager
async def import_transaction(runtime: Runtime) -> AsyncIterator[ImportTransaction]:
    """Open the import's transaction; it commits only if ``commit`` was set and nothing raised."""
    async with runtime.db.acquire() as conn:
        outer = conn.transaction()
        await outer.start()
        tx = ImportTransaction(
            TransactionRuntime(
                settings=runtime.settings,
                catalog=runtime.catalog,
                topics=runtime.topics,
                pool=runtime.pool,
                verifier=runtime.verifier,
                extras=runtime.extras,
                connection=conn,
            )
        )
        try:
            yield tx
        except BaseException:
            await outer.rollback()
            raise
        if tx.commit:
            await outer.commit()
        else:
            await outer.rollback()
