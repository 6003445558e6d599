"""Which rule of the access policy governs each field of the organizations subgraph.

Read with ``gongjian_kit.policy`` (the table of who may do what) and ``gongjian_kit.field_rules``
(what each kind of rule does). Every field of the schema must be here: the schema is not built
otherwise, and ``tests/test_access_policy.py`` checks the committed SDL against this mapping.
"""

from __future__ import annotations

from gongjian_kit.field_rules import (
    Authenticated,
    Gate,
    Graded,
    Held,
    Open,
    Rule,
    connection_rules,
    entity_key,
    payload_rules,
)
from gongjian_kit.policy import Action, Resource
from gongjian_organizations.graphql.people import id_number_fallback, phone_fallback

FIGURES, AREAS, RECORDS = Resource.FIGURES, Resource.AREAS, Resource.RECORDS
NAME, PERSONAL, SECRET = Resource.PERSON_NAME, Resource.PERSONAL, Resource.PERSONAL_SECRET
WRITE = Action.WRITE


def _held(type_name: str, resource: Resource, *fields: str) -> dict[str, Rule]:
    return {f"{type_name}.{f}": Held(resource) for f in fields}


def _graded(type_name: str, resource: Resource, *fields: str) -> dict[str, Rule]:
    return {f"{type_name}.{f}": Graded(resource) for f in fields}


