"""Who may see and change what: the programme's access rules, as one table.

Every subgraph applies this table and nothing else (``gongjian_kit.field_rules`` maps each field
of each schema to a resource of the table; the loaders and the SQL ask :func:`reach` which rows a
caller's roles reach). A token's rights are the union of its roles' rights: a second role adds
what that role may do, in that role's scope, and takes nothing away; no role bypasses another's
limits (ORG_ADMIN's organisations are never widened by a check that looks at one role only).

Resources (the data classes):

* ``FIGURES``: aggregates, counts and rates (coverage, area statistics, activity summaries).
* ``AREAS``: the administrative areas themselves (code, name, level, tree): the geography every
  record and figure hangs on.
* ``RECORDS``: units, organisations (with their functional groups and leaders' posts and terms)
  and activities: names, kinds, dates, headcounts.
* ``PERSON_NAME``: a person's name, and their role or post in an organisation.
* ``PERSONAL``: the rest of a person's record except the secrets: gender, age band, area,
  political status and its history, employer, memberships, migrant-worker flag, league overage.
* ``PERSONAL_SECRET``: the resident ID number and the phone unmasked, the birth date and the exact
  age. Whoever lacks it sees no character of the ID number (see ``docs/domain.md`` for why even
  its last four would give it away), the phone's last four digits, and an age band.
* ``UPKEEP`` (write): an organisation's members, leaders, functional groups and activities.
* ``ASSESSMENTS``: 创先争优 evaluation: cycles, assessments with their scores, evidence and
  reviews. Written by admins (cycles, publication), ORG_ADMIN (its organisations'
  self-assessment), ASSESSOR (the assessments assigned to them: superior review) and a MEMBER
  (their own rating of organisations they belong to, anonymous; their own self-assessment).
* ``CASES``: the case desk's requests (诉求): what was asked, by which channel, who handles it,
  its timeline. Requesters' names and phones are personal data on top of this (PERSONAL,
  PERSONAL_SECRET, over the case's area and the organisation handling it).

Scopes (where a right reaches; every scope lies inside the token's ``area`` claim):

* ``AREA``: the token's area and everything beneath it (the 12-digit prefix). For a person: the
  person's area.
* ``ORGS_IN_AREA``: people who are current members or leaders of an organisation in the area.
* ``OWN_ORGS``: the organisations named in the token's ``orgs`` claim (in its area); for units,
  the units they cover; for activities, the ones they organise; for people, their current
  members and leaders.
* ``SELF``: the person named by the token's ``person`` claim.
* ``ASSIGNED``: the assessments assigned to the caller (their token's subject) for superior
  review. For people (PERSON_NAME) it would reach the people of those assessments; the
  organizations service does not know the assignments, so there it reaches no one yet.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache

from gongjian_kit.areas import area_prefix, area_within
from gongjian_kit.auth import Caller, Role
from gongjian_kit.errors import forbidden


class Resource(StrEnum):
    FIGURES = "FIGURES"
    AREAS = "AREAS"
    RECORDS = "RECORDS"
    PERSON_NAME = "PERSON_NAME"
    PERSONAL = "PERSONAL"
    PERSONAL_SECRET = "PERSONAL_SECRET"  # noqa: S105 - the name of a data class
    UPKEEP = "UPKEEP"
    CASES = "CASES"
    ASSESSMENTS = "ASSESSMENTS"


class Action(StrEnum):
    READ = "READ"
    WRITE = "WRITE"


class Scope(StrEnum):
    AREA = "AREA"
    ORGS_IN_AREA = "ORGS_IN_AREA"
    OWN_ORGS = "OWN_ORGS"
    SELF = "SELF"
    ASSIGNED = "ASSIGNED"


# The table. One row per resource and action, one column per role; a cell lists the scopes the
# role's right reaches ("-": none). Rights not in the table do not exist.
TABLE = """
resource         action  DISTRICT_ADMIN     STREET_ADMIN       COMMUNITY_ADMIN    ORG_ADMIN  ASSESSOR  MEMBER  DATA_SUBSCRIBER
FIGURES          READ    AREA               AREA               AREA               AREA       AREA      AREA    AREA
AREAS            READ    AREA               AREA               AREA               AREA       AREA      AREA    AREA
RECORDS          READ    AREA               AREA               AREA               OWN_ORGS   AREA      AREA    -
PERSON_NAME      READ    AREA+ORGS_IN_AREA  AREA+ORGS_IN_AREA  AREA+ORGS_IN_AREA  OWN_ORGS   ASSIGNED  SELF    -
PERSONAL         READ    AREA               AREA               AREA               OWN_ORGS   -         SELF    -
PERSONAL_SECRET  READ    AREA               AREA               AREA               OWN_ORGS   -         SELF    -
AREAS            WRITE   AREA               AREA               AREA               -          -         -       -
RECORDS          WRITE   AREA               AREA               AREA               -          -         -       -
PERSONAL         WRITE   AREA               AREA               AREA               -          -         -       -
UPKEEP           WRITE   AREA               AREA               AREA               OWN_ORGS   -         -       -
CASES            READ    AREA               AREA               AREA               OWN_ORGS   -         SELF    -
CASES            WRITE   AREA               AREA               AREA               OWN_ORGS   -         SELF    -
ASSESSMENTS      READ    AREA               AREA               AREA               OWN_ORGS   ASSIGNED  SELF    -
ASSESSMENTS      WRITE   AREA               AREA               AREA               OWN_ORGS   ASSIGNED  SELF    -
"""  # noqa: E501 - a table is read across

# Why the cells are what they are, for the reader checking them against the programme's rules:
NOTES = (
    "Personal data (name, gender, birth date, ID number, phone, employer, political status, "
    "memberships) is for the admins of the person's area, ORG_ADMIN for the current members and "
    "leaders of its own organisations, and the person themself (MEMBER, SELF).",
    "Admins also see the name and role of the members and leaders of the organisations they "
    "keep who live elsewhere (ORGS_IN_AREA), and nothing more of them: they keep those "
    "organisations' member lists.",
    "ASSESSOR: name and role of the people of assessments assigned to them; evaluation keeps no "
    "assessments yet, so no one today.",
    "ORG_ADMIN reads the records of its own organisations only (their units, groups, leaders, "
    "members, activities), in every field, list and entity; areas and aggregate figures of its "
    "area, as a DATA_SUBSCRIBER does.",
    "DATA_SUBSCRIBER: figures (and the areas they are about), never records or personal data.",
    "Cases (诉求) are for the admins of the case's area and ORG_ADMIN for the cases its own "
    "organisations handle or had escalated to them; a MEMBER opens cases as themself online "
    "and follows their own (SELF), nothing more. Assessors and subscribers see the figures.",
    "Creating an area needs its parent in scope, so a community admin (whose area has no "
    "children) creates none.",
)

ROLE_COLUMNS = tuple(Role)
PERSON_RESOURCES = (Resource.PERSON_NAME, Resource.PERSONAL, Resource.PERSONAL_SECRET)


def _parse(table: str) -> dict[Role, dict[tuple[Resource, Action], frozenset[Scope]]]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    if tuple(header[2:]) != tuple(r.value for r in ROLE_COLUMNS):
        raise ValueError(f"the policy table's columns must be every role in order: {header}")
    parsed: dict[Role, dict[tuple[Resource, Action], frozenset[Scope]]] = {r: {} for r in Role}
    for cells in rows:
        resource, action = Resource(cells[0]), Action(cells[1])
        if len(cells) != len(header):
            raise ValueError(f"the policy row {cells} needs a cell for every role")
        for role, cell in zip(ROLE_COLUMNS, cells[2:], strict=True):
            if (resource, action) in parsed[role]:
                raise ValueError(f"{resource} {action} appears twice in the policy table")
            scopes = frozenset() if cell == "-" else frozenset(Scope(s) for s in cell.split("+"))
            if scopes:
                parsed[role][(resource, action)] = scopes
    return parsed


POLICY = _parse(TABLE)


@cache
def rights(roles: frozenset[Role]) -> dict[tuple[Resource, Action], frozenset[Scope]]:
    """The union of the roles' rights: for each (resource, action), every scope any role has."""
    merged: dict[tuple[Resource, Action], frozenset[Scope]] = {}
    for role in roles:
        for key, scopes in POLICY[role].items():
            merged[key] = merged.get(key, frozenset()) | scopes
    return merged


