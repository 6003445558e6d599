"""Import and export as files (XLSX, CSV) with Chinese headers: the organizations service's
kinds (units, organisations, people: columns, reading a row, writing through the use cases) and
the coverage export. The machinery (templates, reading, reports, the one transaction) is the
kit's: ``gongjian_kit.bulk``.

Imports run in-process against the service's database in one transaction, through the same use
cases (and so the same rules) as the API.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from gongjian_kit.bulk import BulkService

if TYPE_CHECKING:
    from gongjian_kit.app import ServiceDefinition


def _definition() -> ServiceDefinition:
    from gongjian_organizations.app import definition  # noqa: PLC0415 - pulls in the schema

    return definition


@cache
def bulk_kinds() -> BulkService:
    """What `gongjian import|template|export` find in this service (``gongjian_kit.bulk``)."""
    from gongjian_organizations.bulk import (  # noqa: PLC0415 - the use cases, when asked
        commands,
        organizations,
        people,
        units,
    )

    return BulkService(
        name="organizations",
        kinds=(units.KIND, organizations.KIND, people.KIND),
        definition=_definition,
        exports={"coverage": commands.export_command},
    )
