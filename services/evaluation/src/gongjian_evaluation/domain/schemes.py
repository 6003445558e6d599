"""Schemes (评价方案): dimensions of weighted indicators, each MEASURED from the evidence with a
scoring curve or SCORED by people; the two shipped defaults, 五个好 and 五标兵.

A scheme is a value: cycles copy its definition when they open (so changing a scheme never
touches a running cycle), and the definition is kept as JSON (``to_json`` / ``from_json``),
every number a decimal string so nothing is lost to floating point.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from gongjian_evaluation.domain.metrics import METRICS, SubjectKind

HUNDRED = Decimal(100)
TWO_PLACES = Decimal("0.01")
CODE = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,39}")
MAX_DIMENSIONS = 10
MAX_INDICATORS = 20

# 群众评议: the SCORED indicator the members' ratings feed (part of 群众反映好 in 五个好).
MEMBER_REVIEW = "member_review"


class SchemeKind(StrEnum):
    COLLECTIVE = "COLLECTIVE"  # 集体：五个好
    INDIVIDUAL = "INDIVIDUAL"  # 个人：五标兵


SCHEME_KIND_LABELS = {
    SchemeKind.COLLECTIVE: "集体（五个好）",
    SchemeKind.INDIVIDUAL: "个人（五标兵）",
}
SUBJECT_OF = {
    SchemeKind.COLLECTIVE: SubjectKind.ORGANIZATION,
    SchemeKind.INDIVIDUAL: SubjectKind.PERSON,
}


class IndicatorKind(StrEnum):
    MEASURED = "MEASURED"  # computed from events by a metric of the catalogue, through a curve
    SCORED = "SCORED"  # scored 0..100 by people (self-assessment, review, members' review)


INDICATOR_KIND_LABELS = {IndicatorKind.MEASURED: "数据测评", IndicatorKind.SCORED: "评议打分"}


def plain(number: Decimal) -> str:
    """A decimal as people write it: 0.95, 12, 4.8 (no exponent, no trailing zeros)."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Curve:
    """LINEAR: 0 at or below ``floor``, 100 at or above ``target``, linear between, never more
    than ``cap``."""

    floor: Decimal
    target: Decimal
    cap: Decimal = HUNDRED

    def score(self, value: Decimal | None) -> Decimal:
        """The score 0..cap (two decimals, half up) of a measured value; no value scores 0."""
        if value is None or value <= self.floor:
            raw = Decimal(0)
        elif value >= self.target:
            raw = HUNDRED
        else:
            raw = (value - self.floor) * HUNDRED / (self.target - self.floor)
        return min(raw, self.cap).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)

    def explain(self) -> str:
        text = (
            f"线性：≤{plain(self.floor)} 得0分，≥{plain(self.target)} 得100分，"
            f"其间按（值−{plain(self.floor)}）÷{plain(self.target - self.floor)}×100计"
        )
        if self.cap < HUNDRED:
            text += f"，最高{plain(self.cap)}分"
        return text

    def explain_en(self) -> str:
        text = (
            f"Linear: {plain(self.floor)} or less scores 0, {plain(self.target)} or more scores "
            f"100, in between (value − {plain(self.floor)}) ÷ "
            f"{plain(self.target - self.floor)} × 100"
        )
        if self.cap < HUNDRED:
            text += f", at most {plain(self.cap)}"
        return text


@dataclass(frozen=True)
class Indicator:
    code: str
    label_zh: str
    label_en: str
    kind: IndicatorKind
    weight: Decimal  # share of its dimension, in percent
    metric: str | None = None  # MEASURED: a code of METRICS
    curve: Curve | None = None  # MEASURED
    guidance_zh: str | None = None  # SCORED: what the assessors look at
    guidance_en: str | None = None