def scopes_of(caller: Caller, resource: Resource, action: Action = Action.READ) -> frozenset[Scope]:
    return rights(caller.roles).get((resource, action), frozenset())


def allows(caller: Caller, resource: Resource, action: Action = Action.READ) -> bool:
    """Whether any of the caller's roles has this right, in any scope."""
    return bool(scopes_of(caller, resource, action))


def require(caller: Caller, resource: Resource, action: Action = Action.READ) -> None:
    """FORBIDDEN unless one of the caller's roles has this right (in some scope)."""
    if not allows(caller, resource, action):
        raise forbidden("您的角色无权执行此操作", "Your role does not allow this")


@dataclass(frozen=True)
class Reach:
    """Where a caller's right to one (resource, action) reaches: the union of their roles' scopes,
    with the values the SQL needs. Everything lies inside ``area_like`` (the token's area)."""

    area_like: str
    area: bool  # AREA: the whole area
    own_orgs: tuple[uuid.UUID, ...] | None  # OWN_ORGS: these organisations (None: not granted)
    orgs_in_area: bool  # ORGS_IN_AREA (people only)
    self_id: uuid.UUID | None  # SELF (people only)
    assigned: bool = False  # ASSIGNED: what is assigned to the caller's subject

    @property
    def organizations_only(self) -> list[uuid.UUID] | None:
        """For records: the organisations the caller is limited to, or None for the whole area.
        An empty list means none at all."""
        if self.area:
            return None
        return list(self.own_orgs or ())

    def admits_organization(self, org_id: uuid.UUID, area_code: str) -> bool:
        """An organisation (whose area is ``area_code``) lies within this reach."""
        if not area_code.startswith(self.area_like[:-1]):
            return False
        return self.area or (self.own_orgs is not None and org_id in self.own_orgs)


