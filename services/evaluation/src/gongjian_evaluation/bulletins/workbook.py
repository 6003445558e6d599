"""The bulletin as a workbook: the same figures as the PDF, as numbers, with native charts
(a bar chart of completed activities by line of work, this period and the previous one; a line
chart of completed activities per month)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference

from gongjian_evaluation.bulletins.document import OVERDUE_KINDS, TITLE, Bulletin, period_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIGURES_SHEET = "主要数据"
LINES_SHEET = "各条线"
MONTHS_SHEET = "月度走势"
AREAS_SHEET = "下级区域"
GAPS_SHEET = "覆盖空白"
OVERDUE_SHEET = "超期事项"


def render_workbook(bulletin: Bulletin) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = FIGURES_SHEET
    sheet.append([TITLE, bulletin.area_code])
    sheet.append(["统计期间", period_text(bulletin.period_from, bulletin.period_to)])
    sheet.append(["上期", period_text(bulletin.previous_from, bulletin.previous_to)])
    sheet.append(["指标", "代码", "本期", "上期", "增减"])
    for f in bulletin.figures:
        sheet.append([f.label_zh, f.code, f.value, f.previous, f.change])
    sheet.append(["超期诉求（件）", "overdueCases", bulletin.overdue_cases])
    sheet.append(["超期决定事项（项）", "overdueDecisions", bulletin.overdue_decisions])
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 22

    lines = book.create_sheet(LINES_SHEET)
    lines.append(["条线", "代码", "本期", "上期", "增减", "服务群众", "志愿服务时长"])
    for li in bulletin.lines:
        lines.append(
            [
                li.label_zh,
                li.line,
                li.completed,
                li.previous,
                li.completed - li.previous,
                li.people_served,
                li.volunteer_hours,
            ]
        )
    bar = BarChart()
    bar.type = "col"
    bar.title = "各条线完成活动（本期与上期）"
    bar.y_axis.title = "场次"
    bar.x_axis.title = "条线"
    count = len(bulletin.lines)
    bar.add_data(
        Reference(lines, min_col=3, max_col=4, min_row=1, max_row=count + 1), titles_from_data=True
    )
    bar.set_categories(Reference(lines, min_col=1, min_row=2, max_row=count + 1))
    lines.add_chart(bar, "I2")

    months = book.create_sheet(MONTHS_SHEET)
    months.append(["月份", "完成活动"])
    for m in bulletin.months:
        months.append([m.month, m.completed])
    chart = LineChart()
    chart.title = "月度完成活动"
    chart.y_axis.title = "场次"
    chart.x_axis.title = "月份"
    chart.add_data(
        Reference(months, min_col=2, min_row=1, max_row=len(bulletin.months) + 1),
        titles_from_data=True,
    )
    chart.set_categories(Reference(months, min_col=1, min_row=2, max_row=len(bulletin.months) + 1))
    months.add_chart(chart, "D2")

    areas = book.create_sheet(AREAS_SHEET)
    areas.append(["名次", "下级区域", "完成活动", "服务群众"])
    for s in bulletin.sub_areas:
        areas.append([s.rank, s.area_code, s.completed, s.people_served])

    gaps = book.create_sheet(GAPS_SHEET)
    gaps.append(["下级区域", "缺少组织类别", "代码"])
    for g in bulletin.gaps:
        gaps.append([g.area_code, g.family_label_zh, g.family])

    overdue = book.create_sheet(OVERDUE_SHEET)
    overdue.append(["类别", "编号", "区划", "到期日"])
    for o in bulletin.overdue:
        overdue.append([OVERDUE_KINDS[o.kind], o.source_id, o.area_code, o.due_on])

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
