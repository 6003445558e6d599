"""The access policy: the table says what the programme's rules say, and one mechanism applies it
to every field of a schema (a field without a rule stops the build)."""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry

from gongjian_kit.auth import Caller, Role
from gongjian_kit.errors import ApiError
from gongjian_kit.field_rules import FieldRulesError, Gate, Graded, Held, Open
from gongjian_kit.gql import build_schema
from gongjian_kit.policy import (
    POLICY,
    Action,
    PersonFacts,
    Resource,
    Scope,
    person_grants,
    reach,
    render,
    rights,
)

ROOT = Path(__file__).resolve().parents[3]
ADMINS = (Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_ADMIN)
PEOPLE = (Resource.PERSON_NAME, Resource.PERSONAL, Resource.PERSONAL_SECRET)
AREA = "330106001001"
ORG = uuid.UUID(int=1)
ME = uuid.UUID(int=2)


def caller(*roles: Role, orgs: tuple[uuid.UUID, ...] = (), person: uuid.UUID | None = None):
    return Caller(
        subject="s",
        roles=frozenset(roles),
        area=AREA,
        orgs=frozenset(str(o) for o in orgs),
        person_id=str(person) if person else None,
    )


def test_a_data_class_is_never_shown_without_the_classes_below_it():
    for role, table in POLICY.items():
        name, personal, secret = (table.get((r, Action.READ), frozenset()) for r in PEOPLE)
        assert secret <= personal <= name | {Scope.SELF}, role
        if personal:
            assert personal <= name, role


def test_the_rules_of_the_programme_hold_in_the_table():
    for role in ADMINS:
        assert POLICY[role][(Resource.PERSONAL_SECRET, Action.READ)] == {Scope.AREA}
    org_admin = POLICY[Role.ORG_ADMIN]
    assert all(scopes == {Scope.OWN_ORGS} for (r, _), scopes in org_admin.items() if r in PEOPLE)
    assert org_admin[(Resource.RECORDS, Action.READ)] == {Scope.OWN_ORGS}
    assert org_admin[(Resource.UPKEEP, Action.WRITE)] == {Scope.OWN_ORGS}
    assert (Resource.RECORDS, Action.WRITE) not in org_admin
    assert POLICY[Role.MEMBER][(Resource.PERSONAL_SECRET, Action.READ)] == {Scope.SELF}
    assert POLICY[Role.ASSESSOR][(Resource.PERSON_NAME, Action.READ)] == {Scope.ASSIGNED}
    assert (Resource.PERSONAL, Action.READ) not in POLICY[Role.ASSESSOR]
    subscriber = POLICY[Role.DATA_SUBSCRIBER]
    assert set(subscriber) == {(Resource.FIGURES, Action.READ), (Resource.AREAS, Action.READ)}
    # Nothing reaches beyond the token's area, and no one but an admin writes records.
    for role, table in POLICY.items():
        for (resource, action), _ in table.items():
            if action is Action.WRITE and resource not in (
                Resource.UPKEEP,
                Resource.CASES,
                Resource.ASSESSMENTS,
            ):
                assert role in ADMINS
    # Cases: an organisation's own for ORG_ADMIN; a member opens and follows their own only;
    # assessors and subscribers none.
    for action in Action:
        assert org_admin[(Resource.CASES, action)] == {Scope.OWN_ORGS}
        assert POLICY[Role.MEMBER][(Resource.CASES, action)] == {Scope.SELF}
        assert (Resource.CASES, action) not in POLICY[Role.ASSESSOR]


def test_rights_are_the_union_of_the_roles_and_org_admin_is_never_widened():
    alone = reach(caller(Role.ORG_ADMIN, orgs=(ORG,)), Resource.RECORDS)
    assert alone.organizations_only == [ORG]
    # A second role without records of its own adds none: still only its organisations.
    with_subscriber = caller(Role.ORG_ADMIN, Role.DATA_SUBSCRIBER, orgs=(ORG,))
    assert reach(with_subscriber, Resource.RECORDS).organizations_only == [ORG]
    # An admin role in the same token grants the admin's rights in its area.
    with_admin = caller(Role.ORG_ADMIN, Role.COMMUNITY_ADMIN, orgs=(ORG,))
    assert reach(with_admin, Resource.RECORDS).organizations_only is None
    assert rights(frozenset({Role.ORG_ADMIN, Role.MEMBER}))[(Resource.PERSONAL, Action.READ)] == {
        Scope.OWN_ORGS,
        Scope.SELF,
    }
    # An organisation named in the claim but outside the token's area is not reached.
    assert not alone.admits_organization(ORG, "330106002001")
    assert alone.admits_organization(ORG, AREA)
    assert not alone.admits_organization(uuid.UUID(int=9), AREA)


