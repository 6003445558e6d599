"""Schemes in the subgraph: the defaults and a district's own; copying one, adjusting a copy."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation

import asyncpg
import strawberry
from strawberry.types import Info

from gongjian_evaluation.domain import schemes as domain
from gongjian_evaluation.domain.metrics import METRICS, MetricDef, SubjectKind
from gongjian_evaluation.store import schemes as store
from gongjian_kit import clock, guard
from gongjian_kit.areas import AreaLevel, area_and_ancestors, area_level, area_within
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.field_rules import Gate, Held, Rule, connection_rules, payload_rules
from gongjian_kit.gql import (
    Connection,
    RequestContext,
    UserError,
    context_of,
    decode_cursor,
    make_connection,
    page_size,
    user_error_from,
)
from gongjian_kit.policy import Action, Resource

SchemeKind = strawberry.enum(
    domain.SchemeKind, name="SchemeKind", description="方案类别：集体（五个好）或个人（五标兵）"
)
IndicatorKind = strawberry.enum(
    domain.IndicatorKind,
    name="IndicatorKind",
    description="指标类别：数据测评（由事件计算）或评议打分 / MEASURED from events, or SCORED "
    "by people",
)
MetricSubject = strawberry.enum(
    SubjectKind, name="MetricSubject", description="测评对象：组织或个人 / Organisation or person"
)


@strawberry.type(description="数据口径（指标目录中的一项）/ A metric of the catalogue")
class MetricDefinition:
    code: str
    label: str = strawberry.field(description="中文名称 / Chinese label")
    label_en: str
    subject: MetricSubject  # type: ignore[valid-type]
    unit: str = strawberry.field(description="单位：次、%、小时/人、分 …")
    numerator: str = strawberry.field(description="计数的是什么 / What is counted")
    denominator: str | None = strawberry.field(
        description="除以什么（无：直接计数或求和）/ What it is divided by (none: a plain count)"
    )

    @classmethod
    def of(cls, metric: MetricDef) -> MetricDefinition:
        return cls(
            code=metric.code,
            label=metric.label_zh,
            label_en=metric.label_en,
            subject=metric.subject,
            unit=metric.unit,
            numerator=metric.numerator_zh,
            denominator=metric.denominator_zh,
        )


@strawberry.type(
    description="计分曲线：≤起评值得0分，≥满分值得100分，其间线性，不超过封顶分 / LINEAR: 0 at or "
    "below the floor, 100 at or above the target, linear between, at most the cap"
)
class ScoringCurve:
    shape: str = strawberry.field(description="LINEAR")
    floor: float
    target: float
    cap: float
    explanation: str = strawberry.field(description="计分规则说明 / How the score is computed")
    explanation_en: str

    @classmethod
    def of(cls, curve: domain.Curve) -> ScoringCurve:
        return cls(
            shape="LINEAR",
            floor=float(curve.floor),
            target=float(curve.target),
            cap=float(curve.cap),
            explanation=curve.explain(),
            explanation_en=curve.explain_en(),
        )


@strawberry.type(description="指标 / An indicator of a dimension")
class SchemeIndicator:
    code: str
    label: str = strawberry.field(description="中文名称 / Chinese label")
    label_en: str
    kind: IndicatorKind  # type: ignore[valid-type]
    weight: float = strawberry.field(description="占本维度的权重（%）/ Share of its dimension, %")
    metric: MetricDefinition | None = strawberry.field(
        description="数据测评：所用口径 / MEASURED: the metric"
    )
    curve: ScoringCurve | None = strawberry.field(
        description="数据测评：计分曲线 / MEASURED: its scoring curve"
    )
    guidance: str | None = strawberry.field(
        description="评议打分：评什么 / SCORED: what the assessors look at"
    )
    guidance_en: str | None

    @strawberry.field
    def kind_label(self) -> str:
        return domain.INDICATOR_KIND_LABELS[domain.IndicatorKind(self.kind)]

    @classmethod
    def of(cls, indicator: domain.Indicator) -> SchemeIndicator:
        metric = METRICS.get(indicator.metric) if indicator.metric else None
        return cls(
            code=indicator.code,
            label=indicator.label_zh,
            label_en=indicator.label_en,
            kind=indicator.kind,
            weight=float(indicator.weight),
            metric=MetricDefinition.of(metric) if metric else None,
            curve=ScoringCurve.of(indicator.curve) if indicator.curve else None,
            guidance=indicator.guidance_zh,
            guidance_en=indicator.guidance_en,
        )


@strawberry.type(description="维度 / A dimension of a scheme")
class SchemeDimension:
    code: str
    label: str = strawberry.field(description="中文名称 / Chinese label")
    label_en: str
    weight: float = strawberry.field(description="占总分的权重（%）/ Share of the total, %")
    indicators: list[SchemeIndicator]

    @classmethod
    def of(cls, dimension: domain.Dimension) -> SchemeDimension:
        return cls(
            code=dimension.code,
            label=dimension.label_zh,
            label_en=dimension.label_en,
            weight=float(dimension.weight),
            indicators=[SchemeIndicator.of(i) for i in dimension.indicators],
        )


@strawberry.type(
    description="评价方案：维度与加权指标。评价周期开启时复制方案，之后修改方案不影响进行中的"
    "周期 / "
    "A scheme: dimensions of weighted indicators. A cycle copies it when opened: changing the "
    "scheme later never touches a running cycle"
)
class Scheme:
    id: strawberry.ID
    code: str = strawberry.field(description="所属方案系列 / The family it descends from")
    name: str
    kind: SchemeKind  # type: ignore[valid-type]
    area_code: str | None = strawberry.field(
        description="所属区县（无：系统默认方案）/ The district owning it (none: shipped default)"
    )
    is_default: bool = strawberry.field(description="系统默认方案（不可修改）/ Shipped, read-only")
    based_on_id: strawberry.ID | None = strawberry.field(
        description="复制自哪个方案 / The scheme it was copied from"
    )
    version: int = strawberry.field(description="每次修改加1 / Goes up by one at each update")
    created_at: datetime
    updated_at: datetime
    dimensions: list[SchemeDimension]

    @strawberry.field
    def kind_label(self) -> str:
        return domain.SCHEME_KIND_LABELS[domain.SchemeKind(self.kind)]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Scheme:
        definition = domain.Scheme.from_json(row["definition"])
        return cls(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            name=row["name"],
            kind=domain.SchemeKind(row["kind"]),
            area_code=row["area_code"],
            is_default=row["area_code"] is None,
            based_on_id=strawberry.ID(str(row["based_on"])) if row["based_on"] else None,
            version=row["version"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            dimensions=[SchemeDimension.of(d) for d in definition.dimensions],
        )


@strawberry.type
class SchemePayload:
    scheme: Scheme | None
    errors: list[UserError]


@strawberry.input
class CopySchemeInput:
    scheme_id: strawberry.ID
    name: str = strawberry.field(description="本区方案名称 / The copy's name in the district")
    area_code: str = strawberry.field(description="区县代码 / The district's code")


@strawberry.input
class ScoringCurveInput:
    floor: float
    target: float
    cap: float = 100.0


@strawberry.input
class SchemeIndicatorInput:
    code: str
    label: str
    label_en: str
    kind: IndicatorKind  # type: ignore[valid-type]
    weight: float
    metric: str | None = None
    curve: ScoringCurveInput | None = None
    guidance: str | None = None
    guidance_en: str | None = None


@strawberry.input
class SchemeDimensionInput:
    code: str
    label: str
    label_en: str
    weight: float
    indicators: list[SchemeIndicatorInput]


@strawberry.input
class UpdateSchemeInput:
    id: strawberry.ID
    name: str | None = None
    dimensions: list[SchemeDimensionInput]


def _visible(caller: Caller, area_code: str | None) -> bool:
    """Defaults, and a district's schemes for those in the district (or above it)."""
    return (
        area_code is None or area_within(caller.area, area_code) or caller.can_see_area(area_code)
    )


