"""Import as files (XLSX, CSV) with Chinese headers: the activities service's kinds (activities
logged after the fact, attendance from paper lists). The machinery (templates, reading, reports,
the one transaction) is the kit's: ``gongjian_kit.bulk``.

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
    from gongjian_activities.app import definition  # noqa: PLC0415 - pulls in the schema

    return definition


@cache
def bulk_kinds() -> BulkService:
    """What `gongjian import|template` find in this service (``gongjian_kit.bulk``)."""
    from gongjian_activities.bulk import (  # noqa: PLC0415 - the use cases, when asked
        activities,
        participations,
    )

    return BulkService(
        name="activities",
        kinds=(activities.KIND, participations.KIND),
        definition=_definition,
    )
