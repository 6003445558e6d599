"""Running an import of the organizations service by the name of its kind (units,
organizations, people); the machinery is the kit's (``gongjian_kit.bulk.runner``)."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from gongjian_kit.auth import Caller
from gongjian_kit.bulk import runner
from gongjian_kit.bulk.runner import ImportResult
from gongjian_kit.runtime import Runtime
from gongjian_organizations.bulk import bulk_kinds


def run_import(
    runtime: Runtime, caller: Caller, kind: str, path: Path, **options: Any
) -> Coroutine[Any, Any, ImportResult]:
    """Import ``path`` as ``kind`` for ``caller`` in one transaction: the kit's ``run_import``
    (``options``: ``skip_invalid``, ``progress``)."""
    return runner.run_import(runtime, caller, bulk_kinds().kind(kind), path, **options)
