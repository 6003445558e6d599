"""The bulletin as an A4 PDF: tables of the figures, a bar chart (completed activities by line
of work, this period and the previous one) and a line chart (completed activities per month),
drawn with fpdf2's own lines, rectangles and text; Chinese text in the kit's embedded subset of
Noto Sans SC (``gongjian_kit.fonts``), so it can be extracted. Rendering reads the font: call
it off the event loop (``asyncio.to_thread``)."""

from __future__ import annotations

import itertools
import math
import string
import tempfile
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from gongjian_evaluation.bulletins.document import (
    FIGURE_LABELS,
    LINE_LABELS,
    NO_LINE_LABEL,
    OVERDUE_KINDS,
    TITLE,
    Bulletin,
    change_text,
    chinese_date,
    number_text,
    period_text,
)
from gongjian_kit.fonts import write_subset_font

FONT = "NotoSansSC"
MARGIN_MM = 18
BAR_CHART_TITLE = "各条线完成活动（本期与上期）"
LINE_CHART_TITLE = "月度完成活动"
THIS_PERIOD = "本期"
LAST_PERIOD = "上期"
AXIS_Y = "场次"
AXIS_X_MONTH = "月份"
HEADINGS = ("指标", THIS_PERIOD, LAST_PERIOD, "增减")
SECTIONS = (
    "一、主要数据",
    "二、各条线工作",
    "三、月度走势",
    "四、下级区域排名（按完成活动）",
    "五、覆盖空白（无该类组织的下级区域）",
    "六、超期事项",
)
LAYOUT_TEXT = (
    TITLE
    + BAR_CHART_TITLE
    + LINE_CHART_TITLE
    + AXIS_Y
    + AXIS_X_MONTH
    + "".join(HEADINGS)
    + "".join(SECTIONS)
    + "".join(label for _, label in FIGURE_LABELS)
    + "".join(LINE_LABELS.values())
    + NO_LINE_LABEL
    + "".join(OVERDUE_KINDS.values())
    + "区划统计期间上期生成时间条线完成活动服务群众志愿时长名次下级区域缺少组织类别到期日编号"
    + "无超期共件项另有未列出年月日至（）：、—　/党组织工会共青团妇联"
    + string.printable
)
BLUE = (52, 101, 164)
GREY = (170, 176, 186)


class _BulletinPdf(FPDF):
    def __init__(self, area_code: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.area_code = area_code

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 6, f"{TITLE} {self.area_code}　{self.page_no()}/{{nb}}", align=Align.C)


def render_bulletin(bulletin: Bulletin) -> bytes:
    with tempfile.TemporaryDirectory(prefix="gongjian-bulletin-") as workdir:
        font = write_subset_font(_characters(bulletin), Path(workdir) / "font.ttf")
        return _render(bulletin, font)


def _characters(bulletin: Bulletin) -> str:
    written = [f.label_zh for f in bulletin.figures] + [line.label_zh for line in bulletin.lines]
    written += [g.family_label_zh for g in bulletin.gaps]
    return "".join(sorted(set(LAYOUT_TEXT + "".join(written))))


def _render(bulletin: Bulletin, font: Path) -> bytes:
    pdf = _BulletinPdf(bulletin.area_code)
    pdf.add_font(FONT, fname=font)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_lang("zh-CN")
    pdf.set_title(f"{TITLE} {bulletin.area_code}")
    pdf.set_creator("Gongjian 共建")
    pdf.set_creation_date(bulletin.generated_at)
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font(FONT, size=22)
    pdf.cell(0, 14, TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    for text in (
        f"区划：{bulletin.area_code}",
        f"统计期间：{period_text(bulletin.period_from, bulletin.period_to)}",
        f"上期：{period_text(bulletin.previous_from, bulletin.previous_to)}",
    ):
        pdf.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    _section(pdf, SECTIONS[0])
    _table(
        pdf,
        (70, 30, 30, 30),
        HEADINGS,
        [
            (
                f.label_zh,
                number_text(f.value),
                number_text(f.previous),
                change_text(f.value, f.previous),
            )
            for f in bulletin.figures
        ],
    )

    _section(pdf, SECTIONS[1])
    _table(
        pdf,
        (40, 30, 30, 30, 34),
        ("条线", "完成活动", "上期", "增减", "服务群众"),
        [
            (
                line.label_zh,
                str(line.completed),
                str(line.previous),
                change_text(line.completed, line.previous),
                str(line.people_served),
            )
            for line in bulletin.lines
        ],
    )
    if pdf.will_page_break(80):
        pdf.add_page()
    _bar_chart(pdf, bulletin)

    if pdf.will_page_break(80):
        pdf.add_page()
    _section(pdf, SECTIONS[2])
    _line_chart(pdf, bulletin)

    _section(pdf, SECTIONS[3])
    if bulletin.sub_areas:
        _table(
            pdf,
            (20, 60, 40, 40),
            ("名次", "下级区域", "完成活动", "服务群众"),
            [
                (str(s.rank), s.area_code, str(s.completed), str(s.people_served))
                for s in bulletin.sub_areas
            ],
        )
    else:
        _line(pdf, "无下级区域")

    _section(pdf, SECTIONS[4])
    if bulletin.gaps:
        _table(
            pdf,
            (80, 80),
            ("下级区域", "缺少组织类别"),
            [(g.area_code, g.family_label_zh) for g in bulletin.gaps],
        )
    else:
        _line(pdf, "无")

    _section(pdf, SECTIONS[5])
    _line(
        pdf,
        f"超期诉求 {bulletin.overdue_cases} 件；超期决定事项 {bulletin.overdue_decisions} 项",
    )
    if bulletin.overdue:
        _table(
            pdf,
            (34, 76, 30, 30),
            ("类别", "编号", "区划", "到期日"),
            [
                (OVERDUE_KINDS[o.kind], o.source_id, o.area_code, chinese_date(o.due_on))
                for o in bulletin.overdue
            ],
            size=7,
        )
        shown = len(bulletin.overdue)
        total = bulletin.overdue_cases + bulletin.overdue_decisions
        if total > shown:
            _line(pdf, f"另有 {total - shown} 项未列出")
    return bytes(pdf.output())


def _section(pdf: FPDF, title: str) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, size=13)
    pdf.cell(0, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _line(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(
    pdf: FPDF,
    widths: tuple[int, ...],
    headings: tuple[str, ...],
    rows: list[tuple[str, ...]],
    size: int = 9,
) -> None:
    pdf.set_font(FONT, size=size)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align=Align.L,
        line_height=6,
        text_align=(Align.L, *(Align.R for _ in widths[1:])),
        headings_style=FontFace(emphasis=None, fill_color=(232, 236, 242)),
        cell_fill_color=(248, 249, 251),
        cell_fill_mode=TableCellFillMode.ROWS,
        wrapmode=WrapMode.CHAR,
    ) as table:
        table.row(headings)
        for row in rows:
            table.row(row)
    pdf.ln(2)


def _scale(top: float) -> tuple[float, list[float]]:
    """A round top of the y axis for values up to ``top``, and its ticks (five steps)."""
    if top <= 0:
        return 5.0, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0)
    return step * 5, [step * i for i in range(6)]