def _error(field: str | None, code: ErrorCode, zh: str, en: str) -> UserError:
    return user_error_from(ApiError(code, zh, en, field))


def _not_found(field: str) -> UserError:
    return _error(
        field,
        ErrorCode.NOT_FOUND,
        "方案不存在或不在您的范围内",
        "The scheme does not exist or is outside your scope",
    )


def _name_problem(name: str) -> UserError | None:
    if 1 <= len(name) <= 100:
        return None
    return _error(
        "name", ErrorCode.BAD_USER_INPUT, "方案名称为1至100字", "The name is 1 to 100 characters"
    )


def _name_conflict() -> UserError:
    return _error(
        "name",
        ErrorCode.CONFLICT,
        "本区已有同名方案",
        "The district already has a scheme of that name",
    )


def _number(raw: float, field: str, errors: list[UserError]) -> Decimal:
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        errors.append(
            _error(field, ErrorCode.BAD_USER_INPUT, "须为有限数值", "Must be a finite number")
        )
        return Decimal(0)
    return number


def _scheme_of_input(
    code: str, name: str, kind: domain.SchemeKind, dimensions: list[SchemeDimensionInput]
) -> tuple[domain.Scheme, list[UserError]]:
    """The scheme the input describes, and what could not even be read as numbers."""
    errors: list[UserError] = []
    built = []
    for i, d in enumerate(dimensions):
        indicators = []
        for j, x in enumerate(d.indicators):
            at = f"dimensions[{i}].indicators[{j}]"
            curve = None
            if x.curve is not None:
                curve = domain.Curve(
                    _number(x.curve.floor, f"{at}.curve.floor", errors),
                    _number(x.curve.target, f"{at}.curve.target", errors),
                    _number(x.curve.cap, f"{at}.curve.cap", errors),
                )
            indicators.append(
                domain.Indicator(
                    code=x.code.strip(),
                    label_zh=x.label.strip(),
                    label_en=x.label_en.strip(),
                    kind=domain.IndicatorKind(x.kind),
                    weight=_number(x.weight, f"{at}.weight", errors),
                    metric=(x.metric or "").strip() or None,
                    curve=curve,
                    guidance_zh=(x.guidance or "").strip() or None,
                    guidance_en=(x.guidance_en or "").strip() or None,
                )
            )
        built.append(
            domain.Dimension(
                code=d.code.strip(),
                label_zh=d.label.strip(),
                label_en=d.label_en.strip(),
                weight=_number(d.weight, f"dimensions[{i}].weight", errors),
                indicators=tuple(indicators),
            )
        )
    return domain.Scheme(code, name, kind, tuple(built)), errors