def test_no_right_is_forbidden():
    with pytest.raises(ApiError) as refused:
        reach(caller(Role.DATA_SUBSCRIBER), Resource.RECORDS)
    assert refused.value.code == "FORBIDDEN"
    with pytest.raises(ApiError):
        reach(caller(Role.ORG_ADMIN), Resource.PERSONAL, Action.WRITE)


@pytest.mark.parametrize(
    ("who", "facts", "expected"),
    [
        (caller(Role.COMMUNITY_ADMIN), PersonFacts(ME, AREA), set(PEOPLE)),
        (caller(Role.COMMUNITY_ADMIN), PersonFacts(ME, "330106002001"), set()),
        (
            caller(Role.COMMUNITY_ADMIN),
            PersonFacts(ME, "330106002001", in_area_orgs=True),
            {Resource.PERSON_NAME},
        ),
        (caller(Role.ORG_ADMIN, orgs=(ORG,)), PersonFacts(ME, AREA), set()),
        (caller(Role.ORG_ADMIN), PersonFacts(ME, "330106002001", in_own_orgs=True), set(PEOPLE)),
        (caller(Role.MEMBER, person=ME), PersonFacts(ME, "330106002001"), set(PEOPLE)),
        (caller(Role.MEMBER, person=ME), PersonFacts(uuid.UUID(int=3), AREA), set()),
        (caller(Role.MEMBER), PersonFacts(ME, AREA), set()),
        (caller(Role.ASSESSOR), PersonFacts(ME, AREA, True, True), set()),
        (caller(Role.DATA_SUBSCRIBER), PersonFacts(ME, AREA, True, True), set()),
    ],
)
def test_what_of_a_person_each_caller_sees(who, facts, expected):
    assert person_grants(who, facts) == expected


def test_the_table_in_the_docs_is_the_table_in_the_code():
    assert render() in (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")


# The mechanism -------------------------------------------------------------------------------


@strawberry.type
class Secretive:
    name: str
    secret: str
    grants: strawberry.Private[frozenset[Resource]]


@strawberry.type
class Query:
    @strawberry.field
    def open(self) -> str:
        return "open"

    @strawberry.field
    def records(self) -> list[Secretive]:
        return [
            Secretive(name="a", secret="s1", grants=frozenset({Resource.PERSON_NAME})),
            Secretive(
                name="b",
                secret="s2",
                grants=frozenset({Resource.PERSON_NAME, Resource.PERSONAL_SECRET}),
            ),
        ]


RULES = {
    "Query.open": Open(),
    "Query.records": Gate(Resource.RECORDS),
    "Secretive.name": Held(Resource.PERSON_NAME),
    "Secretive.secret": Graded(Resource.PERSONAL_SECRET, lambda _: "****"),
}


def test_a_field_without_a_rule_or_a_rule_without_a_field_stops_the_build():
    with pytest.raises(FieldRulesError, match=r"no rule for \['Secretive.secret'\]"):
        build_schema(Query, field_rules={k: v for k, v in RULES.items() if "secret" not in k})
    with pytest.raises(FieldRulesError, match=r"Query\.gone"):
        build_schema(Query, field_rules={**RULES, "Query.gone": Open()})


async def run(schema: strawberry.Schema, who: Caller, query: str) -> Any:
    return await schema.execute(query, context_value=SimpleNamespace(caller=who))


async def test_gates_refuse_roles_without_the_right_and_grades_show_what_grants_hold():
    schema = build_schema(Query, field_rules=RULES)
    refused = await run(schema, caller(Role.DATA_SUBSCRIBER), "{ records { name } }")
    assert refused.errors[0].extensions["code"] == "FORBIDDEN"
    assert (await run(schema, caller(Role.DATA_SUBSCRIBER), "{ open }")).data == {"open": "open"}
    shown = await run(schema, caller(Role.MEMBER), "{ records { name secret } }")
    assert shown.data == {
        "records": [{"name": "a", "secret": "****"}, {"name": "b", "secret": "s2"}]
    }


def test_plain_fields_stay_plain():
    schema = build_schema(Query, field_rules=RULES)
    fields = schema._schema.type_map["Secretive"].fields  # type: ignore[union-attr]
    assert getattr(fields["name"].resolve, "_is_default", False)  # strawberry's fast path
    assert not getattr(fields["secret"].resolve, "_is_default", False)
