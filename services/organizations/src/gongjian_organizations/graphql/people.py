"""GraphQL types for people, memberships, leaders and functional groups."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated

import asyncpg
import strawberry
from strawberry.types import Info

from gongjian_kit import clock
from gongjian_kit.auth import ADMIN_ROLES
from gongjian_kit.gql import context_of
from gongjian_kit.personal_data import PersonalDataError
from gongjian_organizations.domain import leaders as leader_domain
from gongjian_organizations.domain import people as domain
from gongjian_organizations.graphql import loaders
from gongjian_organizations.graphql.enums import Gender, GroupKind, LeaderPost, PoliticalStatus
from gongjian_organizations.usecases.people import protector_of

if TYPE_CHECKING:
    from gongjian_organizations.graphql.types import Organization, Unit

log = logging.getLogger(__name__)

OrganizationRef = Annotated["Organization", strawberry.lazy("gongjian_organizations.graphql.types")]
UnitRef = Annotated["Unit", strawberry.lazy("gongjian_organizations.graphql.types")]


@strawberry.type(description="政治面貌变化 / A change of political status")
class PoliticalStatusChange:
    status: PoliticalStatus  # type: ignore[valid-type]
    since: date


@strawberry.type(
    description="人员 / Person. 公民身份号码和手机号默认脱敏 / ID number and phone "
    "are masked unless your role and area allow"
)
class Person:
    id: strawberry.ID
    name: str
    gender: Gender  # type: ignore[valid-type]
    birth_date: date
    political_status: PoliticalStatus  # type: ignore[valid-type]
    area_code: str
    migrant_worker: bool = strawberry.field(description="外来务工人员 / Migrant worker")
    employer_unit_id: strawberry.Private[uuid.UUID | None]
    id_number_masked: strawberry.Private[str]
    phone_masked: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Person:
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            gender=domain.Gender(row["gender"]),
            birth_date=row["birth_date"],
            political_status=domain.PoliticalStatus(row["political_status"]),
            area_code=row["area_code"],
            migrant_worker=row["migrant_worker"],
            employer_unit_id=row["employer_unit_id"],
            id_number_masked=row["id_number_masked"],
            phone_masked=row["phone_masked"],
        )

    def _may_unmask(self, info: Info) -> bool:
        caller = context_of(info).caller
        return caller.has(*ADMIN_ROLES) and caller.can_see_area(self.area_code)

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
        description="公民身份号码 / Resident ID number (masked unless allowed; "
        "every unmasked read is audited)"
    )
    async def id_number(self, info: Info) -> str:
        if not self._may_unmask(info):
            return self.id_number_masked
        return await self._clear(info, "idNumber") or self.id_number_masked

    @strawberry.field(description="手机号 / Phone (masked unless allowed; reads are audited)")
    async def phone(self, info: Info) -> str | None:
        if self.phone_masked is None or not self._may_unmask(info):
            return self.phone_masked
        return await self._clear(info, "phone") or self.phone_masked

    @strawberry.field(
        description="本次是否可见完整个人信息 / Whether personal data is shown unmasked to you"
    )
    def personal_data_visible(self, info: Info) -> bool:
        return self._may_unmask(info)

    @strawberry.field
    def gender_label(self) -> str:
        return domain.GENDER_LABELS[domain.Gender(self.gender)]

    @strawberry.field
    def political_status_label(self) -> str:
        return domain.POLITICAL_STATUS_LABELS[domain.PoliticalStatus(self.political_status)]

    @strawberry.field
    def age(self) -> int:
        return domain.age_on(self.birth_date, clock.today())

    @strawberry.field(
        description="超龄团员（28岁以上且未任团内职务）/ League member past 28 "
        "holding no league post"
    )
    async def league_overage(self, info: Info) -> bool:
        status = domain.PoliticalStatus(self.political_status)
        if status is not domain.PoliticalStatus.LEAGUE_MEMBER:
            return False
        leaders = await loaders.league_posts(info).load(uuid.UUID(self.id))
        return domain.league_overage(status, self.birth_date, clock.today(), leaders)

    @strawberry.field(description="政治面貌历史 / Political status history")
    async def political_status_history(self, info: Info) -> list[PoliticalStatusChange]:
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
    async def memberships(self, info: Info) -> list[Membership]:
        rows = await loaders.memberships_of_person(info).load(uuid.UUID(self.id))
        return [Membership.from_row(r) for r in rows]


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
        row = await loaders.person_of_record(info).load(self.person_id)
        return Person.from_row(row) if row else None

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
        row = await loaders.person_of_record(info).load(self.person_id)
        return Person.from_row(row) if row else None


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