# Kept per caller (a frozen, hashable token's claims): every resolver of a list asks, once per
# object (20 organisations' activities: 20 calls, each building UUIDs from the claims).
@lru_cache(maxsize=4096)
def reach(caller: Caller, resource: Resource, action: Action = Action.READ) -> Reach:
    """Where the caller's right reaches; FORBIDDEN when none of their roles has the right."""
    scopes = scopes_of(caller, resource, action)
    if not scopes:
        require(caller, resource, action)
    return Reach(
        area_like=area_prefix(caller.area) + "%",
        area=Scope.AREA in scopes,
        own_orgs=caller.org_ids if Scope.OWN_ORGS in scopes else None,
        orgs_in_area=Scope.ORGS_IN_AREA in scopes,
        self_id=caller.person_uuid if Scope.SELF in scopes else None,
        assigned=Scope.ASSIGNED in scopes,
    )


@dataclass(frozen=True)
class PersonFacts:
    """What decides which of a person's data a caller may see. ``in_own_orgs`` and
    ``in_area_orgs`` (a current member or leader of one of the caller's organisations, of an
    organisation in the caller's area) are computed in SQL for the caller."""

    id: uuid.UUID
    area_code: str
    in_own_orgs: bool = False
    in_area_orgs: bool = False


def _admits_person(scope: Scope, caller: Caller, facts: PersonFacts) -> bool:
    if scope is Scope.AREA:
        return area_within(facts.area_code, caller.area)
    if scope is Scope.ORGS_IN_AREA:
        return facts.in_area_orgs
    if scope is Scope.OWN_ORGS:
        return facts.in_own_orgs
    if scope is Scope.SELF:
        return caller.person_uuid == facts.id
    return False  # ASSIGNED: no assessments exist yet


def person_grants(caller: Caller, facts: PersonFacts) -> frozenset[Resource]:
    """The classes of this person's data the caller may read (empty: the person is not shown)."""
    granted = frozenset(
        resource
        for resource in PERSON_RESOURCES
        if any(_admits_person(s, caller, facts) for s in scopes_of(caller, resource))
    )
    # A class is only ever shown with the classes below it (the table is checked for this too).
    if Resource.PERSON_NAME not in granted:
        return frozenset()
    return granted


def person_fact_scopes(caller: Caller) -> frozenset[Scope]:
    """The scopes of a caller's rights over people: which facts the SQL must compute."""
    found: frozenset[Scope] = frozenset()
    for resource in PERSON_RESOURCES:
        found |= scopes_of(caller, resource)
    return found


def render() -> str:
    """The table as Markdown (docs/domain.md holds a copy; a test keeps it current)."""
    header = ["resource", "action", *(r.value for r in ROLE_COLUMNS)]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for line in TABLE.strip().splitlines()[1:]:
        cells = line.split()
        lines.append("| " + " | ".join(c.replace("+", " + ") for c in cells) + " |")
    return "\n".join(lines)
