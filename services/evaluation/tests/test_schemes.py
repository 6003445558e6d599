"""Schemes, curves and grades: pure rules, no I/O."""

from __future__ import annotations

import json
import random
import re
import uuid
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

import gongjian_evaluation
from gongjian_evaluation.domain.grading import Bands, Grade, excellent_places, grade_all
from gongjian_evaluation.domain.metrics import METRICS, SubjectKind
from gongjian_evaluation.domain.schemes import (
    DEFAULT_COLLECTIVE,
    DEFAULT_INDIVIDUAL,
    DEFAULTS,
    MEMBER_REVIEW,
    SUBJECT_OF,
    Curve,
    Dimension,
    Indicator,
    IndicatorKind,
    Scheme,
    SchemeKind,
    weighted_total,
)
from gongjian_evaluation.settings import EvaluationSettings

D = Decimal
BANDS = Bands(D(90), D(80), D(60))
MIGRATION = Path(gongjian_evaluation.__file__).parent / "migrations" / "0005_schemes.sql"


# --- curves -----------------------------------------------------------------------------------


def test_a_linear_curve_scores_0_at_the_floor_100_at_the_target_and_linear_between():
    curve = Curve(D("0.6"), D("0.95"))
    assert curve.score(D("0.5")) == D("0.00")
    assert curve.score(D("0.6")) == D("0.00")
    assert curve.score(D("0.95")) == D("100.00")
    assert curve.score(D("1")) == D("100.00")
    # (0.8 − 0.6) ÷ 0.35 × 100 = 57.142857… → 57.14
    assert curve.score(D("0.8")) == D("57.14")
    assert curve.score(None) == D("0.00")


def test_curve_scores_round_half_up_to_two_decimals_and_stop_at_the_cap():
    curve = Curve(D(0), D(8))
    assert curve.score(D(1)) == D("12.50")
    assert Curve(D(0), D(3)).score(D(2)) == D("66.67")
    assert Curve(D(0), D(3)).score(D(1)) == D("33.33")
    capped = Curve(D(0), D(10), cap=D(80))
    assert capped.score(D(5)) == D("50.00")
    assert capped.score(D(9)) == D("80.00")
    assert capped.score(D(50)) == D("80.00")


def test_a_curve_explains_itself():
    assert Curve(D("0.6"), D("0.95")).explain() == (
        "线性：≤0.6 得0分，≥0.95 得100分，其间按（值−0.6）÷0.35×100计"
    )
    assert Curve(D(0), D(12), D(80)).explain().endswith("，最高80分")
    assert "scores 100" in Curve(D(0), D(12)).explain_en()


# --- weighted totals --------------------------------------------------------------------------


def two_by_two() -> Scheme:
    """Two dimensions (60/40), two SCORED indicators each (70/30 and 50/50)."""

    def scored(code: str, weight: int) -> Indicator:
        return Indicator(code, code, code, IndicatorKind.SCORED, D(weight))

    return Scheme(
        "T",
        "测试",
        SchemeKind.COLLECTIVE,
        (
            Dimension("A", "甲", "A", D(60), (scored("a1", 70), scored("a2", 30))),
            Dimension("B", "乙", "B", D(40), (scored("b1", 50), scored("b2", 50))),
        ),
    )


def test_the_weighted_total_is_recomputable_from_the_dimension_scores_shown():
    scheme = two_by_two()
    total, dims = weighted_total(scheme, {"a1": D(90), "a2": D("77.77"), "b1": D(60), "b2": D(81)})
    # A: 90 × 0.7 + 77.77 × 0.3 = 63 + 23.331 = 86.331 → 86.33; B: 30 + 40.5 = 70.5
    assert dims == {"A": D("86.33"), "B": D("70.50")}
    # 86.33 × 0.6 + 70.50 × 0.4 = 51.798 + 28.2 = 79.998 → 80.00
    assert total == D("80.00")


def test_a_missing_score_counts_zero():
    total, dims = weighted_total(two_by_two(), {"a1": D(100), "b1": None})
    assert dims == {"A": D("70.00"), "B": D("0.00")}
    assert total == D("42.00")
    assert weighted_total(two_by_two(), {})[0] == D("0.00")


def test_a_score_outside_0_to_100_is_a_bug_not_a_total():
    with pytest.raises(ValueError, match="a1"):
        weighted_total(two_by_two(), {"a1": D(101)})