@dataclass(frozen=True)
class Dimension:
    code: str
    label_zh: str
    label_en: str
    weight: Decimal  # share of the total, in percent
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Scheme:
    code: str
    name: str
    kind: SchemeKind
    dimensions: tuple[Dimension, ...]

    def indicator(self, code: str) -> Indicator:
        for dimension in self.dimensions:
            for indicator in dimension.indicators:
                if indicator.code == code:
                    return indicator
        raise KeyError(code)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for d in self.dimensions for i in d.indicators)

    def renamed(self, name: str) -> Scheme:
        return replace(self, name=name)

    def problems(self) -> list[tuple[str, str, str]]:
        """Every problem of the scheme at once, as (field, zh, en); the field is the path of the
        input at fault (``dimensions[2].indicators[0].weight``). None: the scheme can be used."""
        found: list[tuple[str, str, str]] = []
        if not 1 <= len(self.name.strip()) <= 100:
            found.append(("name", "方案名称为1至100字", "The name is 1 to 100 characters"))
        if not 1 <= len(self.dimensions) <= MAX_DIMENSIONS:
            found.append(
                (
                    "dimensions",
                    f"方案须有1至{MAX_DIMENSIONS}个维度",
                    f"A scheme has 1 to {MAX_DIMENSIONS} dimensions",
                )
            )
        found += _weights_problems("dimensions", [d.weight for d in self.dimensions], "维度")
        dimension_codes: set[str] = set()
        indicator_codes: set[str] = set()
        for i, dimension in enumerate(self.dimensions):
            at = f"dimensions[{i}]"
            found += _code_problems(f"{at}.code", dimension.code, dimension_codes)
            found += _label_problems(at, dimension.label_zh, dimension.label_en)
            if not 1 <= len(dimension.indicators) <= MAX_INDICATORS:
                found.append(
                    (
                        f"{at}.indicators",
                        f"每个维度须有1至{MAX_INDICATORS}项指标",
                        f"A dimension has 1 to {MAX_INDICATORS} indicators",
                    )
                )
            found += _weights_problems(
                f"{at}.indicators", [x.weight for x in dimension.indicators], "指标"
            )
            for j, indicator in enumerate(dimension.indicators):
                found += self._indicator_problems(
                    f"{at}.indicators[{j}]", indicator, indicator_codes
                )
        return found

    def _indicator_problems(
        self, at: str, indicator: Indicator, seen: set[str]
    ) -> list[tuple[str, str, str]]:
        found = _code_problems(f"{at}.code", indicator.code, seen)
        found += _label_problems(at, indicator.label_zh, indicator.label_en)
        if indicator.kind is IndicatorKind.SCORED:
            if indicator.metric is not None or indicator.curve is not None:
                found.append(
                    (
                        f"{at}.metric",
                        "评议打分指标不设数据口径和计分曲线",
                        "A SCORED indicator has no metric and no curve",
                    )
                )
            for field, text in (
                ("guidance", indicator.guidance_zh),
                ("guidanceEn", indicator.guidance_en),
            ):
                if text is not None and len(text) > 500:
                    found.append((f"{at}.{field}", "评分说明不超过500字", "At most 500 characters"))
            return found
        if indicator.code == MEMBER_REVIEW:
            found.append(
                (
                    f"{at}.kind",
                    "群众评议（member_review）由成员打分，应为评议打分指标",
                    "member_review is scored by the members: it must be SCORED",
                )
            )
        metric = METRICS.get(indicator.metric or "")
        if metric is None:
            found.append(
                (
                    f"{at}.metric",
                    "数据测评指标须选用指标目录中的数据口径",
                    "A MEASURED indicator needs a metric of the catalogue",
                )
            )
        elif metric.subject is not SUBJECT_OF[self.kind]:
            found.append(
                (
                    f"{at}.metric",
                    f"数据口径“{metric.label_zh}”不适用于{SCHEME_KIND_LABELS[self.kind]}方案",
                    f"The metric {metric.code} does not measure the subjects of a "
                    f"{self.kind.value} scheme",
                )
            )
        curve = indicator.curve
        if curve is None:
            found.append(
                (f"{at}.curve", "数据测评指标须设计分曲线", "A MEASURED indicator needs a curve")
            )
            return found
        if not curve.floor < curve.target:
            found.append(
                (
                    f"{at}.curve.target",
                    "满分值须大于起评值",
                    "The target must be greater than the floor",
                )
            )
        if not Decimal(0) < curve.cap <= HUNDRED:
            found.append(
                (f"{at}.curve.cap", "封顶分须在0至100之间", "The cap is more than 0, at most 100")
            )
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind.value,
            "dimensions": [
                {
                    "code": d.code,
                    "labelZh": d.label_zh,
                    "labelEn": d.label_en,
                    "weight": plain(d.weight),
                    "indicators": [_indicator_json(i) for i in d.indicators],
                }
                for d in self.dimensions
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scheme:
        """The scheme a definition describes; ``ValueError`` when it is not one."""
        try:
            return cls(
                code=str(data["code"]),
                name=str(data["name"]),
                kind=SchemeKind(data["kind"]),
                dimensions=tuple(
                    Dimension(
                        code=str(d["code"]),
                        label_zh=str(d["labelZh"]),
                        label_en=str(d["labelEn"]),
                        weight=_decimal(d["weight"]),
                        indicators=tuple(_indicator_from_json(i) for i in d["indicators"]),
                    )
                    for d in data["dimensions"]
                ),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a scheme definition: {exc!r}") from exc


def _decimal(raw: object) -> Decimal:
    try:
        number = Decimal(str(raw))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {raw!r}") from exc
    if not number.is_finite():
        raise ValueError(f"not a finite number: {raw!r}")
    return number


def _indicator_json(indicator: Indicator) -> dict[str, Any]:
    curve = indicator.curve
    return {
        "code": indicator.code,
        "labelZh": indicator.label_zh,
        "labelEn": indicator.label_en,
        "kind": indicator.kind.value,
        "weight": plain(indicator.weight),
        "metric": indicator.metric,
        "curve": None
        if curve is None
        else {
            "type": "LINEAR",
            "floor": plain(curve.floor),
            "target": plain(curve.target),
            "cap": plain(curve.cap),
        },
        "guidanceZh": indicator.guidance_zh,
        "guidanceEn": indicator.guidance_en,
    }


def _indicator_from_json(data: Mapping[str, Any]) -> Indicator:
    curve = data.get("curve")
    if curve is not None and curve.get("type", "LINEAR") != "LINEAR":
        raise ValueError(f"unknown curve type {curve.get('type')!r}")
    return Indicator(
        code=str(data["code"]),
        label_zh=str(data["labelZh"]),
        label_en=str(data["labelEn"]),
        kind=IndicatorKind(data["kind"]),
        weight=_decimal(data["weight"]),
        metric=data.get("metric"),
        curve=None
        if curve is None
        else Curve(
            floor=_decimal(curve["floor"]),
            target=_decimal(curve["target"]),
            cap=_decimal(curve.get("cap", HUNDRED)),
        ),
        guidance_zh=data.get("guidanceZh"),
        guidance_en=data.get("guidanceEn"),
    )


def _code_problems(field: str, code: str, seen: set[str]) -> list[tuple[str, str, str]]:
    if not CODE.fullmatch(code):
        return [
            (
                field,
                "代码为2至40位字母、数字或下划线，以字母开头",
                "A code is 2 to 40 letters, digits or _, starting with a letter",
            )
        ]
    if code in seen:
        return [(field, f"代码“{code}”重复", f"The code {code} is used twice")]
    seen.add(code)
    return []


def _label_problems(at: str, label_zh: str, label_en: str) -> list[tuple[str, str, str]]:
    found = []
    if not 1 <= len(label_zh.strip()) <= 40:
        found.append((f"{at}.label", "中文名称为1至40字", "The label is 1 to 40 characters"))
    if not 1 <= len(label_en.strip()) <= 80:
        found.append(
            (f"{at}.labelEn", "英文名称为1至80字", "The English label is 1 to 80 characters")
        )
    return found


def _weights_problems(at: str, weights: list[Decimal], what: str) -> list[tuple[str, str, str]]:
    """Each weight more than 0 and at most 100, two decimals at most; together exactly 100."""
    found = []
    for k, weight in enumerate(weights):
        if not (Decimal(0) < weight <= HUNDRED) or weight != weight.quantize(TWO_PLACES):
            found.append(
                (
                    f"{at}[{k}].weight",
                    "权重须大于0、不超过100，最多两位小数",
                    "A weight is more than 0 and at most 100, with two decimals at most",
                )
            )
    total = sum(weights, Decimal(0))
    if weights and total != HUNDRED:
        item = "dimensions" if what == "维度" else "indicators"
        found.append(
            (
                at,
                f"各{what}权重之和须为100，现为{plain(total)}",
                f"The {item}' weights must add up to 100, not {plain(total)}",
            )
        )
    return found


def weighted_total(
    scheme: Scheme, scores: Mapping[str, Decimal | None]
) -> tuple[Decimal, dict[str, Decimal]]:
    """The total (0..100) and each dimension's score (0..100), two decimals half up.

    ``scores`` holds each indicator's score (0..100) by code; a missing or None score counts 0
    (a SCORED indicator no one scored yet, a MEASURED one with nothing to measure). A
    dimension's score is Σ score × weight ÷ 100 over its indicators; the total is Σ dimension
    score (as rounded and shown) × weight ÷ 100, so it can be recomputed by hand from the
    dimension scores shown.
    """
    by_dimension: dict[str, Decimal] = {}
    total = Decimal(0)
    for dimension in scheme.dimensions:
        sum_ = Decimal(0)
        for indicator in dimension.indicators:
            score = scores.get(indicator.code)
            if score is None:
                continue
            if not Decimal(0) <= score <= HUNDRED:
                raise ValueError(f"the score of {indicator.code} is not 0..100: {score}")
            sum_ += score * indicator.weight / HUNDRED
        shown = sum_.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
        by_dimension[dimension.code] = shown
        total += shown * dimension.weight / HUNDRED
    return total.quantize(TWO_PLACES, rounding=ROUND_HALF_UP), by_dimension


# ---------------------------------------------------------------------------------------------
# The shipped defaults. Periods are usually a year: targets are per year.

DEFAULT_COLLECTIVE_ID = uuid.UUID("5c4e3e6a-0f0b-5c55-9a11-000000000001")
DEFAULT_INDIVIDUAL_ID = uuid.UUID("5c4e3e6a-0f0b-5c55-9a11-000000000002")
D = Decimal


def _measured(
    code: str, zh: str, en: str, weight: int, metric: str, floor: str, target: str
) -> Indicator:
    return Indicator(
        code, zh, en, IndicatorKind.MEASURED, D(weight), metric, Curve(D(floor), D(target))
    )


def _scored(
    code: str, zh: str, en: str, weight: int, guidance_zh: str, guidance_en: str
) -> Indicator:
    return Indicator(
        code,
        zh,
        en,
        IndicatorKind.SCORED,
        D(weight),
        guidance_zh=guidance_zh,
        guidance_en=guidance_en,
    )


DEFAULT_COLLECTIVE = Scheme(
    code="FIVE_GOODS",
    name="五个好",
    kind=SchemeKind.COLLECTIVE,
    dimensions=(
        Dimension(
            "LEADERSHIP",
            "领导班子好",
            "A good leadership team",
            D(20),
            (
                _measured(
                    "leader_posts",
                    "班子配备",
                    "Leadership posts filled",
                    40,
                    "leader_posts_filled",
                    "1",
                    "3",
                ),
                _scored(
                    "team_unity",
                    "班子团结",
                    "A united team",
                    30,
                    "班子成员分工明确、团结协作，民主集中制执行到位",
                    "Clear duties, working together, democratic centralism observed",
                ),
                _scored(
                    "leading_by_example",
                    "带头示范",
                    "Leading by example",
                    30,
                    "班子成员带头参加组织生活、学习和志愿服务",
                    "Leaders are first to join meetings, study and volunteering",
                ),
            ),
        ),
        Dimension(
            "TEAM",
            "队伍建设好",
            "A well-built team",
            D(20),
            (
                _measured(
                    "training",
                    "学习培训",
                    "Training held",
                    35,
                    "training_count",
                    "0",
                    "4",
                ),
                _measured(
                    "volunteering",
                    "志愿服务",
                    "Volunteer hours per member",
                    35,
                    "volunteer_hours_per_member",
                    "0",
                    "8",
                ),
                _scored(
                    "team_growth",
                    "队伍发展",
                    "Growing the team",
                    30,
                    "发展新成员、培养骨干、推优入党的情况",
                    "New members, developing activists, recommendations to the party",
                ),
            ),
        ),
        Dimension(
            "MECHANISM",
            "工作机制好",
            "Good working mechanisms",
            D(20),
            (
                _measured(
                    "joint_decisions",
                    "联席会议决定落实",
                    "Joint-meeting decisions done",
                    35,
                    "decisions_done_rate",
                    "0.5",
                    "0.95",
                ),
                _measured(
                    "pledges",
                    "服务承诺兑现",
                    "Public pledges fulfilled",
                    35,
                    "pledges_fulfilled_rate",
                    "0.5",
                    "1",
                ),
                _scored(
                    "rules_in_place",
                    "制度健全",
                    "Sound rules, kept",
                    30,
                    "组织生活、议事决策、信息通报、财务管理等制度健全并执行",
                    "Rules for meetings, decisions, bulletins and finances exist and are kept",
                ),
            ),
        ),
        Dimension(
            "PERFORMANCE",
            "工作业绩好",
            "Good work done",
            D(20),
            (
                _measured(
                    "activities",
                    "活动开展",
                    "Activities completed",
                    40,
                    "activities_completed",
                    "0",
                    "12",
                ),
                _measured(
                    "cases_resolved",
                    "诉求办结",
                    "Cases resolved",
                    30,
                    "case_resolution_rate",
                    "0.6",
                    "0.95",
                ),
                _measured(
                    "cases_on_time",
                    "按时办结",
                    "Cases resolved on time",
                    30,
                    "case_on_time_rate",
                    "0.6",
                    "0.95",
                ),
            ),
        ),
        Dimension(
            "FEEDBACK",
            "群众反映好",
            "Good public feedback",
            D(20),
            (
                _scored(
                    MEMBER_REVIEW,
                    "群众评议",
                    "Members' review",
                    50,
                    "组织成员匿名评议各维度（1至5分），平均分×20计",
                    "The members rate each dimension anonymously (1 to 5); mean × 20",
                ),
                _measured(
                    "satisfaction",
                    "诉求满意度",
                    "Satisfaction with cases",
                    30,
                    "case_satisfaction_mean",
                    "3",
                    "4.8",
                ),
                _measured(
                    "visits",
                    "走访联系群众",
                    "Visits to residents",
                    20,
                    "visits_count",
                    "0",
                    "12",
                ),
            ),
        ),
    ),
)

DEFAULT_INDIVIDUAL = Scheme(
    code="FIVE_MODELS",
    name="五标兵",
    kind=SchemeKind.INDIVIDUAL,
    dimensions=(
        Dimension(
            "LEARNING",
            "自觉学习",
            "Learning of one's own accord",
            D(20),
            (
                _measured(
                    "trainings",
                    "参加学习培训",
                    "Training attended",
                    60,
                    "trainings_attended",
                    "0",
                    "4",
                ),
                _scored(
                    "learning_results",
                    "学习成效",
                    "What was learnt",
                    40,
                    "学习理论和业务知识，学以致用的情况",
                    "Study of theory and of the work, and putting it to use",
                ),
            ),
        ),
        Dimension(
            "POLICY",
            "执行政策",
            "Carrying out policy",
            D(20),
            (
                _scored(
                    "policy_carried_out",
                    "政策执行",
                    "Policy carried out",
                    60,
                    "宣传、执行党和国家方针政策及组织决定的情况",
                    "Explaining and carrying out policies and the organisation's decisions",
                ),
                _measured(
                    "activities",
                    "参加组织活动",
                    "Activities attended",
                    40,
                    "activities_attended",
                    "0",
                    "6",
                ),
            ),
        ),
        Dimension(
            "SERVICE",
            "服务职工/青年/妇女",
            "Serving workers, youth and women",
            D(20),
            (
                _measured(
                    "volunteer_hours",
                    "志愿服务时长",
                    "Volunteer hours",
                    60,
                    "volunteer_hours",
                    "0",
                    "40",
                ),
                _scored(
                    "service_feedback",
                    "服务对象评价",
                    "What those served say",
                    40,
                    "服务对象和群众对其服务的评价",
                    "What the people served say of the service",
                ),
            ),
        ),
        Dimension(
            "DEDICATION",
            "爱岗敬业",
            "Dedication to the job",
            D(20),
            (
                _scored(
                    "work_results",
                    "岗位业绩",
                    "Results at work",
                    60,
                    "本职工作完成情况和业绩",
                    "How the job was done and what came of it",
                ),
                _scored(
                    "setting_an_example",
                    "示范带动",
                    "Setting an example",
                    40,
                    "在单位和群众中的示范带动作用",
                    "The example set to colleagues and residents",
                ),
            ),
        ),
        Dimension(
            "LAW",
            "遵纪守法",
            "Abiding by the law",
            D(20),
            (
                _scored(
                    "discipline",
                    "遵纪守法",
                    "Law and discipline",
                    60,
                    "遵守法律法规和组织纪律，无违法违纪",
                    "Keeps the law and the organisation's discipline; no breaches",
                ),
                _scored(
                    "integrity",
                    "廉洁自律与社会公德",
                    "Integrity and public morals",
                    40,
                    "廉洁自律、遵守社会公德和家庭美德",
                    "Integrity, public morals and family virtues",
                ),
            ),
        ),
    ),
)

DEFAULTS: dict[uuid.UUID, Scheme] = {
    DEFAULT_COLLECTIVE_ID: DEFAULT_COLLECTIVE,
    DEFAULT_INDIVIDUAL_ID: DEFAULT_INDIVIDUAL,
}
