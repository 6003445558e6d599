"""A bulletin's documents behind signed links: ``/files/evaluation/bulletins/<id>.pdf`` and
``…/<id>.xlsx``. Registered on the ServiceDefinition as ``files={"bulletins/": bulletin_file}``;
the kit has checked the link's signature before this runs. Both are drawn from the figures
kept when the bulletin was generated, so they show the numbers the mutation answered."""

from __future__ import annotations

import asyncio
import re
import uuid

from gongjian_evaluation.bulletins.document import TITLE, Bulletin
from gongjian_evaluation.bulletins.pdf import render_bulletin
from gongjian_evaluation.bulletins.workbook import XLSX, render_workbook
from gongjian_evaluation.store import bulletins as store
from gongjian_kit.runtime import Runtime

PDF = "application/pdf"
NAME = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(pdf|xlsx)")


async def bulletin_file(runtime: Runtime, rest: str) -> tuple[bytes, str, str] | None:
    match = NAME.fullmatch(rest)
    if match is None:
        return None
    content = await store.content(runtime.db, uuid.UUID(match[1]))
    if content is None:
        return None
    bulletin = Bulletin.from_json(content)
    name = f"{TITLE}-{bulletin.area_code}-{bulletin.period_from}-{bulletin.period_to}"
    if match[2] == "pdf":
        return await asyncio.to_thread(render_bulletin, bulletin), PDF, f"{name}.pdf"
    return await asyncio.to_thread(render_workbook, bulletin), XLSX, f"{name}.xlsx"
