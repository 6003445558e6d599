"""Importing activities and attendance from files: reading rows (Chinese labels, bad cells named
by column) and, against the real stack, atomic imports, --skip-invalid and paper attendance."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from openpyxl import Workbook, load_workbook

from gongjian_activities.bulk import activities, bulk_kinds, participations
from gongjian_activities.domain.activities import ActivityCategory, LineOfWork, ServiceKind
from gongjian_activities.domain.participation import ParticipationRole
from gongjian_deploy import cli
from gongjian_deploy.pytest_plugin import District, token_for
from gongjian_deploy.stack import Stack
from gongjian_kit import clock
from gongjian_organizations.domain.people import id_check_char

ORG = str(uuid.uuid4())
OTHER = str(uuid.uuid4())
SHANGHAI = timedelta(hours=8)


def activity_values(**extra: object) -> dict[str, object]:
    return {
        "title": "送法律进社区",
        "line": "服务群众",
        "category": "送文化、科技、卫生、政策、法律",
        "serviceKind": "法律",
        "organizerIds": f"{ORG}；{OTHER}",
        "areaCode": "330106001001",
        "startsAt": "2026-05-01 09:00",
        "endsAt": "2026/5/1 11:30",
        "place": "社区党群服务中心",
        "capacity": "30",
        "description": "律师现场答疑",
        **extra,
    }


def test_an_activity_row_is_read_from_chinese_labels():
    mapped = activities.map_row(2, activity_values())
    assert mapped.problems == []
    row = mapped.draft
    assert row.line is LineOfWork.SERVING_THE_PEOPLE
    assert row.category is ActivityCategory.SERVICE_DELIVERY
    assert row.service_kind is ServiceKind.LAW
    assert row.organizer_ids == [uuid.UUID(ORG), uuid.UUID(OTHER)]
    assert row.area_code == "330106001001"
    assert row.starts_at is not None
    assert row.starts_at.utcoffset() == SHANGHAI  # no time zone in the sheet: China time
    assert row.starts_at.astimezone(UTC) == datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    assert row.ends_at == datetime(2026, 5, 1, 11, 30, tzinfo=clock.zone())
    assert row.capacity == 30
    draft = row.draft()
    assert draft is not None
    assert draft.title == "送法律进社区"


def test_enum_names_cell_types_and_offsets_are_read_too():
    mapped = activities.map_row(
        2,
        activity_values(
            line="dual_cultivation",
            category="TRAINING",
            serviceKind=None,
            organizerIds=ORG,
            startsAt=datetime(2026, 5, 1, 9, 0),  # an XLSX date-time cell
            endsAt="2026-05-01T03:00:00Z",
            capacity=None,
        ),
    )
    assert mapped.problems == []
    row = mapped.draft
    assert row.line is LineOfWork.DUAL_CULTIVATION
    assert row.category is ActivityCategory.TRAINING
    assert row.service_kind is None
    assert row.capacity is None
    assert row.starts_at == datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    assert row.ends_at == datetime(2026, 5, 1, 3, 0, tzinfo=UTC)


def test_bad_activity_cells_are_flagged_by_column():
    mapped = activities.map_row(
        7,
        activity_values(
            line="党建",
            category="开会",
            serviceKind="体育",
            organizerIds=f"{ORG}；not-an-id",
            startsAt="五月一日",
            endsAt="2026-13-01 09:00",
            capacity="三十",
        ),
    )
    flagged = {p.column: p for p in mapped.problems}
    assert set(flagged) == {
        "工作类别",
        "活动类别",
        "服务类别",
        "主办组织编号",
        "开始时间",
        "结束时间",
        "人数上限",
    }
    assert all(p.row == 7 for p in mapped.problems)
    assert "双育双带" in flagged["工作类别"].zh
    assert "not-an-id" in flagged["主办组织编号"].zh
    assert "YYYY-MM-DD HH:MM" in flagged["开始时间"].zh


def test_rule_problems_of_a_flagged_row_name_their_columns():
    mapped = activities.map_row(
        3,
        activity_values(
            category="学习培训",  # with a service kind: only service delivery has one
            startsAt="2026-05-01 11:00",
            endsAt="2026-05-01 09:00",
            capacity="0",
            organizerIds="x",
        ),
    )
    problems = activities._rule_problems(None, mapped.draft)  # type: ignore[arg-type]
    fields = {p[0] for p in problems}
    assert {"serviceKind", "capacity"} <= fields
    assert fields & {"startsAt", "endsAt"}


def test_a_participation_row_is_read():
    activity, person = uuid.uuid4(), uuid.uuid4()
    mapped = participations.map_row(
        2,
        {
            "activityId": str(activity),
            "personId": str(person).upper(),
            "role": "志愿者",
            "checkedInAt": "2026年5月1日 9:05",
            "checkedOutAt": "2026-05-01 11:00+08:00",
            "verifiedHours": 1.5,
        },
    )
    assert mapped.problems == []
    row = mapped.draft
    assert (row.activity_id, row.person_id) == (activity, person)
    assert row.role is ParticipationRole.VOLUNTEER
    assert row.checked_in_at == datetime(2026, 5, 1, 9, 5, tzinfo=clock.zone())
    assert row.checked_out_at is not None
    assert row.checked_out_at.astimezone(UTC) == datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
    assert row.verified_hours == Decimal("1.5")
    enum_role = participations.map_row(2, {"role": "organizer", "checkedInAt": "2026-05-01 9:00"})
    assert enum_role.draft.role is ParticipationRole.ORGANIZER


def test_bad_participation_cells_are_flagged_by_column():
    mapped = participations.map_row(
        5,
        {
            "activityId": "12",
            "personId": str(uuid.uuid4()),
            "role": "观众",
            "checkedInAt": "昨天",
            "verifiedHours": "两小时",
        },
    )
    assert {p.column for p in mapped.problems} == {"活动编号", "角色", "签到时间", "核实时长"}
    no_checkout = participations.map_row(
        5,
        {
            "activityId": str(uuid.uuid4()),
            "personId": str(uuid.uuid4()),
            "checkedInAt": "2026-05-01 09:00",
            "verifiedHours": "2",
        },
    )
    [problem] = no_checkout.problems
    assert problem.column == "核实时长"
    assert "签退时间" in problem.zh


def test_the_kinds_are_found_by_the_command_line():
    kinds = [k.kind for k in bulk_kinds().kinds]
    assert kinds == ["activities", "participations"]
    services = cli._bulk_services()
    assert any(s.name == "activities" for s in services)


# ---------------------------------------------------------------- against the real stack

REGISTER = """mutation($i: RegisterPersonInput!) { registerPerson(input: $i) {
  person { id } errors { field code message } } }"""
CREATE = """mutation($i: CreateActivityInput!) { createActivity(input: $i) {
  activity { id } errors { field code message } } }"""
PUBLISH = """mutation($id: ID!) { publishActivity(input: {id: $id}) {
  activity { id status } errors { field code message } } }"""


@pytest.fixture
def cli_env(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("JWT_SECRET", stack.config.jwt_secret)
    monkeypatch.setenv("PERSONAL_DATA_KEY", stack.config.personal_data_key)
    monkeypatch.setenv("PERSONAL_DATA_HMAC_KEY", stack.config.personal_data_hmac_key)
    monkeypatch.setenv("TOPIC_NAMESPACE", stack.config.topic_namespace)
    return ["--database-url", stack.database("activities")]


async def _fetch(stack: Stack, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.database("activities"))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def fetch(stack: Stack, sql: str, *args: object) -> list[asyncpg.Record]:
    return asyncio.run(_fetch(stack, sql, *args))


def write_xlsx(path: Path, headers: list[str], rows: list[list[object]]) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)


def report_lines(path: Path) -> list[tuple[Any, ...]]:
    return list(load_workbook(path).worksheets[0].iter_rows(values_only=True))[1:]


@pytest.mark.integration
def test_importing_activities_is_all_or_nothing_unless_told(
    district: District, stack: Stack, tmp_path: Path, cli_env: list[str], capsys
):
    community = district.communities[0]
    org = district.organization(community, [district.unit(community)])
    district.activity([org], community)  # waits until the activities service knows it
    tag = uuid.uuid4().hex[:8]
    headers = [c.header for c in activities.SPEC.columns]
    rows: list[list[object]] = [
        [f"{tag}送法律", "服务群众", "送文化、科技、卫生、政策、法律", "法律", org, community,
         "2026-05-01 09:00", "2026-05-01 11:00", "社区", 30, None],
        [f"{tag}学习", "DUAL_CULTIVATION", "学习培训", None, org, community,
         datetime(2026, 5, 2, 14, 0), None, None, None, "主题党日"],
        [f"{tag}未知", "结对共建", "走访慰问", None, str(uuid.uuid4()), community,
         "2026-05-03 09:00", None, None, None, None],
    ]  # fmt: skip
    path = tmp_path / "activities.xlsx"
    write_xlsx(path, headers, rows)
    token = token_for(stack, "COMMUNITY_ADMIN", community)
    titles = "SELECT title, starts_at FROM activity WHERE title LIKE $1 ORDER BY title"

    code = cli.main(["import", "activities", str(path), "--token", token, *cli_env])
    assert code == 1
    assert "未导入任何数据" in capsys.readouterr().out
    assert fetch(stack, titles, f"{tag}%") == []
    [(row, column, reason)] = report_lines(tmp_path / "activities.rejected.xlsx")
    assert (row, column) == (4, "主办组织编号")
    assert "主办组织不存在" in reason

    code = cli.main(
        ["import", "activities", str(path), "--skip-invalid", "--token", token, *cli_env]
    )
    assert code == 0
    written = fetch(stack, titles, f"{tag}%")
    assert [r["title"] for r in written] == [f"{tag}学习", f"{tag}送法律"]
    assert written[1]["starts_at"] == datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    assert written[0]["starts_at"] == datetime(2026, 5, 2, 6, 0, tzinfo=UTC)


def _register(district: District, community: str, serial: int) -> str:
    first17 = f"{district.code[:6]}19900101{serial:03d}"
    result = district.admin.data(
        REGISTER,
        {"i": {"name": f"参与者{serial}", "idNumber": first17 + id_check_char(first17),
               "areaCode": community}},
    )["registerPerson"]  # fmt: skip
    assert not result["errors"], result
    return str(result["person"]["id"])


def _known(stack: Stack, people: list[str]) -> None:
    """Wait until the activities service has heard of the people (check-in is NOT_FOUND until)."""
    deadline = time.monotonic() + 20
    ids = [uuid.UUID(p) for p in people]
    while len(fetch(stack, "SELECT id FROM person_ref WHERE id = ANY($1::uuid[])", ids)) < len(ids):
        assert time.monotonic() < deadline, "people not known to the activities service"
        time.sleep(0.1)


@pytest.mark.integration
def test_attendance_from_a_paper_list_is_recorded(
    district: District, stack: Stack, tmp_path: Path, cli_env: list[str], capsys
):
    community = district.communities[1]
    org = district.organization(community, [district.unit(community)])
    district.activity([org], community)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    created = district.admin.data(
        CREATE,
        {"i": district.activity_input(
            [org], community, startsAt=(now - timedelta(hours=3)).isoformat(),
            endsAt=(now + timedelta(hours=1)).isoformat())},
    )["createActivity"]  # fmt: skip
    assert not created["errors"], created
    activity = created["activity"]["id"]
    published = district.admin.data(PUBLISH, {"id": activity})["publishActivity"]
    assert not published["errors"], published
    people = [_register(district, community, i) for i in range(3)]
    _known(stack, people)

    def local(at: datetime) -> str:  # as written on paper: China time, no zone
        return at.astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M")

    rows: list[list[object]] = [
        [activity, people[0], "志愿者", local(now - timedelta(hours=2)),
         local(now - timedelta(hours=1)), 1],
        [activity, people[1], None, local(now - timedelta(minutes=150)), None, None],
        [activity, people[2], "参与者", local(now - timedelta(hours=5)), None, None],
    ]  # fmt: skip
    path = tmp_path / "attendance.csv"
    headers = [c.header for c in participations.SPEC.columns]
    path.write_text(
        "\n".join(",".join("" if v is None else str(v) for v in r) for r in [headers, *rows]),
        encoding="utf-8-sig",
    )
    token = token_for(stack, "COMMUNITY_ADMIN", community)
    query = (
        "SELECT person_id, role, status, checked_in_at, checked_out_at, hours_status, "
        "verified_hours FROM participation WHERE activity_id = $1"
    )

    code = cli.main(["import", "participations", str(path), "--token", token, *cli_env])
    assert code == 1
    capsys.readouterr()
    assert fetch(stack, query, uuid.UUID(activity)) == []
    [(row, column, reason)] = report_lines(tmp_path / "attendance.rejected.xlsx")
    assert (row, column) == (4, "活动编号")  # before the check-in window opened
    assert "不在签到时间内" in reason

    code = cli.main(
        ["import", "participations", str(path), "--skip-invalid", "--token", token, *cli_env]
    )
    assert code == 0
    found = {str(r["person_id"]): r for r in fetch(stack, query, uuid.UUID(activity))}
    assert set(found) == set(people[:2])
    first, second = found[people[0]], found[people[1]]
    assert first["role"] == "VOLUNTEER"
    assert first["status"] == "CHECKED_OUT"
    assert first["checked_in_at"] == now - timedelta(hours=2)
    assert first["checked_out_at"] == now - timedelta(hours=1)
    assert first["hours_status"] == "VERIFIED"
    assert first["verified_hours"] == Decimal(1)
    assert second["role"] == "PARTICIPANT"
    assert second["status"] == "CHECKED_IN"
    assert second["checked_in_at"] == now - timedelta(minutes=150)