def test_full_marks_on_the_default_schemes_make_100():
    for scheme in DEFAULTS.values():
        total, dims = weighted_total(scheme, {i.code: D(100) for i in scheme.indicators})
        assert total == D("100.00")
        assert set(dims.values()) == {D("100.00")}


# --- problems ---------------------------------------------------------------------------------


def with_dimension(scheme: Scheme, i: int, **changes: object) -> Scheme:
    dims = list(scheme.dimensions)
    dims[i] = replace(dims[i], **changes)  # type: ignore[arg-type]
    return replace(scheme, dimensions=tuple(dims))


def with_indicator(scheme: Scheme, i: int, j: int, **changes: object) -> Scheme:
    indicators = list(scheme.dimensions[i].indicators)
    indicators[j] = replace(indicators[j], **changes)  # type: ignore[arg-type]
    return with_dimension(scheme, i, indicators=tuple(indicators))


def fields(scheme: Scheme) -> list[str]:
    return [field for field, _, _ in scheme.problems()]


def test_the_default_schemes_are_valid():
    assert DEFAULT_COLLECTIVE.problems() == []
    assert DEFAULT_INDIVIDUAL.problems() == []


def test_the_defaults_are_the_five_goods_and_the_five_models():
    assert [d.label_zh for d in DEFAULT_COLLECTIVE.dimensions] == [
        "领导班子好",
        "队伍建设好",
        "工作机制好",
        "工作业绩好",
        "群众反映好",
    ]
    assert [d.label_zh for d in DEFAULT_INDIVIDUAL.dimensions] == [
        "自觉学习",
        "执行政策",
        "服务职工/青年/妇女",
        "爱岗敬业",
        "遵纪守法",
    ]
    feedback = DEFAULT_COLLECTIVE.dimensions[4]
    member_review = DEFAULT_COLLECTIVE.indicator(MEMBER_REVIEW)
    assert member_review in feedback.indicators
    assert member_review.kind is IndicatorKind.SCORED
    for scheme in DEFAULTS.values():
        kinds = {i.kind for i in scheme.indicators}
        assert kinds == {IndicatorKind.MEASURED, IndicatorKind.SCORED}
        for dimension in scheme.dimensions:
            assert 2 <= len(dimension.indicators) <= 3
        for indicator in scheme.indicators:
            if indicator.kind is IndicatorKind.MEASURED:
                assert indicator.metric is not None
                metric = METRICS[indicator.metric]
                assert metric.subject is SUBJECT_OF[scheme.kind]
            else:
                assert indicator.guidance_zh


def test_weights_that_do_not_add_up_are_told_with_the_field_at_fault():
    scheme = with_dimension(DEFAULT_COLLECTIVE, 1, weight=D(25))
    scheme = with_indicator(scheme, 2, 0, weight=D(0))
    found = scheme.problems()
    assert [f for f, _, _ in found] == [
        "dimensions",  # 20 + 25 + 20 + 20 + 20 = 105
        "dimensions[2].indicators[0].weight",
        "dimensions[2].indicators",  # 0 + 35 + 30 = 65
    ]
    assert "现为105" in found[0][1]
    assert "not 65" in found[2][2]


def test_a_weight_has_two_decimals_at_most():
    scheme = with_indicator(DEFAULT_COLLECTIVE, 0, 0, weight=D("39.995"))
    scheme = with_indicator(scheme, 0, 1, weight=D("30.005"))
    assert fields(scheme) == [
        "dimensions[0].indicators[0].weight",
        "dimensions[0].indicators[1].weight",
    ]
    thirds = with_indicator(DEFAULT_COLLECTIVE, 0, 0, weight=D("33.34"))
    thirds = with_indicator(thirds, 0, 1, weight=D("33.33"))
    thirds = with_indicator(thirds, 0, 2, weight=D("33.33"))
    assert thirds.problems() == []


def test_a_measured_indicator_needs_a_known_metric_of_its_subject_and_a_rising_curve():
    scheme = with_indicator(DEFAULT_COLLECTIVE, 0, 0, metric="no_such_metric")
    person_metric = next(c for c, m in METRICS.items() if m.subject is SubjectKind.PERSON)
    scheme = with_indicator(scheme, 1, 0, metric=person_metric)
    scheme = with_indicator(scheme, 3, 0, curve=Curve(D(12), D(12)))
    scheme = with_indicator(scheme, 3, 1, curve=None)
    scheme = with_indicator(scheme, 3, 2, curve=Curve(D(0), D(1), cap=D(0)))
    assert fields(scheme) == [
        "dimensions[0].indicators[0].metric",
        "dimensions[1].indicators[0].metric",
        "dimensions[3].indicators[0].curve.target",
        "dimensions[3].indicators[1].curve",
        "dimensions[3].indicators[2].curve.cap",
    ]


