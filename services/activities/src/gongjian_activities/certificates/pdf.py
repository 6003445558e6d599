"""The certificate as an A4 PDF, its Chinese text set in an embedded subset of Noto Sans SC.

Only the glyphs the certificate uses are embedded (tens of kB), with a ToUnicode map, so the
text can be searched, copied and read back (gongjian_kit.fonts says how); the font comes from a
PyPI wheel, so no server needs fonts of its own. Rendering takes about half a second, most of
it reading the font: call it off the event loop (``asyncio.to_thread``).
"""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from gongjian_activities.certificates.document import (
    CertificateDocument,
    chinese_date,
    hours_text,
)
from gongjian_kit import clock
from gongjian_kit.fonts import write_subset_font

TITLE = "志愿服务时长证明"
FONT = "NotoSansSC"
MARGIN_MM = 20
# 序号, 活动名称, 日期, 组织单位, 时长 (mm, summing to the 170 mm between the margins)
COLUMNS = (12, 58, 28, 48, 24)
HEADINGS = ("序号", "活动名称", "日期", "组织单位", "时长（小时）")
VERIFY_LINE = (
    "核验方式：通过共建平台 API 的 verifyCertificate 查询，输入证书编号与验证码即可核验本证明真伪。"
)
VERIFY_LINE_EN = (
    "Verify this certificate through the Gongjian API: verifyCertificate with its number "
    "and verification code."
)
# Every character the layout itself prints; the document's own text is added per certificate.
LAYOUT_TEXT = (
    TITLE
    + "".join(HEADINGS)
    + VERIFY_LINE
    + "兹证明于至期间参加志愿服务，累计服务时长小时。服务明细合计出具单位：日期证书编号验证码第页"
    + "年月日、—　/"
    + string.printable
)


class _CertificatePdf(FPDF):
    def __init__(self, number: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.number = number

    def footer(self) -> None:
        # Every page names the certificate, so a loose page can be matched to it.
        self.set_y(-15)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 6, f"证书编号 {self.number}　第 {self.page_no()}/{{nb}} 页", align=Align.C)


def render_certificate(data: CertificateDocument) -> bytes:
    """The certificate as PDF bytes: title, statement, activities table, issuer, number, code."""
    with tempfile.TemporaryDirectory(prefix="gongjian-certificate-") as workdir:
        font = write_subset_font(_characters(data), Path(workdir) / "font.ttf")
        return _render(data, font)


def _characters(data: CertificateDocument) -> str:
    written = [data.person_name, data.issuer_name, data.number, data.verification_code]
    for line in data.lines:
        written += [line.activity_title, *line.organisers]
    return "".join(sorted(set(LAYOUT_TEXT + "".join(written))))


def _render(data: CertificateDocument, font: Path) -> bytes:
    pdf = _CertificatePdf(data.number)
    pdf.add_font(FONT, fname=font)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.set_lang("zh-CN")
    pdf.set_title(f"{TITLE} {data.number}")
    pdf.set_author(data.issuer_name)
    pdf.set_creator("Gongjian 共建")
    pdf.set_creation_date(data.issued_at)
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font(FONT, size=24)
    pdf.cell(0, 16, TITLE, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(90)
    pdf.cell(0, 6, f"证书编号：{data.number}", align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.ln(6)

    pdf.set_font(FONT, size=13)
    statement = (
        f"兹证明 {data.person_name} 于 {chinese_date(data.period_from)}至"
        f"{chinese_date(data.period_to)}期间参加志愿服务，累计服务时长 "
        f"{hours_text(data.total_hours)} 小时。"
    )
    pdf.multi_cell(0, 9, f"　　{statement}", wrapmode=WrapMode.CHAR)
    pdf.ln(4)
    if data.lines:
        pdf.set_font(FONT, size=12)
        pdf.cell(0, 8, "服务明细", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _activities_table(pdf, data)
    pdf.ln(10)
    _closing(pdf, data)
    return bytes(pdf.output())


def _activities_table(pdf: FPDF, data: CertificateDocument) -> None:
    pdf.set_font(FONT, size=9)
    # The table breaks across pages by itself and repeats its headings on each.
    with pdf.table(
        col_widths=COLUMNS,
        width=sum(COLUMNS),
        line_height=6,
        text_align=(Align.C, Align.L, Align.C, Align.L, Align.R),
        headings_style=FontFace(emphasis=None, fill_color=(232, 236, 242)),
        cell_fill_color=(248, 249, 251),
        cell_fill_mode=TableCellFillMode.ROWS,
        wrapmode=WrapMode.CHAR,
    ) as table:
        table.row(HEADINGS)
        for index, line in enumerate(data.lines, start=1):
            table.row(
                (
                    str(index),
                    line.activity_title,
                    chinese_date(line.held_on),
                    "、".join(line.organisers) or "—",
                    hours_text(line.hours),
                )
            )
        table.row(("合计", "", "", "", hours_text(data.total_hours)))


def _closing(pdf: FPDF, data: CertificateDocument) -> None:
    issued_on = data.issued_at.astimezone(clock.zone()).date()
    # Keep the issuer, the date and the codes together on one page.
    if pdf.will_page_break(60):
        pdf.add_page()
    pdf.set_font(FONT, size=12)
    for text in (f"出具单位：{data.issuer_name}", f"出具日期：{chinese_date(issued_on)}"):
        pdf.cell(0, 8, text, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, f"证书编号：{data.number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 6, f"验证码：{data.verification_code}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(80)
    pdf.multi_cell(0, 5, VERIFY_LINE, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(0, 5, VERIFY_LINE_EN, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
