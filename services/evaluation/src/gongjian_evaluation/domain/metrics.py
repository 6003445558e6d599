"""The metric catalogue (指标库): what a MEASURED indicator of a scheme can measure, computed
from the evidence ledger (``store.metrics``) for an organisation or a person over a period.

Each metric is a numerator, and for a rate or an average a denominator; its value is
numerator / denominator (no value when both are 0). Unit "%": the value is that fraction (0.85
is shown as 85 %), and a scheme's curve for it is given in fractions too.

The period: a source counts in it by its day (``occurred_on``: an activity's start, a check-in's
day, the day hours were served, a case's opening, a pledge's or decision's due day, a visit's
day). "Members" are the organisation's members on the period's last day; "leaders" are the posts
held on that day.

Not in the catalogue, because no event says it: ventures and the people they lead per
organisation or person (venture events name a unit only), members' pledges (they name no
person), functional groups and 推优 conversion (no event yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SubjectKind(StrEnum):
    ORGANIZATION = "ORGANIZATION"
    PERSON = "PERSON"


@dataclass(frozen=True)
class MetricDef:
    code: str
    label_zh: str
    label_en: str
    subject: SubjectKind
    numerator_zh: str
    denominator_zh: str | None  # None: a plain count or sum
    unit: str  # "次/人", "%", "小时/人", "分" …


ORG, PERSON = SubjectKind.ORGANIZATION, SubjectKind.PERSON
MEMBERS_ZH = "期末在册成员数（本期最后一天仍在组织中的成员）"

_CATALOGUE = (
    # 队伍建设、工作业绩: activities
    MetricDef(
        "activities_completed",
        "开展活动次数",
        "Activities completed",
        ORG,
        "本期开始、已完成的本组织主办（含联合主办）活动数",
        None,
        "次",
    ),
    MetricDef(
        "activities_per_member",
        "人均活动次数",
        "Activities completed per member",
        ORG,
        "本期开始、已完成的本组织主办（含联合主办）活动数",
        MEMBERS_ZH,
        "次/人",
    ),
    MetricDef(
        "volunteer_hours_per_member",
        "人均志愿服务时长",
        "Volunteer hours per member",
        ORG,
        "期末在册成员本期服务的志愿时长合计（已核实及补录，小时）",
        MEMBERS_ZH,
        "小时/人",
    ),
    MetricDef(
        "member_participation_rate",
        "成员参与率",
        "Share of members who took part",
        ORG,
        "本期至少签到参加过一次本组织活动的期末在册成员数",
        MEMBERS_ZH,
        "%",
    ),
    MetricDef(
        "training_count",
        "学习培训次数",
        "Trainings held",
        ORG,
        "本期开始、已完成的本组织主办的学习培训类活动数",
        None,
        "次",
    ),
    # 工作机制、群众反映: the case desk (诉求)
    MetricDef(
        "case_resolution_rate",
        "诉求办结率",
        "Case resolution rate",
        ORG,
        "本期受理、现由本组织承办的诉求中已办结（含已回访关闭）的件数",
        "本期受理、现由本组织承办的诉求件数",
        "%",
    ),
    MetricDef(
        "case_on_time_rate",
        "诉求按期办结率",
        "Cases resolved on time",
        ORG,
        "其中按期办结的件数",
        "本期受理、现由本组织承办并已办结的诉求件数",
        "%",
    ),
    MetricDef(
        "case_satisfaction_mean",
        "诉求满意度",
        "Mean satisfaction of closed cases",
        ORG,
        "本期受理、现由本组织承办、已回访关闭且有评分的诉求的满意度评分之和（1–5分）",
        "这些诉求的件数",
        "分",
    ),
    # 工作业绩: pledges, joint meetings, pairings
    MetricDef(
        "pledges_fulfilled_rate",
        "承诺践诺率",
        "Pledges fulfilled",
        ORG,
        "本期到期的本组织承诺中已兑现的件数",
        "本期到期的本组织承诺件数",
        "%",
    ),
    MetricDef(
        "decisions_done_rate",
        "联席会议决定落实率",
        "Joint meetings' decisions done",
        ORG,
        "本期到期、由本组织牵头落实的联席会议决定中已落实的件数",
        "本期到期、由本组织牵头落实且未撤销的决定件数",
        "%",
    ),
    MetricDef(
        "visits_count",
        "结对走访次数",
        "Visits under pairings",
        ORG,
        "本期在本组织参与的结对中开展的走访次数",
        None,
        "次",
    ),
    MetricDef(
        "pairings_active",
        "在结对数",
        "Pairings in force",
        ORG,
        "本期最后一天本组织参与且仍在进行的结对数",
        None,
        "个",
    ),
    # 领导班子: leaders' posts
    MetricDef(
        "leader_posts_filled",
        "班子在任人数",
        "Leader posts filled",
        ORG,
        "本期最后一天在任的班子成员职务数",
        None,
        "人",
    ),
    MetricDef(
        "leader_terms_overdue",
        "超期未换届职务数",
        "Leader posts overdue for re-election",
        ORG,
        "本期最后一天仍在任、但任期已届满的班子成员职务数",
        None,
        "个",
    ),
    # 五标兵: people
    MetricDef(
        "volunteer_hours",
        "志愿服务时长",
        "Volunteer hours",
        PERSON,
        "本人本期服务的志愿时长合计（已核实及补录，小时）",
        None,
        "小时",
    ),
    MetricDef(
        "activities_attended",
        "参加活动次数",
        "Activities attended",
        PERSON,
        "本人本期签到参加的活动次数",
        None,
        "次",
    ),
    MetricDef(
        "trainings_attended",
        "参加学习培训次数",
        "Trainings attended",
        PERSON,
        "本人本期签到参加的学习培训类活动次数",
        None,
        "次",
    ),
)

METRICS: dict[str, MetricDef] = {m.code: m for m in _CATALOGUE}
# The activity categories that are training (学习培训).
TRAINING_CATEGORIES = ("TRAINING",)