def test_codes_are_unique_across_the_scheme_and_member_review_is_scored():
    scheme = with_indicator(DEFAULT_COLLECTIVE, 1, 0, code="leader_posts")  # as in dimension 0
    scheme = with_dimension(scheme, 4, code="LEADERSHIP")
    scheme = with_indicator(scheme, 2, 2, code="bad code")
    scheme = with_indicator(
        scheme,
        4,
        0,
        kind=IndicatorKind.MEASURED,
        metric="activities_completed",
        curve=Curve(D(0), D(1)),
    )
    assert fields(scheme) == [
        "dimensions[1].indicators[0].code",
        "dimensions[2].indicators[2].code",
        "dimensions[4].code",
        "dimensions[4].indicators[0].kind",
    ]


def test_a_scored_indicator_has_no_metric_and_labels_are_required():
    scheme = with_indicator(DEFAULT_COLLECTIVE, 0, 1, metric="training_count")
    scheme = with_indicator(scheme, 0, 2, label_zh=" ", label_en="")
    scheme = replace(scheme, name="")
    assert fields(scheme) == [
        "name",
        "dimensions[0].indicators[1].metric",
        "dimensions[0].indicators[2].label",
        "dimensions[0].indicators[2].labelEn",
    ]


def test_a_scheme_without_dimensions_is_refused():
    assert fields(replace(DEFAULT_INDIVIDUAL, dimensions=())) == ["dimensions"]
    assert fields(with_dimension(DEFAULT_INDIVIDUAL, 0, indicators=())) == [
        "dimensions[0].indicators"
    ]


def test_a_definition_survives_json_exactly():
    for scheme in DEFAULTS.values():
        data = json.loads(json.dumps(scheme.to_json()))
        assert Scheme.from_json(data) == scheme
    with pytest.raises(ValueError, match="not a scheme definition"):
        Scheme.from_json({"code": "X"})


def test_the_migration_inserts_the_python_defaults():
    """The shipped defaults are inserted by 0005_schemes.sql: the JSON there must be the Python
    definitions (regenerate the INSERT from DEFAULTS when they change, in a new migration)."""
    sql = MIGRATION.read_text(encoding="utf-8")
    rows = re.findall(
        r"\('([0-9a-f-]{36})', '(\w+)', '([^']+)', '(\w+)', NULL, NULL, 1,\s*"
        r"\$definition\$(.*?)\$definition\$::jsonb",
        sql,
        re.S,
    )
    assert len(rows) == len(DEFAULTS) == 2
    for scheme_id, code, name, kind, definition in rows:
        scheme = DEFAULTS[uuid.UUID(scheme_id)]
        assert (code, name, kind) == (scheme.code, scheme.name, scheme.kind.value)
        assert json.loads(definition) == scheme.to_json()


# --- grades -----------------------------------------------------------------------------------


def ids(n: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=k + 1) for k in range(n)]


def test_ranks_share_ties_and_grades_follow_the_bands():
    a, b, c, d, e = ids(5)
    graded = grade_all(
        [(a, D(70)), (b, D(85)), (c, D(85)), (d, D("59.99")), (e, D(80))], BANDS, D("0.2")
    )
    assert [(g.subject_id, g.rank, g.grade) for g in graded] == [
        (b, 1, Grade.GOOD),
        (c, 1, Grade.GOOD),
        (e, 3, Grade.GOOD),
        (a, 4, Grade.PASS),
        (d, 5, Grade.FAIL),
    ]
    assert all(g.note_zh is None for g in graded)


