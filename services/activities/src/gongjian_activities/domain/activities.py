"""Activities: the five lines of work (五项工作), their categories and the status flow."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class LineOfWork(StrEnum):
    DUAL_CULTIVATION = "DUAL_CULTIVATION"  # 双育双带
    CONTRIBUTION_AT_WORK = "CONTRIBUTION_AT_WORK"  # 岗位建功
    SERVING_THE_PEOPLE = "SERVING_THE_PEOPLE"  # 服务群众
    PAIRING = "PAIRING"  # 结对共建
    MECHANISMS = "MECHANISMS"  # 健全机制


LINE_LABELS = {
    LineOfWork.DUAL_CULTIVATION: "双育双带",
    LineOfWork.CONTRIBUTION_AT_WORK: "岗位建功",
    LineOfWork.SERVING_THE_PEOPLE: "服务群众",
    LineOfWork.PAIRING: "结对共建",
    LineOfWork.MECHANISMS: "健全机制",
}


class ActivityCategory(StrEnum):
    TRAINING = "TRAINING"
    SITE_VISIT = "SITE_VISIT"
    EXPERIENCE_EXCHANGE = "EXPERIENCE_EXCHANGE"
    ONLINE_CLASS = "ONLINE_CLASS"
    SKILLS_PRACTICE = "SKILLS_PRACTICE"
    LABOUR_COMPETITION = "LABOUR_COMPETITION"
    TECHNICAL_INNOVATION = "TECHNICAL_INNOVATION"
    VOLUNTEER_SERVICE = "VOLUNTEER_SERVICE"
    ENTREPRENEURSHIP = "ENTREPRENEURSHIP"
    SERVICE_DELIVERY = "SERVICE_DELIVERY"
    VISIT = "VISIT"
    PAIRING_ASSISTANCE = "PAIRING_ASSISTANCE"
    DELIBERATION_DAY = "DELIBERATION_DAY"
    JOINT_MEETING = "JOINT_MEETING"
    BULLETIN = "BULLETIN"
    RECOMMENDATION = "RECOMMENDATION"


CATEGORY_LABELS = {
    ActivityCategory.TRAINING: "学习培训",
    ActivityCategory.SITE_VISIT: "现场观摩",
    ActivityCategory.EXPERIENCE_EXCHANGE: "交流经验",
    ActivityCategory.ONLINE_CLASS: "网上课堂",
    ActivityCategory.SKILLS_PRACTICE: "业务练兵",
    ActivityCategory.LABOUR_COMPETITION: "劳动竞赛",
    ActivityCategory.TECHNICAL_INNOVATION: "技术创新",
    ActivityCategory.VOLUNTEER_SERVICE: "志愿服务",
    ActivityCategory.ENTREPRENEURSHIP: "创业示范",
    ActivityCategory.SERVICE_DELIVERY: "送文化、科技、卫生、政策、法律",
    ActivityCategory.VISIT: "走访慰问",
    ActivityCategory.PAIRING_ASSISTANCE: "结对帮扶",
    ActivityCategory.DELIBERATION_DAY: "民主议政日",
    ActivityCategory.JOINT_MEETING: "联席会议",
    ActivityCategory.BULLETIN: "信息通报",
    ActivityCategory.RECOMMENDATION: "推优",
}


class ActivityStatus(StrEnum):
    PLANNED = "PLANNED"
    PUBLISHED = "PUBLISHED"
    ONGOING = "ONGOING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


STATUS_LABELS = {
    ActivityStatus.PLANNED: "计划中",
    ActivityStatus.PUBLISHED: "已发布",
    ActivityStatus.ONGOING: "进行中",
    ActivityStatus.COMPLETED: "已完成",
    ActivityStatus.CANCELLED: "已取消",
}

# What each status may become, and by which mutation; everything else is refused with the
# current status named.
TRANSITIONS: dict[ActivityStatus, frozenset[ActivityStatus]] = {
    ActivityStatus.PLANNED: frozenset({ActivityStatus.PUBLISHED, ActivityStatus.CANCELLED}),
    ActivityStatus.PUBLISHED: frozenset({ActivityStatus.ONGOING, ActivityStatus.CANCELLED}),
    ActivityStatus.ONGOING: frozenset({ActivityStatus.COMPLETED, ActivityStatus.CANCELLED}),
    ActivityStatus.COMPLETED: frozenset(),
    ActivityStatus.CANCELLED: frozenset(),
}
OPEN_FOR_PEOPLE = frozenset({ActivityStatus.PUBLISHED, ActivityStatus.ONGOING})
EDITABLE = frozenset({ActivityStatus.PLANNED, ActivityStatus.PUBLISHED, ActivityStatus.ONGOING})

ACTION_LABELS = {
    ActivityStatus.PUBLISHED: ("发布", "published"),
    ActivityStatus.ONGOING: ("开始", "started"),
    ActivityStatus.COMPLETED: ("完成", "completed"),
    ActivityStatus.CANCELLED: ("取消", "cancelled"),
}


def can_move(current: ActivityStatus, target: ActivityStatus) -> bool:
    return target in TRANSITIONS[current]


def refusal(current: ActivityStatus, action_zh: str, action_en: str) -> tuple[str, str]:
    """The (zh, en) message refusing an action in the current status."""
    return (
        f"活动当前状态为「{STATUS_LABELS[current]}」，不能{action_zh}",
        f"The activity is {current.value} and cannot be {action_en}",
    )


class ServiceKind(StrEnum):
    """送文化、科技、卫生、政策、法律: what a service-delivery activity brings."""

    CULTURE = "CULTURE"
    SCIENCE = "SCIENCE"
    HEALTH = "HEALTH"
    POLICY = "POLICY"
    LAW = "LAW"


SERVICE_KIND_LABELS = {
    ServiceKind.CULTURE: "文化",
    ServiceKind.SCIENCE: "科技",
    ServiceKind.HEALTH: "卫生",
    ServiceKind.POLICY: "政策",
    ServiceKind.LAW: "法律",
}


def service_kind_problems(
    category: ActivityCategory, kind: ServiceKind | None
) -> list[tuple[str, str, str]]:
    """Service delivery carries its kind; no other category has one."""
    if category is ActivityCategory.SERVICE_DELIVERY and kind is None:
        return [
            (
                "serviceKind",
                "送服务活动须注明类别（文化/科技/卫生/政策/法律）",
                "A service-delivery activity needs its kind (culture, science, health, "
                "policy, law)",
            )
        ]
    if category is not ActivityCategory.SERVICE_DELIVERY and kind is not None:
        return [
            (
                "serviceKind",
                "只有送服务活动有服务类别",
                "Only service-delivery activities have a service kind",
            )
        ]
    return []


MAX_DURATION = timedelta(days=31)


def schedule_problems(starts_at: datetime, ends_at: datetime | None) -> list[tuple[str, str, str]]:
    """What is wrong with an activity's times: (field, zh, en) triples."""
    problems = []
    if starts_at.tzinfo is None:
        problems.append(("startsAt", "开始时间须带时区", "startsAt needs a time zone"))
    if ends_at is not None:
        if ends_at.tzinfo is None:
            problems.append(("endsAt", "结束时间须带时区", "endsAt needs a time zone"))
        elif starts_at.tzinfo is not None and ends_at <= starts_at:
            problems.append(("endsAt", "结束时间须晚于开始时间", "endsAt must be after startsAt"))
        elif starts_at.tzinfo is not None and ends_at - starts_at > MAX_DURATION:
            problems.append(("endsAt", "单次活动不超过31天", "One activity lasts at most 31 days"))
    return problems
