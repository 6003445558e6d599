"""An assessment's explanation as a printable page (HTML with print styles, A4): the result and,
for every indicator, what was counted (numerator and denominator, the period), the value, the
curve that turned it into a score, and the score — enough to check each one by hand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from html import escape

from gongjian_evaluation.domain.schemes import plain
from gongjian_evaluation.export.results import FAMILY_LABELS, SUBJECT_LABELS

HTML = "text/html; charset=utf-8"

STYLE = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", serif;
  font-size: 11pt; color: #000; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 17pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1px solid #000; }
table { width: 100%; border-collapse: collapse; margin-bottom: 3mm; }
th, td { border: 1px solid #444; padding: 1.5mm 2mm; vertical-align: top; text-align: left; }
th { background: #eee; font-weight: bold; }
td.n { text-align: right; white-space: nowrap; }
.meta td:first-child { width: 28mm; background: #f6f6f6; }
.note { font-size: 9.5pt; color: #333; }
tr, .indicator { page-break-inside: avoid; break-inside: avoid; }
@media print { a { color: #000; text-decoration: none; } th { background: #eee !important;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""


@dataclass(frozen=True)
class IndicatorLine:
    dimension_zh: str
    code: str
    label_zh: str
    measured: bool
    weight: Decimal
    score: Decimal | None
    # MEASURED: what was counted, and how the value became a score
    metric_zh: str | None = None
    numerator_zh: str | None = None
    denominator_zh: str | None = None
    unit: str | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    value: Decimal | None = None
    evidence_count: int | None = None
    curve_zh: str | None = None
    frozen_at: datetime | None = None
    # SCORED: what the assessors looked at, and whose score counts
    guidance_zh: str | None = None
    self_score: Decimal | None = None
    reviewer_score: Decimal | None = None


@dataclass(frozen=True)
class DimensionLine:
    label_zh: str
    weight: Decimal
    score: Decimal | None


@dataclass(frozen=True)
class ExplanationPage:
    assessment_id: uuid.UUID
    cycle_name: str
    scheme_name: str
    period_from: date
    period_to: date
    subject_kind: str
    subject_id: uuid.UUID
    area_code: str
    family: str | None
    total: Decimal | None
    rank: int | None
    grade_zh: str | None
    grade_note: str | None
    published_at: datetime | None
    dimensions: list[DimensionLine]
    indicators: list[IndicatorLine]
    printed_at: datetime


def _n(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    return plain(Decimal(value))


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def _measured(line: IndicatorLine, page: ExplanationPage) -> str:
    unit = f"（{_e(line.unit)}）" if line.unit else ""
    denominator = (
        f"<tr><td>分母：{_e(line.denominator_zh)}</td>"
        f"<td class='n'>{_n(line.denominator)}</td></tr>"
        if line.denominator_zh or line.denominator is not None
        else "<tr><td>分母</td><td class='n'>无（直接计数或求和）</td></tr>"
    )
    return (
        "<table><tbody>"
        f"<tr><td>数据口径</td><td>{_e(line.metric_zh)}</td></tr>"
        f"<tr><td>统计期间</td><td>{page.period_from} 至 {page.period_to}</td></tr>"
        f"<tr><td>分子：{_e(line.numerator_zh)}</td><td class='n'>{_n(line.numerator)}</td></tr>"
        f"{denominator}"
        f"<tr><td>测评值{unit}</td><td class='n'>{_n(line.value)}</td></tr>"
        f"<tr><td>计入的记录数</td><td class='n'>{_n(line.evidence_count)}</td></tr>"
        f"<tr><td>计分曲线</td><td>{_e(line.curve_zh)}</td></tr>"
        f"<tr><td>得分</td><td class='n'>{_n(line.score)}</td></tr>"
        f"<tr><td>数据冻结时间</td><td>{_moment(line.frozen_at)}</td></tr>"
        "</tbody></table>"
    )


def _scored(line: IndicatorLine) -> str:
    return (
        "<table><tbody>"
        f"<tr><td>评分说明</td><td>{_e(line.guidance_zh)}</td></tr>"
        f"<tr><td>自评分</td><td class='n'>{_n(line.self_score)}</td></tr>"
        f"<tr><td>评审分</td><td class='n'>{_n(line.reviewer_score)}</td></tr>"
        f"<tr><td>得分（以评审分为准）</td><td class='n'>{_n(line.score)}</td></tr>"
        "</tbody></table>"
    )


def render_explanation(page: ExplanationPage) -> bytes:
    """The page as UTF-8 HTML; every value from the records is escaped."""
    subject = SUBJECT_LABELS.get(page.subject_kind, page.subject_kind)
    family = FAMILY_LABELS.get(page.family or "", page.family or "")
    meta = [
        ("评议周期", _e(page.cycle_name)),
        ("评价方案", _e(page.scheme_name)),
        ("评议期间", f"{page.period_from} 至 {page.period_to}"),
        ("评议对象", f"{_e(subject)} {_e(page.subject_id)}"),
        ("所在区划", _e(page.area_code)),
        *([("组织类别", _e(family))] if family else []),
        ("总分", _n(page.total)),
        ("排名", _n(page.rank)),
        ("等级", _e(page.grade_zh or "—")),
        *([("等级说明", _e(page.grade_note))] if page.grade_note else []),
        ("公布时间", _moment(page.published_at)),
    ]
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>评议结果说明 {_e(page.assessment_id)}</title><style>{STYLE}</style></head><body>",
        "<h1>创先争优评议结果说明</h1>",
        "<table class='meta'><tbody>",
        *(f"<tr><td>{label}</td><td>{value}</td></tr>" for label, value in meta),
        "</tbody></table>",
        "<h2>各维度得分</h2><table><thead><tr><th>维度</th><th>权重</th><th>得分</th></tr>"
        "</thead><tbody>",
        *(
            f"<tr><td>{_e(d.label_zh)}</td><td class='n'>{_n(d.weight)}%</td>"
            f"<td class='n'>{_n(d.score)}</td></tr>"
            for d in page.dimensions
        ),
        "</tbody></table>",
        "<p class='note'>维度得分 = Σ 指标得分 × 指标权重 ÷ 100；总分 = Σ 维度得分 × 维度权重 ÷ 100"
        "（均保留两位小数，四舍五入）。</p>",
        "<h2>各项指标</h2>",
    ]
    for line in page.indicators:
        kind = "数据测评" if line.measured else "评议打分"
        parts.append(
            f"<div class='indicator'><h3>{_e(line.dimension_zh)} · {_e(line.label_zh)}"
            f"（{kind}，权重 {_n(line.weight)}%，代码 {_e(line.code)}）</h3>"
        )
        parts.append(_measured(line, page) if line.measured else _scored(line))
        parts.append("</div>")
    parts.append(
        f"<p class='note'>打印时间：{_moment(page.printed_at)}。数据测评指标的数值在评议周期截止时"
        "冻结，此后到达的记录不改变已公布的结果。</p></body></html>"
    )
    return "".join(parts).encode("utf-8")