async def copy_scheme(ctx: RequestContext, input: CopySchemeInput) -> SchemePayload:
    """A district's own copy of a scheme it may use (a default, or one of its own)."""
    caller = ctx.caller
    errors: list[UserError] = []
    source_id = guard.id_or_none(input.scheme_id)
    if source_id is None:
        errors.append(_not_found("schemeId"))
    name = input.name.strip()
    if (problem := _name_problem(name)) is not None:
        errors.append(problem)
    area = input.area_code
    try:
        caller.checked_area(area)
    except ApiError as exc:
        errors.append(user_error_from(exc))
    else:
        if area_level(area) is not AreaLevel.DISTRICT:
            errors.append(
                _error(
                    "areaCode",
                    ErrorCode.BAD_USER_INPUT,
                    "方案归区县所有：请填写区县代码",
                    "Schemes belong to a district: give the district's code",
                )
            )
    if area_level(caller.area) is not AreaLevel.DISTRICT:
        errors.append(
            _error(
                None,
                ErrorCode.FORBIDDEN,
                "评价方案由区县管理员复制和调整",
                "Schemes are copied and adjusted by the admins of a whole district",
            )
        )
    if errors or source_id is None:
        return SchemePayload(scheme=None, errors=errors)
    async with ctx.runtime.unit_of_work() as uow:
        source = await store.scheme_by_id(uow.conn, source_id)
        if source is None or not _visible(caller, source["area_code"]):
            return SchemePayload(scheme=None, errors=[_not_found("schemeId")])
        if await store.name_taken(uow.conn, area, name):
            return SchemePayload(scheme=None, errors=[_name_conflict()])
        definition = domain.Scheme.from_json(source["definition"]).renamed(name)
        try:
            row = await store.insert_scheme(
                uow.conn,
                scheme_id=uuid.uuid4(),
                code=source["code"],
                name=name,
                kind=source["kind"],
                area_code=area,
                based_on=source_id,
                definition=definition.to_json(),
                created_by=caller.subject,
                at=clock.now(),
            )
        except asyncpg.UniqueViolationError:  # the same name, copied at the same moment
            return SchemePayload(scheme=None, errors=[_name_conflict()])
    return SchemePayload(scheme=Scheme.from_row(row), errors=[])