FIELD_RULES: dict[str, Rule] = {
    # Roots: each gated by its right; the rows come from SQL scoped by policy.reach.
    "Query.areas": Gate(AREAS),
    "Query.area": Gate(AREAS),
    "Query.searchAreas": Gate(AREAS),
    "Query.labels": Authenticated("enum labels"),
    "Query.organizations": Gate(RECORDS),
    "Query.organization": Gate(RECORDS),
    "Query.units": Gate(RECORDS),
    "Query.unit": Gate(RECORDS),
    "Query.coverage": Gate(FIGURES),
    "Query.coverageGaps": Gate(RECORDS),
    "Query.organizationsDueForReelection": Gate(RECORDS),
    "Query.people": Gate(NAME),
    "Query.person": Gate(NAME),
    # A look-up by ID number serves registration (查重): it needs the right to register people.
    "Query.personByIdNumber": Gate(PERSONAL, WRITE),
    entity_key("Area"): Gate(AREAS),
    entity_key("Organization"): Gate(RECORDS),
    # As Query.person: the loader admits only people the caller may see, with their grants.
    entity_key("Person"): Gate(NAME),
    "Mutation.createArea": Gate(AREAS, WRITE),
    "Mutation.renameArea": Gate(AREAS, WRITE),
    "Mutation.registerUnit": Gate(RECORDS, WRITE),
    "Mutation.updateUnit": Gate(RECORDS, WRITE),
    "Mutation.closeUnit": Gate(RECORDS, WRITE),
    "Mutation.establishOrganization": Gate(RECORDS, WRITE),
    "Mutation.dissolveOrganization": Gate(RECORDS, WRITE),
    "Mutation.renameOrganization": Gate(RECORDS, WRITE),
    "Mutation.reestablishOrganization": Gate(RECORDS, WRITE),
    "Mutation.registerPerson": Gate(PERSONAL, WRITE),
    "Mutation.changePoliticalStatus": Gate(PERSONAL, WRITE),
    "Mutation.startMembership": Gate(Resource.UPKEEP, WRITE),
    "Mutation.endMembership": Gate(Resource.UPKEEP, WRITE),
    "Mutation.appointLeader": Gate(Resource.UPKEEP, WRITE),
    "Mutation.endLeaderTerm": Gate(Resource.UPKEEP, WRITE),
    "Mutation.createGroup": Gate(Resource.UPKEEP, WRITE),
    "Mutation.dissolveGroup": Gate(Resource.UPKEEP, WRITE),
    "Mutation.addGroupMember": Gate(Resource.UPKEEP, WRITE),
    # Areas: admitted by the area loaders (the caller's area); their coverage is a figure.
    **_held("Area", AREAS, "code", "name", "level", "levelLabel", "parent", "children", "path"),
    "Area.coverage": Gate(FIGURES),
    **_held("AreaCoverage", FIGURES, "areaCode", "families"),
    **_held(
        "FamilyCoverage",
        FIGURES,
        "family",
        "units",
        "unitsRequired",
        "unitsCovered",
        "coveredNotRequired",
        "rate",
        "gaps",
        "familyLabel",
    ),
    # Units and organisations: admitted by loaders and SQL scoped by RECORDS' reach (the area;
    # for ORG_ADMIN its own organisations and the units they cover).
    **_held(
        "Unit",
        RECORDS,
        "id",
        "name",
        "kind",
        "creditCode",
        "areaCode",
        "employees",
        "partyMembers",
        "leagueMembers",
        "unionMembers",
        "women",
        "youth",
        "closedOn",
        "kindLabel",
        "coverage",
    ),
    "Unit.area": Held(AREAS),
    **_held("UnitFamilyCoverage", RECORDS, "family", "required", "covered", "mode"),
    **_held("UnitFamilyCoverage", RECORDS, "familyLabel", "modeLabel"),
    **_held(
        "Organization",
        RECORDS,
        "id",
        "name",
        "kind",
        "family",
        "establishment",
        "areaCode",
        "foundedOn",
        "dissolvedOn",
        "kindLabel",
        "establishmentLabel",
        "active",
        "units",
        "parent",
        "hostOrganization",
        "leaders",
        "groups",
    ),
    "Organization.area": Held(AREAS),
    # Members are people: the list holds only those whose names the caller may see.
    "Organization.members": Gate(NAME),
    **_held("ReelectionDue", RECORDS, "organization", "termEndsOn", "overdue"),
    **_held(
        "FunctionalGroup",
        RECORDS,
        "id",
        "name",
        "kind",
        "createdOn",
        "dissolvedOn",
        "memberCount",
        "kindLabel",
    ),
    # A leader's post and term are the organisation's record; who holds it is a person's name.
    **_held(
        "Leader", RECORDS, "id", "post", "termStart", "termEnd", "endedOn", "postLabel", "current"
    ),
    "Leader.person": Held(NAME),
    # A membership is a person's role in an organisation (admitted with the person's name).
    **_held("Membership", NAME, "id", "role", "since", "until", "person"),
    "Membership.organization": Held(RECORDS),
    # People: the loader admits a person with the classes of their data the caller may read
    # (policy.person_grants); each field shows only what those grants hold.
    **_held("Person", NAME, "id", "name", "personalDataVisible"),
    **_graded(
        "Person",
        PERSONAL,
        "gender",
        "genderLabel",
        "politicalStatus",
        "politicalStatusLabel",
        "areaCode",
        "migrantWorker",
        "ageBand",
        "leagueOverage",
        "politicalStatusHistory",
        "employer",
        "memberships",
    ),
    **_graded("Person", SECRET, "birthDate", "age"),
    "Person.idNumber": Graded(SECRET, id_number_fallback),
    "Person.phone": Graded(SECRET, phone_fallback),
    **_held("PoliticalStatusChange", PERSONAL, "status", "since"),
    # Enum labels: no data.
    **{
        f"Labels.{f}": Open("enum labels")
        for f in (
            "areaLevels",
            "unitKinds",
            "organizationKinds",
            "organizationFamilies",
            "establishments",
            "coverageModes",
            "politicalStatuses",
            "genders",
            "leaderPosts",
            "groupKinds",
        )
    },
    "EnumLabel.value": Open("enum labels"),
    "EnumLabel.label": Open("enum labels"),
    # Lists and payloads: what they hold was admitted as above.
    **connection_rules("Organization", RECORDS),
    **connection_rules("Unit", RECORDS),
    **connection_rules("Person", NAME),
    **connection_rules("Membership", NAME),
    **connection_rules("ReelectionDue", RECORDS),
    **payload_rules("CreateAreaPayload", "area", AREAS),
    **payload_rules("AreaPayload", "area", AREAS),
    **payload_rules("RegisterUnitPayload", "unit", RECORDS),
    **payload_rules("UnitPayload", "unit", RECORDS),
    **payload_rules("EstablishOrganizationPayload", "organization", RECORDS),
    **payload_rules("DissolveOrganizationPayload", "organization", RECORDS),
    **payload_rules("OrganizationPayload", "organization", RECORDS),
    **payload_rules("PersonPayload", "person", NAME),
    **payload_rules("MembershipPayload", "membership", NAME),
    **payload_rules("LeaderPayload", "leader", RECORDS),
    **payload_rules("GroupPayload", "group", RECORDS),
}
