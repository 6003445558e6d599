"""GraphQL types for people, memberships, leaders and functional groups."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated

import asyncpg
import strawberry
from strawberry.types import Info

from gongjian_kit import clock, guard, policy
from gongjian_kit.auth import Caller
from gongjian_kit.gql import context_of
from gongjian_kit.personal_data import PersonalDataError, mask_phone, protector_of
from gongjian_kit.policy import Resource
from gongjian_organizations.domain import leaders as leader_domain
from gongjian_organizations.domain import people as domain
from gongjian_organizations.graphql import loaders
from gongjian_organizations.graphql.enums import Gender, GroupKind, LeaderPost, PoliticalStatus

if TYPE_CHECKING:
    from gongjian_organizations.graphql.types import Organization, Unit

log = logging.getLogger(__name__)

OrganizationRef = Annotated["Organization", strawberry.lazy("gongjian_organizations.graphql.types")]
UnitRef = Annotated["Unit", strawberry.lazy("gongjian_organizations.graphql.types")]


@strawberry.type(description="政治面貌变化 / A change of political status")
class PoliticalStatusChange:
    status: PoliticalStatus  # type: ignore[valid-type]
    since: date


PERSON_DESCRIPTION = (
    "人员 / Person. 各字段按访问策略显示：无权查看时为空（null）；公民身份号码与手机号"
    "仅对有权者显示完整值 / Each field follows the access policy: null where you may not see "
    "it; the ID number and phone are shown in full only to those allowed"
)


@strawberry.federation.type(keys=["id"], description=PERSON_DESCRIPTION)
class Person:
    id: strawberry.ID
    name: str
    gender: Gender | None  # type: ignore[valid-type]
    birth_date: date | None = strawberry.field(
        description="出生日期；无权查看身份号码者为空（见 ageBand）/ Birth date; null for those "
        "who may not see the ID number (they get ageBand)"
    )
    political_status: PoliticalStatus | None  # type: ignore[valid-type]
    area_code: str | None = strawberry.field(description="所在区划 / The person's area")
    migrant_worker: bool | None = strawberry.field(description="外来务工人员 / Migrant worker")
    employer_unit_id: strawberry.Private[uuid.UUID | None]
    phone_masked: strawberry.Private[str | None]
    grants: strawberry.Private[frozenset[Resource]]

    @classmethod
    def from_row(cls, row: asyncpg.Record, caller: Caller) -> Person | None:
        """The person as this caller may see them (None: not at all)."""
        grants = policy.person_grants(
            caller,
            policy.PersonFacts(
                row["id"],
                row["area_code"],
                in_own_orgs=bool(row["in_own_orgs"]),
                in_area_orgs=bool(row["in_area_orgs"]),
            ),
        )
        if not grants:
            return None
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            gender=domain.Gender(row["gender"]),
            birth_date=row["birth_date"],
            political_status=domain.PoliticalStatus(row["political_status"]),
            area_code=row["area_code"],
            migrant_worker=row["migrant_worker"],
            employer_unit_id=row["employer_unit_id"],
            phone_masked=row["phone_masked"],
            grants=grants,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Person | None:
        """The person the gateway asks for, exactly as ``Query.person`` gives them: the same
        loader (one statement however many representations), the same grants and masks, null
        for a person the caller may not see or an id that names none."""
        return await person_of(info, guard.id_or_none(id))

    async def _clear(self, info: Info, field: str) -> str | None:
        person_id = uuid.UUID(self.id)
        secrets = await loaders.person_secrets(info).load(person_id)
        blob = (
            secrets[{"idNumber": "id_number_enc", "phone": "phone_enc"}[field]] if secrets else None
        )
        if blob is None:
            return None
        try:
            clear = protector_of(context_of(info).runtime).decrypt(bytes(blob), field, person_id)
        except PersonalDataError as error:
            # Another person's ciphertext copied into this row, an altered one or a key no
            # longer configured: the caller gets the masked value, the operator this line and
            # gongjian_personal_data_unreadable_total.
            log.error("personal data not shown: %s", error)
            return None
        await loaders.personal_data_audit(info).load((person_id, field))
        return clear

    @strawberry.field(
        description="公民身份号码：有权者见完整号码（每次读取均记录），其他可见个人信息者只见"
        "星号，不含任何一位 / Resident ID number: in full for those allowed (every read is "
        "audited); all stars, not one character, for others who see personal data"
    )
    async def id_number(self, info: Info) -> str | None:
        return await self._clear(info, "idNumber") or ID_NUMBER_MASK

    @strawberry.field(
        description="手机号：有权者见完整号码（读取均记录），其他可见个人信息者只见末四位 / "
        "Phone: in full for those allowed (reads are audited), the last 4 digits for others"
    )
    async def phone(self, info: Info) -> str | None:
        if self.phone_masked is None:
            return None
        return await self._clear(info, "phone") or mask_phone(self.phone_masked)

    @strawberry.field(
        description="本次是否可见完整个人信息（身份号码、手机号、出生日期）/ Whether the ID "
        "number, phone and birth date are shown to you"
    )
    def personal_data_visible(self) -> bool:
        return Resource.PERSONAL_SECRET in self.grants

    @strawberry.field
    def gender_label(self) -> str | None:
        return domain.GENDER_LABELS[domain.Gender(self.gender)] if self.gender else None

    @strawberry.field
    def political_status_label(self) -> str | None:
        if self.political_status is None:
            return None
        return domain.POLITICAL_STATUS_LABELS[domain.PoliticalStatus(self.political_status)]

    @strawberry.field(description="年龄；无权查看身份号码者为空 / Age; null as birthDate is")
    def age(self) -> int | None:
        return domain.age_on(self.birth_date, clock.today()) if self.birth_date else None

    @strawberry.field(
        description="年龄段（≤28、29-35、36-50、51-60、>60，与团员、青年年龄线一致）/ Age band, "
        "for those who may not see the birth date: the same bands as the events"
    )
    def age_band(self) -> str | None:
        if self.birth_date is None:
            return None
        return domain.age_band(domain.age_on(self.birth_date, clock.today()))

    @strawberry.field(
        description="超龄团员（28岁以上且未任团内职务）/ League member past 28 "
        "holding no league post"
    )
    async def league_overage(self, info: Info) -> bool | None:
        if self.political_status is None or self.birth_date is None:
            return None
        status = domain.PoliticalStatus(self.political_status)
        if status is not domain.PoliticalStatus.LEAGUE_MEMBER:
            return False
        leaders = await loaders.league_posts(info).load(uuid.UUID(self.id))
        return domain.league_overage(status, self.birth_date, clock.today(), leaders)

    @strawberry.field(description="政治面貌历史 / Political status history")
    async def political_status_history(self, info: Info) -> list[PoliticalStatusChange] | None:
        rows = await loaders.status_history(info).load(uuid.UUID(self.id))
        return [
            PoliticalStatusChange(status=domain.PoliticalStatus(r["status"]), since=r["since"])
            for r in rows
        ]

    @strawberry.field(description="工作单位 / Employer")
    async def employer(self, info: Info) -> UnitRef | None:
        from gongjian_organizations.graphql.types import Unit  # noqa: PLC0415

        if self.employer_unit_id is None:
            return None
        row = await loaders.unit_by_id(info).load(self.employer_unit_id)
        return Unit.from_row(row) if row else None

    @strawberry.field(description="所属组织 / Memberships, past and present")
    async def memberships(self, info: Info) -> list[Membership] | None:
        rows = await loaders.memberships_of_person(info).load(uuid.UUID(self.id))
        return [Membership.from_row(r) for r in rows]


ID_NUMBER_MASK = "*" * 18


async def person_of(info: Info, person_id: uuid.UUID | None) -> Person | None:
    """The person with this id as the caller may see them, or None."""
    if person_id is None:
        return None
    row = await loaders.person_by_id(info).load(person_id)
    return Person.from_row(row, context_of(info).caller) if row else None


def id_number_fallback(person: Person) -> str | None:
    """What those who may not see the ID number get: stars if they see personal data."""
    return ID_NUMBER_MASK if Resource.PERSONAL in person.grants else None


def phone_fallback(person: Person) -> str | None:
    """What those who may not see the phone get: its last 4 digits if they see personal data."""
    if person.phone_masked is None or Resource.PERSONAL not in person.grants:
        return None
    return mask_phone(person.phone_masked)


@strawberry.type(description="组织成员关系 / Membership of an organisation")
class Membership:
    id: strawberry.ID
    role: str
    since: date
    until: date | None
    person_id: strawberry.Private[uuid.UUID]
    organization_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Membership:
        return cls(
            id=strawberry.ID(str(row["id"])),
            role=row["role"],
            since=row["since"],
            until=row["until"],
            person_id=row["person_id"],
            organization_id=row["organization_id"],
        )

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_id)

    @strawberry.field
    async def organization(self, info: Info) -> OrganizationRef | None:
        from gongjian_organizations.graphql.types import Organization  # noqa: PLC0415

        row = await loaders.organization_by_id(info).load(self.organization_id)
        return Organization.from_row(row) if row else None


@strawberry.type(description="带头人任职 / A leader's term")
class Leader:
    id: strawberry.ID
    post: LeaderPost  # type: ignore[valid-type]
    term_start: date
    term_end: date
    ended_on: date | None
    person_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Leader:
        return cls(
            id=strawberry.ID(str(row["id"])),
            post=leader_domain.LeaderPost(row["post"]),
            term_start=row["term_start"],
            term_end=row["term_end"],
            ended_on=row["ended_on"],
            person_id=row["person_id"],
        )

    @strawberry.field
    def post_label(self) -> str:
        return leader_domain.LEADER_POST_LABELS[leader_domain.LeaderPost(self.post)]

    @strawberry.field(description="是否在任 / In office")
    def current(self) -> bool:
        return self.ended_on is None

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_id)


@strawberry.type(description="功能小组 / Functional group (党小组、团小组、工会小组、妇代小组)")
class FunctionalGroup:
    id: strawberry.ID
    name: str
    kind: GroupKind  # type: ignore[valid-type]
    created_on: date
    dissolved_on: date | None
    member_count: int

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> FunctionalGroup:
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            kind=leader_domain.GroupKind(row["kind"]),
            created_on=row["created_on"],
            dissolved_on=row["dissolved_on"],
            member_count=row.get("member_count", 0),
        )

    @strawberry.field
    def kind_label(self) -> str:
        return leader_domain.GROUP_KIND_LABELS[leader_domain.GroupKind(self.kind)]