async def update_scheme(ctx: RequestContext, input: UpdateSchemeInput) -> SchemePayload:
    """Replace a district scheme's definition (every problem told at once; nothing written
    then). The shipped defaults are read-only; cycles keep the copy they took when opened."""
    caller = ctx.caller
    scheme_id = guard.id_or_none(input.id)
    if scheme_id is None:
        return SchemePayload(scheme=None, errors=[_not_found("id")])
    async with ctx.runtime.unit_of_work() as uow:
        row = await store.lock_scheme(uow.conn, scheme_id)
        if row is None or not _visible(caller, row["area_code"]):
            return SchemePayload(scheme=None, errors=[_not_found("id")])
        if row["area_code"] is None:
            return SchemePayload(
                scheme=None,
                errors=[
                    _error(
                        "id",
                        ErrorCode.CONFLICT,
                        "系统默认方案不可修改：请先复制为本区方案，再调整副本",
                        "A shipped default cannot be changed: copy it for your district and "
                        "adjust the copy",
                    )
                ],
            )
        if not caller.can_see_area(row["area_code"]):
            return SchemePayload(
                scheme=None,
                errors=[
                    _error(
                        "id",
                        ErrorCode.FORBIDDEN,
                        "本区方案由区县管理员调整",
                        "A district's schemes are adjusted by the admins of the district",
                    )
                ],
            )
        name = row["name"] if input.name is None else input.name.strip()
        scheme, errors = _scheme_of_input(
            row["code"], name, domain.SchemeKind(row["kind"]), input.dimensions
        )
        errors += [
            _error(field, ErrorCode.BAD_USER_INPUT, zh, en) for field, zh, en in scheme.problems()
        ]
        if name != row["name"] and await store.name_taken(
            uow.conn, row["area_code"], name, scheme_id
        ):
            errors.append(_name_conflict())
        if errors:
            return SchemePayload(scheme=None, errors=errors)
        try:
            updated = await store.replace_definition(
                uow.conn,
                scheme_id,
                name=name,
                definition=scheme.to_json(),
                updated_by=caller.subject,
                at=clock.now(),
            )
        except asyncpg.UniqueViolationError:
            return SchemePayload(scheme=None, errors=[_name_conflict()])
    return SchemePayload(scheme=Scheme.from_row(updated), errors=[])