def _axes(pdf: FPDF, x: float, y: float, w: float, h: float, top: float) -> float:
    """Axes with the y ticks; the chart's top value (round)."""
    top, ticks = _scale(top)
    pdf.set_draw_color(80)
    pdf.set_line_width(0.3)
    pdf.line(x, y, x, y + h)
    pdf.line(x, y + h, x + w, y + h)
    pdf.set_font(FONT, size=7)
    pdf.set_text_color(60)
    pdf.set_draw_color(225)
    for tick in ticks:
        ty = y + h - h * tick / top
        if tick > 0:
            pdf.line(x, ty, x + w, ty)
        pdf.set_xy(x - 14, ty - 2)
        pdf.cell(12, 4, number_text(tick), align=Align.R)
    pdf.set_xy(x - 14, y - 7)
    pdf.cell(20, 4, AXIS_Y)
    pdf.set_text_color(0)
    pdf.set_draw_color(0)
    return top


def _legend(pdf: FPDF, x: float, y: float) -> None:
    pdf.set_font(FONT, size=8)
    for offset, (label, color) in enumerate(((THIS_PERIOD, BLUE), (LAST_PERIOD, GREY))):
        pdf.set_fill_color(*color)
        pdf.rect(x + offset * 22, y, 4, 3, style="F")
        pdf.set_xy(x + offset * 22 + 5, y - 0.5)
        pdf.cell(14, 4, label)


def _bar_chart(pdf: FPDF, bulletin: Bulletin) -> None:
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 8, BAR_CHART_TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    x, y, w, h = pdf.l_margin + 16, pdf.get_y() + 8, 150.0, 50.0
    _legend(pdf, x + w - 44, y - 7)
    lines = bulletin.lines
    top = _axes(pdf, x, y, w, h, max([max(li.completed, li.previous) for li in lines] or [0]))
    slot = w / max(len(lines), 1)
    bar = min(slot / 3, 12)
    for index, line in enumerate(lines):
        left = x + index * slot + (slot - 2 * bar) / 2
        for offset, (value, color) in enumerate(((line.completed, BLUE), (line.previous, GREY))):
            height = h * value / top
            pdf.set_fill_color(*color)
            if height > 0:
                pdf.rect(left + offset * bar, y + h - height, bar, height, style="F")
            pdf.set_font(FONT, size=6)
            pdf.set_xy(left + offset * bar - 2, y + h - height - 4)
            pdf.cell(bar + 4, 4, str(value), align=Align.C)
        pdf.set_font(FONT, size=8)
        pdf.set_xy(x + index * slot, y + h + 1)
        pdf.cell(slot, 5, line.label_zh, align=Align.C)
    pdf.set_xy(pdf.l_margin, y + h + 10)


def _line_chart(pdf: FPDF, bulletin: Bulletin) -> None:
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 8, LINE_CHART_TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    x, y, w, h = pdf.l_margin + 16, pdf.get_y() + 8, 150.0, 50.0
    months = bulletin.months
    top = _axes(pdf, x, y, w, h, max([m.completed for m in months] or [0]))
    slot = w / max(len(months), 1)
    points = [(x + slot * (i + 0.5), y + h - h * m.completed / top) for i, m in enumerate(months)]
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.6)
    for start, end in itertools.pairwise(points):
        pdf.line(*start, *end)
    pdf.set_fill_color(*BLUE)
    every = max(1, math.ceil(len(months) / 12))  # at most twelve labels under the axis
    for index, ((px, py), month) in enumerate(zip(points, months, strict=True)):
        pdf.ellipse(px - 1, py - 1, 2, 2, style="F")
        pdf.set_font(FONT, size=6)
        pdf.set_xy(px - 6, py - 5)
        pdf.cell(12, 4, str(month.completed), align=Align.C)
        if index % every == 0:
            pdf.set_font(FONT, size=7)
            pdf.set_xy(px - 8, y + h + 1)
            pdf.cell(16, 4, month.month, align=Align.C)
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    pdf.set_font(FONT, size=8)
    pdf.set_xy(x + w - 10, y + h + 5)
    pdf.cell(12, 4, AXIS_X_MONTH)
    pdf.set_xy(pdf.l_margin, y + h + 11)