def test_the_share_of_excellent_is_capped_by_rank():
    subjects = ids(10)
    totals = [D(99), D(97), D(95), D(93), D(91), D(85), D(84), D(70), D(65), D(50)]
    graded = grade_all(list(zip(subjects, totals, strict=True)), BANDS, D("0.2"))
    assert [g.grade for g in graded] == [Grade.EXCELLENT] * 2 + [Grade.GOOD] * 5 + [
        Grade.PASS
    ] * 2 + [Grade.FAIL]
    third = graded[2]
    assert third.note_zh == "第3名，超出优秀名额2个（10个中的20%），降为良好"
    assert third.note_en is not None
    assert "beyond the 2 EXCELLENT places" in third.note_en
    assert graded[5].note_zh is None  # 85 is GOOD by its band, not by the cap


def test_subjects_tied_at_the_cut_are_all_demoted():
    subjects = ids(10)
    totals = [D(99), D(95), D(95), D(91)] + [D(70)] * 6
    graded = grade_all(list(zip(subjects, totals, strict=True)), BANDS, D("0.2"))
    assert [(g.rank, g.grade) for g in graded[:4]] == [
        (1, Grade.EXCELLENT),
        (2, Grade.GOOD),
        (2, Grade.GOOD),
        (4, Grade.GOOD),
    ]
    assert (
        graded[1].note_zh
        == graded[2].note_zh
        == ("并列第2名（2个同分），优秀名额2个（10个中的20%），同分者均降为良好")
    )
    assert graded[3].note_zh == "第4名，超出优秀名额2个（10个中的20%），降为良好"


def test_ties_that_fit_the_places_all_keep_excellent():
    subjects = ids(10)
    totals = [D(95), D(95)] + [D(70)] * 8
    graded = grade_all(list(zip(subjects, totals, strict=True)), BANDS, D("0.2"))
    assert [g.grade for g in graded[:2]] == [Grade.EXCELLENT, Grade.EXCELLENT]


def test_a_small_group_gets_one_excellent_place_when_someone_qualifies():
    a, b, c = ids(3)
    assert excellent_places(3, D("0.2"), anyone_qualifies=True) == 1
    assert excellent_places(3, D("0.2"), anyone_qualifies=False) == 0
    assert excellent_places(3, D(0), anyone_qualifies=True) == 0
    graded = grade_all([(a, D(92)), (b, D(91)), (c, D(60))], BANDS, D("0.2"))
    assert [g.grade for g in graded] == [Grade.EXCELLENT, Grade.GOOD, Grade.PASS]
    tied = grade_all([(a, D(92)), (b, D(92)), (c, D(60))], BANDS, D("0.2"))
    assert [g.grade for g in tied] == [Grade.GOOD, Grade.GOOD, Grade.PASS]
    assert tied[0].note_zh == "并列第1名（2个同分），优秀名额1个（3个中的20%），同分者均降为良好"
    nobody = grade_all([(a, D(95))], BANDS, D(0))
    assert nobody[0].grade is Grade.GOOD
    assert grade_all([], BANDS, D("0.2")) == []


def test_the_cap_holds_and_equal_totals_get_equal_grades_whatever_the_totals():
    rng = random.Random(10)
    for _ in range(300):
        n = rng.randint(1, 40)
        totals = [D(rng.choice([60, 80, 88, 90, 91, 93, 95, 100])) for _ in range(n)]
        share = D(rng.choice(["0", "0.1", "0.2", "0.5"]))
        graded = grade_all(list(zip(ids(n), totals, strict=True)), BANDS, share)
        excellent = [g for g in graded if g.grade is Grade.EXCELLENT]
        qualified = any(t >= 90 for t in totals)
        assert len(excellent) <= excellent_places(n, share, qualified)
        by_total: dict[Decimal, set[Grade]] = {}
        for g in graded:
            by_total.setdefault(g.total, set()).add(g.grade)
            assert g.grade is not Grade.EXCELLENT or g.total >= 90
        assert all(len(grades) == 1 for grades in by_total.values())


def test_bands_come_from_settings_and_travel_as_json(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GRADE_EXCELLENT", "92.5")
    monkeypatch.setenv("EXCELLENT_SHARE", "0.15")
    settings = EvaluationSettings()
    bands = Bands.from_settings(settings)
    assert bands == Bands(D("92.5"), D(80), D(60))
    assert settings.excellent_share == D("0.15")
    assert settings.award_notice_working_days == 5
    assert Bands.from_json(json.loads(json.dumps(bands.to_json()))) == bands
    assert bands.grade(D("92.49")) is Grade.GOOD


def test_thresholds_out_of_order_are_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GRADE_GOOD", "95")
    with pytest.raises(ValueError, match="thresholds"):
        EvaluationSettings()
