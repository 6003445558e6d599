"""推优入党: the order of stages, the year boundary (same date next year), the least age."""

from datetime import date

import pytest

from gongjian_evaluation.domain import recommendations as domain
from gongjian_evaluation.domain.recommendations import Rules, Stage
from gongjian_kit.errors import ErrorCode

RULES = Rules()
TODAY = date(2026, 11, 27)


def dates(**on: date) -> dict[Stage, date | None]:
    return {stage: on.get(stage.value.lower()) for stage in Stage}


def test_a_year_is_the_same_date_next_year():
    assert domain.add_years(date(2024, 3, 1), 1) == date(2025, 3, 1)
    assert domain.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert domain.add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_a_candidate_after_a_full_year_as_an_activist():
    known = dates(recommended=date(2024, 3, 1), activist=date(2024, 3, 1))
    [problem] = domain.date_problems(Stage.CANDIDATE, date(2025, 2, 28), known, TODAY, RULES)
    assert problem.code is ErrorCode.BAD_USER_INPUT
    assert problem.field == "on"
    assert "满一年后方可列为发展对象（最早2025-03-01）" in problem.zh
    assert "2025-03-01" in problem.en
    assert not domain.date_problems(Stage.CANDIDATE, date(2025, 3, 1), known, TODAY, RULES)
    assert domain.earliest_on(Stage.CANDIDATE, known, RULES) == date(2025, 3, 1)


def test_a_full_member_after_a_year_on_probation():
    known = dates(probationary=date(2025, 6, 1))
    [problem] = domain.date_problems(Stage.FULL_MEMBER, date(2026, 5, 31), known, TODAY, RULES)
    assert "预备期满一年后方可转为正式党员（最早2026-06-01）" in problem.zh
    assert not domain.date_problems(Stage.FULL_MEMBER, date(2026, 6, 1), known, TODAY, RULES)


def test_a_stage_is_not_in_the_future_nor_before_the_one_before():
    known = dates(recommended=date(2024, 3, 1))
    problems = domain.date_problems(Stage.ACTIVIST, date(2024, 2, 28), known, TODAY, RULES)
    assert [p.field for p in problems] == ["on"]
    assert "不能早于" in problems[0].zh
    future = domain.date_problems(Stage.ACTIVIST, date(2026, 11, 28), known, TODAY, RULES)
    assert "不能晚于今天" in future[0].zh
    # The same day as the stage before is fine (recommended and made an activist at once).
    assert not domain.date_problems(Stage.ACTIVIST, date(2024, 3, 1), known, TODAY, RULES)


@pytest.mark.parametrize(
    ("current", "target", "stopped", "refused"),
    [
        (Stage.RECOMMENDED, Stage.ACTIVIST, False, None),
        (Stage.RECOMMENDED, Stage.CANDIDATE, False, "当前为“已推优”，下一步只能是“入党积极分子”"),
        (Stage.ACTIVIST, Stage.ACTIVIST, False, "当前为“入党积极分子”"),
        (Stage.FULL_MEMBER, Stage.FULL_MEMBER, False, "推优已完成"),
        (Stage.CANDIDATE, Stage.PROBATIONARY, True, "已终止（停在“发展对象”）"),
    ],
)
def test_only_the_next_stage(current, target, stopped, refused):
    problem = domain.stage_conflict(current, target, stopped)
    if refused is None:
        assert problem is None
    else:
        assert problem is not None
        assert problem.code is ErrorCode.CONFLICT
        assert refused in problem.zh
        assert current.value in problem.en


def test_age_at_the_application():
    assert domain.age_on(date(2006, 3, 1), date(2024, 2, 29)) == 17
    assert domain.age_on(date(2006, 3, 1), date(2024, 3, 1)) == 18
    assert domain.age_problem(date(2006, 3, 1), date(2024, 3, 1), RULES) is None
    young = domain.age_problem(date(2006, 3, 2), date(2024, 3, 1), RULES)
    assert young is not None
    assert "年满18周岁（2024-03-02起）" in young.zh
    unknown = domain.age_problem(None, date(2024, 3, 1), RULES)
    assert unknown is not None
    assert unknown.field == "personId"
