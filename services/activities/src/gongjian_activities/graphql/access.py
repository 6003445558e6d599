"""Which rule of the access policy governs each field of the activities subgraph.

Read with ``gongjian_kit.policy`` (the table) and ``gongjian_kit.field_rules`` (the kinds of
rule). Every field of the schema must be here: the schema is not built otherwise.
"""

from __future__ import annotations

from gongjian_kit.field_rules import Gate, Held, Rule, connection_rules, entity_key, payload_rules
from gongjian_kit.policy import Action, Resource

RECORDS = Resource.RECORDS

FIELD_RULES: dict[str, Rule] = {
    # Activities in the caller's area; for ORG_ADMIN, those its own organisations organise.
    "Query.activities": Gate(RECORDS),
    "Query.activity": Gate(RECORDS),
    entity_key("Activity"): Gate(RECORDS),
    entity_key("Organization"): Gate(RECORDS),
    "Mutation.createActivity": Gate(Resource.UPKEEP, Action.WRITE),
    **{
        f"Activity.{f}": Held(RECORDS)
        for f in (
            "id",
            "title",
            "line",
            "category",
            "areaCode",
            "startsAt",
            "endsAt",
            "place",
            "status",
            "lineLabel",
            "categoryLabel",
            "statusLabel",
            # only the organisers the caller's records reach (their areas from the read model)
            "organizers",
        )
    },
    "Organization.id": Held(RECORDS),
    # An ORG_ADMIN's own organisations only; for others, activities in their area.
    "Organization.activities": Held(RECORDS),
    **connection_rules("Activity", RECORDS),
    **payload_rules("CreateActivityPayload", "activity", RECORDS),
}
