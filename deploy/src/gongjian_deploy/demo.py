"""Demo data, loaded through the public API as a district admin would enter it."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gongjian_deploy.client import GraphQLClient
from gongjian_organizations.domain.credit_code import CHARSET, credit_code_check_char
from gongjian_organizations.domain.people import id_check_char

DISTRICT = ("330106000000", "西湖区")
STREETS = {
    "330106001000": (
        "北山街道",
        {"330106001001": "曙光社区", "330106001002": "保俶社区", "330106001003": "宝石社区"},
    ),
    "330106002000": (
        "西溪街道",
        {"330106002001": "文三社区", "330106002002": "求是社区", "330106002003": "庆丰社区"},
    ),
    "330106003000": ("翠苑街道", {"330106003001": "翠苑一区社区", "330106003002": "学院社区"}),
}

ENTERPRISE_NAMES = [
    "杭州云栖数据科技有限公司",
    "杭州西溪智能制造有限公司",
    "浙江文三电子商务有限公司",
    "杭州保俶建筑装饰工程有限公司",
    "杭州曙光物业服务有限公司",
    "杭州求是软件开发有限公司",
    "浙江翠苑餐饮管理有限公司",
    "杭州宝石山文化传媒有限公司",
    "杭州庆丰物流有限公司",
    "杭州黄龙健康管理有限公司",
    "杭州玉泉新材料科技有限公司",
    "杭州学院路教育咨询有限公司",
    "浙江西湖龙井茶业有限公司",
    "杭州古荡网络科技有限公司",
    "杭州北山汽车维修有限公司",
    "杭州灵隐旅游服务有限公司",
    "杭州紫金港生物医药有限公司",
    "杭州天目山家政服务有限公司",
    "杭州蒋村花园酒店有限公司",
    "杭州三墩精密机械有限公司",
    "杭州文一快递服务有限公司",
    "杭州浙大科技园孵化器有限公司",
]
SOCIAL_NAMES = [
    "西湖区志愿者协会",
    "北山街道社会工作服务中心",
    "西溪街道老年协会",
    "翠苑街道青年创业者联谊会",
]
MIGRANT_NAMES = ["西溪街道外来务工人员联合会", "三墩建筑工地务工人员服务站"]

AREA = "mutation($i: CreateAreaInput!) { createArea(input: $i) { area { code } errors { code } } }"
UNIT = (
    "mutation($i: RegisterUnitInput!) { registerUnit(input: $i) { unit { id } "
    "errors { field message } } }"
)
ORG = (
    "mutation($i: EstablishOrganizationInput!) { establishOrganization(input: $i) "
    "{ organization { id } errors { field message } } }"
)
ACTIVITY = (
    "mutation($i: CreateActivityInput!) { createActivity(input: $i) "
    "{ activity { id } errors { field code message } } }"
)

CASE_STEP = (
    "mutation($id: ID!) {{ {name}(input: {{id: $id{extra}}}) {{ case {{ id }} "
    "errors {{ field code message }} }} }}"
)
OPEN_CASE = (
    "mutation($i: OpenCaseInput!) { openCase(input: $i) { case { id } "
    "errors { field code message } } }"
)
# The demo's case desk: (channel, category, urgency, title, days ago, steps taken, requester).
DEMO_CASES = (
    ("HOTLINE", "UNPAID_WAGES", "NORMAL", "小微企业拖欠两名员工工资", 1, (), "NAMED"),
    (
        "WORKSTATION",
        "WOMEN_CHILDREN_RIGHTS",
        "COMPLEX",
        "单亲妈妈子女入学咨询",
        3,
        ("acceptCase", "startCase"),
        "NAMED",
    ),
    (
        "CONTACT_CARD",
        "HARDSHIP_AID",
        "URGENT",
        "独居老人冬季取暖困难",
        6,
        ("acceptCase", "resolveCase", "closeCase"),
        "NAMED",
    ),
    (
        "SUGGESTION_BOX",
        "SUGGESTION",
        "NORMAL",
        "建议小区增设电动车充电桩",
        10,
        ("acceptCase", "resolveCase", "closeCaseUnreached"),
        "ANONYMOUS",
    ),
    ("DELIBERATION_DAY", "CONVENIENCE_SERVICE", "NORMAL", "老旧小区楼道灯损坏", 20, (), "NAMED"),
)
CASE_EXTRAS = {
    "acceptCase": "",
    "startCase": ', note: "已电话联系诉求人"',
    "resolveCase": ', resolution: "已协调相关单位办理完毕"',
    "closeCase": ", satisfaction: 5, requesterReached: true",
    "closeCaseUnreached": ", requesterReached: false",
}


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "海燕",
    "志强",
    "丽华",
]
PERSON = (
    "mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { person { id } "
    "errors { field message } } }"
)
APPOINT = (
    "mutation($i: AppointLeaderInput!) { appointLeader(input: $i) { leader { id } "
    "errors { field message } } }"
)
MEMBER = (
    "mutation($i: StartMembershipInput!) { startMembership(input: $i) { membership { id } "
    "errors { field message } } }"
)
GROUP = (
    "mutation($i: CreateGroupInput!) { createGroup(input: $i) { group { id } "
    "errors { field message } } }"
)


def resident_id(rng: random.Random, born: date, female: bool) -> str:
    """A well-formed 18-character resident ID number of a 西湖区 resident."""
    sequence = rng.randrange(0, 100) * 10 + rng.choice(
        [0, 2, 4, 6, 8] if female else [1, 3, 5, 7, 9]
    )
    first17 = f"330106{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def load_people(
    client: GraphQLClient,
    rng: random.Random,
    community_orgs: dict[str, dict[str, str]],
    created: dict[str, int],
) -> list[tuple[str, str]]:
    """Residents of each community, its leaders (some due for re-election) and a party group;
    returns the league members with their community's league committee."""
    league: list[tuple[str, str]] = []
    for n, (community, orgs) in enumerate(community_orgs.items()):
        people: list[tuple[str, str]] = []
        for i in range(4):
            female = rng.random() < 0.5
            born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000))
            status = rng.choice(["PARTY_MEMBER", "PARTY_MEMBER", "LEAGUE_MEMBER", "MASSES"])
            data = client.data(
                PERSON,
                {
                    "i": {
                        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                        "idNumber": resident_id(rng, born, female),
                        "politicalStatus": status,
                        "phone": f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
                        "areaCode": community,
                        "migrantWorker": i == 3,
                    }
                },
            )
            people.append((_payload(data, "registerPerson", "person")["id"], status))
            created["people"] += 1
        secretary = next((p for p, s in people if s == "PARTY_MEMBER"), people[0][0])
        # Every third committee's term ends within weeks: the re-election list is not empty.
        start = date(2023, 12, 20) if n % 3 == 0 else date(2024, 3, 1)
        _payload(
            client.data(
                APPOINT,
                {
                    "i": {
                        "organizationId": orgs["party"],
                        "personId": secretary,
                        "post": "SECRETARY",
                        "termStart": start.isoformat(),
                    }
                },
            ),
            "appointLeader",
            "leader",
        )
        created["leaders"] += 1
        for person, status in people:
            if status == "PARTY_MEMBER":
                client.data(
                    MEMBER,
                    {
                        "i": {
                            "personId": person,
                            "organizationId": orgs["party"],
                            "role": "党员",
                            "since": "2020-07-01",
                        }
                    },
                )
        client.data(GROUP, {"i": {"organizationId": orgs["party"], "name": "第一党小组"}})
        league += [
            (person, orgs["league"]) for person, status in people if status == "LEAGUE_MEMBER"
        ]
    return league


