"""Which rule of the access policy governs each field of the evaluation subgraph.

Read with ``gongjian_kit.policy`` (the table) and ``gongjian_kit.field_rules`` (the kinds of
rule). Every field of the schema must be here: the schema is not built otherwise.
"""

from __future__ import annotations

from gongjian_evaluation.graphql import (
    assessments,
    awards,
    bulletins,
    figures,
    recommendations,
    schemes,
    targets,
)
from gongjian_kit.field_rules import Gate, Held, Rule, entity_key
from gongjian_kit.policy import Resource

FIGURES = Resource.FIGURES

FIELD_RULES: dict[str, Rule] = {
    **schemes.RULES,
    **assessments.RULES,
    **awards.RULES,
    **figures.RULES,
    **bulletins.RULES,
    **targets.RULES,
    **recommendations.RULES,
    # Figures of an area in the caller's area (checked against the token's area).
    "Query.areaStats": Gate(FIGURES),
    "Subscription.areaStatsUpdated": Gate(FIGURES),
    entity_key("Area"): Gate(Resource.AREAS),
    "Area.code": Held(Resource.AREAS),
    "Area.stats": Gate(FIGURES),
    **{
        f"AreaStats.{f}": Held(FIGURES)
        for f in (
            "areaCode",
            "organizationCount",
            "activityCount",
            "completedActivityCount",
            "peopleServed",
            "checkedInCount",
            "volunteerCount",
            "volunteerHours",
            "casesOpened",
            "casesResolved",
            "casesResolvedOnTime",
            "onTimeRate",
            "casesClosed",
            "satisfactionCount",
            "satisfactionSum",
            "satisfactionAverage",
            "casesOverdueEscalated",
            "pairingsActive",
            "visits",
            "pledgesMade",
            "pledgesFulfilled",
            "pledgesLapsed",
            "decisionsMade",
            "decisionsDone",
            "decisionsOverdue",
            "ventures",
            "ventureJobs",
            "venturePeopleLed",
            "updatedAt",
        )
    },
    # One organisation's figures: reached through the organisation (a record), and for
    # ORG_ADMIN only its own organisations' (the rest is null): activities, and the cases it
    # handles.
    entity_key("Organization"): Gate(Resource.RECORDS),
    "Organization.id": Held(Resource.RECORDS),
    "Organization.activitySummary": Held(FIGURES),
    **{
        f"ActivitySummary.{f}": Held(FIGURES)
        for f in (
            "activityCount",
            "completedCount",
            "peopleServed",
            "volunteerHours",
            "lastActivityAt",
        )
    },
    "Organization.caseSummary": Held(FIGURES),
    **{
        f"CaseSummary.{f}": Held(FIGURES)
        for f in (
            "casesOpened",
            "casesResolved",
            "casesResolvedOnTime",
            "onTimeRate",
            "satisfactionCount",
            "satisfactionSum",
            "satisfactionAverage",
        )
    },
}
