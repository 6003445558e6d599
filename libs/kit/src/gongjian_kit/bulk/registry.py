"""Which kinds a service can import, and how the command line finds them.

Each service that imports files has a module ``gongjian_<service>.bulk`` with a function
``bulk_kinds()`` returning its ``BulkService``; ``discover`` collects them, so a service adds a
kind without any change to the command line.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gongjian_kit.bulk.problems import BulkError
from gongjian_kit.bulk.rows import BulkKind

if TYPE_CHECKING:
    from gongjian_kit.app import ServiceDefinition
    from gongjian_kit.settings import ServiceSettings

# `gongjian export WHAT --area CODE`: (settings, token, area code, target file) → exit code.
ExportCommand = Callable[["ServiceSettings", str, str, Path], Coroutine[Any, Any, int]]


@dataclass(frozen=True)
class BulkService:
    """What one service offers `gongjian import`, `template` and `export`."""

    name: str  # the service whose database the kinds are written to, e.g. organizations
    kinds: tuple[BulkKind[Any], ...]
    # The service's definition (event catalog, topics), loaded only when an import runs: it
    # pulls in the GraphQL schema.
    definition: Callable[[], ServiceDefinition]
    exports: Mapping[str, ExportCommand] = field(default_factory=dict)

    def kind(self, name: str) -> BulkKind[Any]:
        """The kind called ``name``; ``BulkError`` when this service has none."""
        for kind in self.kinds:
            if kind.kind == name:
                return kind
        raise unknown_kind(name, [k.kind for k in self.kinds])


def unknown_kind(name: str, known: list[str]) -> BulkError:
    """The error for a kind nobody imports, naming those that can be."""
    return BulkError(
        f"未知的导入类型：{name}（可选 {'、'.join(known)}）",
        f"Unknown kind of import: {name} (one of {', '.join(known)})",
    )


def discover(services: Iterable[str]) -> list[BulkService]:
    """The ``BulkService`` of each service that has a ``gongjian_<service>.bulk.bulk_kinds``."""
    found: list[BulkService] = []
    for service in services:
        name = f"gongjian_{service}.bulk"
        if importlib.util.find_spec(f"gongjian_{service}") is None:
            continue
        if importlib.util.find_spec(name) is None:
            continue
        declare = getattr(importlib.import_module(name), "bulk_kinds", None)
        if declare is not None:
            found.append(declare())
    return found


def service_of_kind(services: Iterable[BulkService], kind: str) -> BulkService:
    """The service that imports ``kind``; ``BulkError`` when none does."""
    services = list(services)
    for service in services:
        if any(k.kind == kind for k in service.kinds):
            return service
    raise unknown_kind(kind, [k.kind for s in services for k in s.kinds])
