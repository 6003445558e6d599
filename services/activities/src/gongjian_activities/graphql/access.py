"""Which rule of the access policy governs each field of the activities subgraph.

Read with ``gongjian_kit.policy`` (the table) and ``gongjian_kit.field_rules`` (the kinds of
rule). Every field of the schema must be here: the schema is not built otherwise.
"""

from __future__ import annotations

from gongjian_activities.graphql import cases, commitments, pairings
from gongjian_kit.field_rules import (
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

RECORDS = Resource.RECORDS
UPKEEP = Gate(Resource.UPKEEP, Action.WRITE)

ACTIVITY_FIELDS = (
    "id",
    "title",
    "line",
    "category",
    "serviceKind",
    "areaCode",
    "startsAt",
    "endsAt",
    "place",
    "description",
    "capacity",
    "takenPlaces",
    "placesLeft",
    "status",
    "peopleServed",
    "summary",
    "cancelReason",
    "publishedAt",
    "startedAt",
    "completedAt",
    "cancelledAt",
    "lineLabel",
    "categoryLabel",
    "statusLabel",
    "serviceKindLabel",
    # only the organisers the caller's records reach (their areas from the read model)
    "organizers",
    # everyone's for those who keep an organiser; one's own (SELF) for others
    "participations",
)

PARTICIPATION_FIELDS = (
    "id",
    "role",
    "status",
    "signedUpAt",
    "checkedInAt",
    "checkInMethod",
    "checkedOutAt",
    "claimedHours",
    "hoursStatus",
    "verifiedHours",
    "rejectReason",
    "roleLabel",
    "statusLabel",
    "hoursStatusLabel",
    # the activity only when it lies in the caller's records
    "activity",
    # a reference: the organizations subgraph shows the person under its own rules
    "person",
)

FIELD_RULES: dict[str, Rule] = {
    # Each part of the service brings its own rules.
    **cases.RULES,
    **pairings.RULES,
    **commitments.RULES,
    # Activities in the caller's area; for ORG_ADMIN, those its own organisations organise.
    "Query.activities": Gate(RECORDS),
    "Query.activity": Gate(RECORDS),
    # The code is shown to those who keep one of the activity's organisers (checked inside).
    "Query.activityCheckInCode": UPKEEP,
    # People ranked by hours in the caller's area: a reference each, the name is the
    # organizations subgraph's to show or not.
    "Query.topVolunteers": Gate(RECORDS),
    entity_key("Activity"): Gate(RECORDS),
    entity_key("Organization"): Gate(RECORDS),
    entity_key("Person"): Gate(Resource.PERSON_NAME),
    "Mutation.createActivity": UPKEEP,
    "Mutation.updateActivity": UPKEEP,
    "Mutation.publishActivity": UPKEEP,
    "Mutation.startActivity": UPKEEP,
    "Mutation.completeActivity": UPKEEP,
    "Mutation.cancelActivity": UPKEEP,
    "Mutation.verifyHours": UPKEEP,
    "Mutation.rejectHours": UPKEEP,
    # A MEMBER for themself (SELF, checked inside), or whoever keeps an organiser.
    "Mutation.signUp": Gate(RECORDS),
    "Mutation.withdraw": Gate(RECORDS),
    "Mutation.checkIn": Gate(RECORDS),
    "Mutation.checkOut": Gate(RECORDS),
    # In the name of an organisation the caller keeps; the name comes from the organizations
    # service under the caller's own token (no name they may not see is ever printed).
    "Mutation.issueVolunteerCertificate": UPKEEP,
    # Anyone holding a certificate number may check it: masked name, no ID number.
    "Query.verifyCertificate": Open("a certificate's public statement, by its unguessable number"),
    # Admins of an area (RECORDS WRITE: not ORG_ADMIN, not members).
    "Mutation.addHours": Gate(RECORDS, Action.WRITE),
    **{f"Activity.{f}": Held(RECORDS) for f in ACTIVITY_FIELDS},
    **{f"Participation.{f}": Held(RECORDS) for f in PARTICIPATION_FIELDS},
    "Organization.id": Held(RECORDS),
    # An ORG_ADMIN's own organisations only; for others, activities in their area.
    "Organization.activities": Held(RECORDS),
    "Person.id": Held(Resource.PERSON_NAME),
    # Null unless the caller may see the person's personal data (policy.person_grants over
    # this service's read model: the person's area, current memberships; SELF).
    "Person.participations": Graded(Resource.PERSONAL),
    "Person.volunteerHours": Graded(Resource.PERSONAL),
    **{
        f"VolunteerHours.{f}": Held(Resource.PERSONAL)
        for f in ("verified", "pending", "manual", "total")
    },
    **{
        f"VolunteerRank.{f}": Held(RECORDS)
        for f in ("rank", "person", "verifiedHours", "manualHours", "totalHours")
    },
    **{
        f"AddedHours.{f}": Held(RECORDS)
        for f in ("id", "hours", "servedOn", "reason", "addedBy", "addedAt", "activityId")
    },
    **{f"CheckInCode.{f}": Held(Resource.UPKEEP) for f in ("code", "validUntil", "periodSeconds")},
    **{
        f"VolunteerCertificate.{f}": Held(Resource.UPKEEP)
        for f in (
            "number",
            "verificationCode",
            "person",
            "periodFrom",
            "periodTo",
            "totalHours",
            "issuerName",
            "issuedAt",
            "downloadUrl",
            "downloadExpiresAt",
        )
    },
    **{
        f"CertificateCheck.{f}": Open("what the certificate itself states publicly")
        for f in (
            "genuine",
            "number",
            "nameMasked",
            "periodFrom",
            "periodTo",
            "totalHours",
            "issuerName",
            "issuedAt",
            "activities",
        )
    },
    **{
        f"CertifiedActivity.{f}": Open("what the certificate itself states publicly")
        for f in ("title", "servedOn", "hours", "addedByHand")
    },
    **payload_rules("VolunteerCertificatePayload", "certificate", Resource.UPKEEP),
    **connection_rules("Activity", RECORDS),
    **connection_rules("Participation", RECORDS),
    **payload_rules("CreateActivityPayload", "activity", RECORDS),
    **payload_rules("ActivityPayload", "activity", RECORDS),
    **payload_rules("ParticipationPayload", "participation", RECORDS),
    **payload_rules("AddHoursPayload", "added", RECORDS),
}