@strawberry.type
class SchemeQuery:
    @strawberry.field(
        description="可用的评价方案：系统默认方案及本区县方案 / The schemes usable in an area: the "
        "shipped defaults and the district's own"
    )
    async def schemes(
        self,
        info: Info,
        kind: SchemeKind | None = None,  # type: ignore[valid-type]
        area_code: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Scheme]:
        ctx = context_of(info)
        caller = ctx.caller
        area = caller.area if area_code is None else caller.checked_area(area_code)
        codes = area_and_ancestors(area)
        kind_value = None if kind is None else domain.SchemeKind(kind).value
        limit, position = page_size(first), decode_cursor(after)
        rows = await store.applicable_schemes(
            ctx.runtime.db, kind_value, codes, position, limit + 1
        )

        async def count() -> int:
            return await store.count_applicable_schemes(ctx.runtime.db, kind_value, codes)

        return make_connection(
            [Scheme.from_row(r) for r in rows],
            [r["seq"] for r in rows],
            limit,
            position is not None,
            count,
        )

    @strawberry.field(description="一个评价方案 / One scheme (null outside your reach)")
    async def scheme(self, info: Info, id: strawberry.ID) -> Scheme | None:
        ctx = context_of(info)
        scheme_id = guard.id_or_none(id)
        if scheme_id is None:
            return None
        row = await store.scheme_by_id(ctx.runtime.db, scheme_id)
        if row is None or not _visible(ctx.caller, row["area_code"]):
            return None
        return Scheme.from_row(row)


@strawberry.type
class SchemeMutation:
    @strawberry.mutation(
        description="复制方案为本区县方案（区县管理员）/ Copy a scheme for a district (admins of "
        "a whole district)"
    )
    async def copy_scheme(self, info: Info, input: CopySchemeInput) -> SchemePayload:
        return await copy_scheme(context_of(info), input)

    @strawberry.mutation(
        description="调整本区县方案的维度与指标（权重之和须为100；默认方案不可修改）。已开启的评价"
        "周期在开启时复制了方案，不受影响 / Replace a district scheme's dimensions and indicators "
        "(weights add up to 100; the shipped defaults are read-only). Cycles copied the scheme "
        "when they opened: running cycles are not touched"
    )
    async def update_scheme(self, info: Info, input: UpdateSchemeInput) -> SchemePayload:
        return await update_scheme(context_of(info), input)


FIGURES = Resource.FIGURES

RULES: dict[str, Rule] = {
    # Schemes are reference data: readable by anyone who reads figures (the defaults, and the
    # district's own for those in the district).
    "Query.schemes": Gate(FIGURES),
    "Query.scheme": Gate(FIGURES),
    # Area admins; copies belong to a whole district (checked inside: the token's area is one).
    "Mutation.copyScheme": Gate(Resource.RECORDS, Action.WRITE),
    "Mutation.updateScheme": Gate(Resource.RECORDS, Action.WRITE),
    **{
        f"Scheme.{f}": Held(FIGURES)
        for f in (
            "id",
            "code",
            "name",
            "kind",
            "kindLabel",
            "areaCode",
            "isDefault",
            "basedOnId",
            "version",
            "createdAt",
            "updatedAt",
            "dimensions",
        )
    },
    **{
        f"SchemeDimension.{f}": Held(FIGURES)
        for f in ("code", "label", "labelEn", "weight", "indicators")
    },
    **{
        f"SchemeIndicator.{f}": Held(FIGURES)
        for f in (
            "code",
            "label",
            "labelEn",
            "kind",
            "kindLabel",
            "weight",
            "metric",
            "curve",
            "guidance",
            "guidanceEn",
        )
    },
    **{
        f"MetricDefinition.{f}": Held(FIGURES)
        for f in ("code", "label", "labelEn", "subject", "unit", "numerator", "denominator")
    },
    **{
        f"ScoringCurve.{f}": Held(FIGURES)
        for f in ("shape", "floor", "target", "cap", "explanation", "explanationEn")
    },
    **connection_rules("Scheme", FIGURES),
    **payload_rules("SchemePayload", "scheme", FIGURES),
}