def credit_code(rng: random.Random, area6: str) -> str:
    """A well-formed unified social credit code for an enterprise (91…) of ``area6``."""
    body = "91" + area6 + "".join(rng.choice(CHARSET[:10] + "ABCDEFGH") for _ in range(9))
    return body + credit_code_check_char(body)


def _payload(data: dict[str, Any], name: str, field: str) -> Any:
    errors = data[name]["errors"]
    if errors:
        raise RuntimeError(f"{name} refused demo data: {errors}")
    return data[name][field]


def load_demo(client: GraphQLClient, seed: int = 7) -> dict[str, int]:
    """Build the demo district; returns what was created. Skips when it already exists."""
    rng = random.Random(seed)
    created = {
        "areas": 0,
        "units": 0,
        "organizations": 0,
        "people": 0,
        "leaders": 0,
        "activities": 0,
    }
    first = client.data(AREA, {"i": {"code": DISTRICT[0], "name": DISTRICT[1]}})
    if first["createArea"]["errors"]:
        return created  # already loaded (a shared DATABASE_URL)
    created["areas"] += 1
    communities: list[str] = []
    for street_code, (street_name, comms) in STREETS.items():
        client.data(AREA, {"i": {"code": street_code, "name": street_name}})
        created["areas"] += 1
        for code, name in comms.items():
            client.data(AREA, {"i": {"code": code, "name": name}})
            communities.append(code)
            created["areas"] += 1

    def unit(name: str, kind: str, area: str, employees: int, **counts: int) -> str:
        women = counts.get("women", employees * rng.randint(30, 55) // 100)
        youth = counts.get("youth", employees * rng.randint(30, 60) // 100)
        data = client.data(
            UNIT,
            {
                "i": {
                    "name": name,
                    "kind": kind,
                    "areaCode": area,
                    "creditCode": credit_code(rng, "330106"),
                    "employees": employees,
                    "partyMembers": counts.get("party", 0),
                    "leagueMembers": counts.get("league", 0),
                    "unionMembers": counts.get("union", 0),
                    "women": women,
                    "youth": youth,
                }
            },
        )
        created["units"] += 1
        return str(_payload(data, "registerUnit", "unit")["id"])

    def org(
        name: str,
        kind: str,
        mode: str,
        area: str,
        units: list[str],
        *,
        host: str | None = None,
        parent: str | None = None,
    ) -> str:
        founded = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3000))
        data = client.data(
            ORG,
            {
                "i": {
                    "name": name,
                    "kind": kind,
                    "establishment": mode,
                    "areaCode": area,
                    "unitIds": units,
                    "hostOrganizationId": host,
                    "parentId": parent,
                    "foundedOn": founded.isoformat(),
                }
            },
        )
        created["organizations"] += 1
        return str(_payload(data, "establishOrganization", "organization")["id"])

    # Each community is itself a unit, with its own party committee, league and women's committee.
    community_orgs: dict[str, dict[str, str]] = {}
    for street_code, (_, comms) in STREETS.items():
        for code, name in comms.items():
            cu = unit(
                f"{name}居民委员会",
                "COMMUNITY",
                code,
                12,
                party=rng.randint(40, 120),
                league=rng.randint(5, 20),
            )
            community_orgs[code] = {
                "party": org(f"中共{name}委员会", "PARTY_COMMITTEE", "STANDALONE", code, [cu]),
                "league": org(f"共青团{name}委员会", "YOUTH_LEAGUE", "STANDALONE", code, [cu]),
                "women": org(f"{name}妇女联合会", "WOMENS_FEDERATION", "STANDALONE", code, [cu]),
            }
        del street_code

    enterprises: list[tuple[str, str, int]] = []
    for i, name in enumerate(ENTERPRISE_NAMES):
        area = communities[i % len(communities)]
        employees = rng.choice([8, 15, 22, 30, 48, 80, 150, 320])
        party = rng.choice([0, 1, 2, 3, 5, 9, 14]) if employees > 10 else rng.randint(0, 2)
        league = rng.randint(0, max(1, employees // 8))
        uid = unit(
            name,
            rng.choice(["NON_PUBLIC_ENTERPRISE"] * 5 + ["STATE_ENTERPRISE"]),
            area,
            employees,
            party=party,
            league=league,
            union=employees * 3 // 4,
        )
        enterprises.append((uid, area, employees))
        short = name.removeprefix("杭州").removeprefix("浙江").removesuffix("有限公司")
        community = community_orgs[area]
        if party >= 3:  # 单独建: enough full members for a branch of its own
            org(
                f"中共{short}支部委员会",
                "PARTY_BRANCH",
                "STANDALONE",
                area,
                [uid],
                parent=community["party"],
            )
        elif party > 0 and i % 2 == 0:  # 挂靠建: attached to the community's party committee
            org(
                f"中共{short}党支部（挂靠）",
                "PARTY_BRANCH",
                "AFFILIATED",
                area,
                [uid],
                host=community["party"],
                parent=community["party"],
            )
        if employees >= 25:
            org(f"{short}工会委员会", "TRADE_UNION", "STANDALONE", area, [uid])
        if league >= 3 and i % 3 == 0:
            org(
                f"共青团{short}支部",
                "YOUTH_LEAGUE",
                "STANDALONE",
                area,
                [uid],
                parent=community["league"],
            )
    for i, name in enumerate(SOCIAL_NAMES + MIGRANT_NAMES):
        kind = "SOCIAL_ORGANIZATION" if name in SOCIAL_NAMES else "MIGRANT_WORKER_GROUP"
        unit(
            name,
            kind,
            communities[(i * 2) % len(communities)],
            rng.randint(6, 60),
            party=rng.randint(0, 4),
            league=rng.randint(0, 6),
        )

    # 联合建: small firms of one community sharing a union and a party branch.
    small = [(u, a) for u, a, e in enterprises if e < 25]
    by_area: dict[str, list[str]] = {}
    for uid, area in small:
        by_area.setdefault(area, []).append(uid)
    joint_orgs: list[str] = []
    for area, uids in by_area.items():
        if len(uids) >= 2:
            joint_orgs.append(
                org(f"{area[-3:]}片区小微企业联合工会", "TRADE_UNION", "JOINT", area, uids)
            )
    joint_orgs.append(
        org(
            "北山街道非公企业联合党支部",
            "PARTY_BRANCH",
            "JOINT",
            communities[0],
            [u for u, a in small if a.startswith("330106001")][:3]
            or [enterprises[0][0], enterprises[1][0]],
            parent=community_orgs[communities[0]]["party"],
        )
    )

    league_members = load_people(client, rng, community_orgs, created)

    organisers = [o for c in community_orgs.values() for o in c.values()] + joint_orgs
    titles = [
        ("学习贯彻党的二十大精神专题培训", "DUAL_CULTIVATION", "TRAINING"),
        ("推优入党工作座谈会", "DUAL_CULTIVATION", "RECOMMENDATION"),
        ("电工技能比武业务练兵", "CONTRIBUTION_AT_WORK", "SKILLS_PRACTICE"),
        ("“送法律进企业”普法宣传", "SERVING_THE_PEOPLE", "SERVICE_DELIVERY"),
        ("重阳节走访慰问困难老党员", "PAIRING", "VISIT"),
        ("党工团妇联席会议", "MECHANISMS", "JOINT_MEETING"),
        ("社区志愿服务日", "SERVING_THE_PEOPLE", "VOLUNTEER_SERVICE"),
        ("城乡手拉手结对帮扶", "PAIRING", "PAIRING_ASSISTANCE"),
    ]
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for i in range(24):
        title, line, category = titles[i % len(titles)]
        organiser = organisers[i % len(organisers)]
        begins = start + timedelta(days=7 * i)
        variables = {
            "i": {
                "title": title,
                "line": line,
                "category": category,
                "organizerIds": [organiser],
                "areaCode": communities[i % len(communities)],
                "startsAt": begins.isoformat(),
                "endsAt": (begins + timedelta(hours=2)).isoformat(),
                "place": "社区党群服务中心",
                # 送服务 activities carry their kind (送法律: law)
                "serviceKind": "LAW" if category == "SERVICE_DELIVERY" else None,
            }
        }
        # The activities service learns of new organisations from their events: wait for it.
        deadline = time.monotonic() + 30
        while True:
            data = client.data(ACTIVITY, variables)
            errors = data["createActivity"]["errors"]
            if not errors:
                created["activities"] += 1
                break
            if errors[0]["code"] != "NOT_FOUND" or time.monotonic() > deadline:
                raise RuntimeError(f"createActivity refused demo data: {errors}")
            time.sleep(0.1)
    handlers = [
        joint_orgs[0],
        community_orgs[communities[1]]["women"],
        community_orgs[communities[2]]["party"],
        community_orgs[communities[3 % len(communities)]]["party"],
        community_orgs[communities[4 % len(communities)]]["party"],
    ]
    created["cases"] = load_cases(client, rng, handlers, communities)
    created["cycles"] = open_demo_cycle(client, created["organizations"])
    created["recommendations"] = load_recommendations(client, league_members)
    return created


RECOMMEND = (
    "mutation($i: RecommendForPartyInput!) { recommendForParty(input: $i) { recommendation { id } "
    "errors { field code message } } }"
)
ADVANCE = (
    "mutation($i: AdvanceRecommendationInput!) { advanceRecommendation(input: $i) { "
    "recommendation { id } errors { field code message } } }"
)


def load_recommendations(client: GraphQLClient, league_members: list[tuple[str, str]]) -> int:
    """推优: the league committees recommend their members on 4 May 2025 (五四); every other one
    became an activist a month later (a candidate no earlier than June 2026)."""
    for n, (person, league) in enumerate(league_members):
        variables = {
            "i": {
                "personId": person,
                "byOrganizationId": league,
                "on": "2025-05-04",
                "reason": "团员先锋，服务群众表现突出",
            }
        }
        made = _payload(client.data(RECOMMEND, variables), "recommendForParty", "recommendation")
        if n % 2 == 0:
            advance = {"i": {"id": made["id"], "stage": "ACTIVIST", "on": "2025-06-04"}}
            _payload(client.data(ADVANCE, advance), "advanceRecommendation", "recommendation")
    return len(league_members)


OPEN_CYCLE = (
    "mutation($i: OpenCycleInput!) { openCycle(input: $i) { cycle { id } "
    "errors { field code message } } }"
)


def open_demo_cycle(client: GraphQLClient, organizations: int) -> int:
    """A five-goods cycle over the district for the year, open: its assessments are a live
    preview of what the activities and cases above count for."""
    from gongjian_evaluation.domain.schemes import DEFAULT_COLLECTIVE_ID  # noqa: PLC0415

    # The evaluation service hears of the organisations from their events: wait for them all.
    deadline = time.monotonic() + 60
    stats = "query($a: String!) { area(code: $a) { stats { organizationCount } } }"
    while time.monotonic() < deadline:
        known = client.data(stats, {"a": DISTRICT[0]})["area"]["stats"]["organizationCount"]
        if known >= organizations:
            break
        time.sleep(0.5)
    variables = {
        "i": {
            "name": "2026年度“五个好”党群组织评议",
            "areaCode": DISTRICT[0],
            "schemeId": str(DEFAULT_COLLECTIVE_ID),
            "from": "2026-01-01",
            "to": "2026-12-31",
        }
    }
    _payload(client.data(OPEN_CYCLE, variables), "openCycle", "cycle")
    return 1


def load_cases(
    client: GraphQLClient, rng: random.Random, handlers: list[str], communities: list[str]
) -> int:
    """The case desk: five cases at different steps, one of them past its deadline."""
    now = datetime.now(UTC)
    for i, (channel, category, urgency, title, days, steps, kind) in enumerate(DEMO_CASES):
        requester: dict[str, Any] = {"anonymous": True}
        if kind == "NAMED":
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            requester = {"name": name, "phone": f"139{rng.randint(10_000_000, 99_999_999)}"}
        data = client.data(
            OPEN_CASE,
            {
                "i": {
                    "channel": channel,
                    "category": category,
                    "urgency": urgency,
                    "areaCode": communities[i % len(communities)],
                    "organizationId": handlers[i],
                    "title": title,
                    "requester": requester,
                    "receivedAt": (now - timedelta(days=days)).isoformat(),
                }
            },
        )
        case_id = _payload(data, "openCase", "case")["id"]
        for step in steps:
            name = "closeCase" if step.startswith("closeCase") else step
            mutation = CASE_STEP.format(name=name, extra=CASE_EXTRAS[step])
            _payload(client.data(mutation, {"id": case_id}), name, "case")
    return len(DEMO_CASES)
