"""The volunteer-hours certificate PDF: its Chinese text is embedded and can be read back."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

from pypdf import PdfReader

from gongjian_activities.certificates.document import (
    CertificateDocument,
    CertificateLine,
    chinese_date,
    hours_text,
)
from gongjian_activities.certificates.pdf import render_certificate


def certificate(lines: int = 3) -> CertificateDocument:
    activities = tuple(
        CertificateLine(
            activity_title=f"宝石社区敬老助残志愿服务第{i + 1}期",
            held_on=date(2026, 1 + i % 12, 1 + i % 28),
            organisers=("宝石社区党委", "北山街道团工委"),
            hours=Decimal("2.5"),
        )
        for i in range(lines)
    )
    return CertificateDocument(
        number="GJ-2026-7K3Q9M2XPA",
        verification_code="8F3K2Q7M",
        person_name="张晓明",
        period_from=date(2026, 1, 1),
        period_to=date(2026, 12, 31),
        issuer_name="北山街道宝石社区党委",
        # 18:30 UTC on 31 December is 1 January in China: the printed date is China's.
        issued_at=datetime(2026, 12, 31, 18, 30, tzinfo=UTC),
        total_hours=Decimal("2.5") * lines,
        lines=activities,
    )


def read_back(pdf: bytes) -> tuple[PdfReader, str]:
    """The PDF and its text without whitespace (Chinese lines wrap anywhere)."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", "", text)


def test_the_certificate_reads_back_in_chinese():
    pdf = render_certificate(certificate(lines=5))
    assert pdf.startswith(b"%PDF-")
    reader, text = read_back(pdf)
    assert len(reader.pages) == 1
    assert "志愿服务时长证明" in text
    assert "兹证明张晓明于2026年1月1日至2026年12月31日期间参加志愿服务" in text
    assert "累计服务时长12.5小时" in text
    assert "宝石社区敬老助残志愿服务第3期" in text
    assert "GJ-2026-7K3Q9M2XPA" in text
    assert "验证码：8F3K2Q7M" in text
    assert "出具单位：北山街道宝石社区党委" in text
    assert "出具日期：2027年1月1日" in text
    assert "verifyCertificate" in text


def test_the_font_is_an_embedded_subset():
    reader, _ = read_back(render_certificate(certificate()))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for reference in fonts.values():
        font = reference.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        name = str(font["/BaseFont"])
        assert re.fullmatch(r"/[A-Z]{6}\+NotoSansSC", name), name  # a subset's tag
        descriptor = descendant["/FontDescriptor"]
        assert "/FontFile2" in descriptor  # TrueType outlines (gongjian_kit.fonts)
        assert str(font["/Encoding"]) == "/Identity-H"
        assert "/ToUnicode" in font
    # A subset, not the 8 MB font.
    assert len(render_certificate(certificate())) < 200_000


def test_a_long_list_of_activities_runs_over_pages_and_every_line_is_printed():
    pdf = render_certificate(certificate(lines=80))
    reader, text = read_back(pdf)
    assert len(reader.pages) >= 3
    for i in (1, 40, 80):
        assert f"宝石社区敬老助残志愿服务第{i}期" in text
    assert "累计服务时长200小时" in text
    # The headings repeat on every page, and every page names the certificate.
    for page in reader.pages:
        page_text = re.sub(r"\s+", "", page.extract_text())
        assert "GJ-2026-7K3Q9M2XPA" in page_text
    assert re.sub(r"\s+", "", reader.pages[1].extract_text()).count("活动名称") == 1
    assert "验证码：8F3K2Q7M" in re.sub(r"\s+", "", reader.pages[-1].extract_text())


def test_hours_and_dates_are_written_as_people_read_them():
    assert hours_text(Decimal("12.50")) == "12.5"
    assert hours_text(Decimal("100.0")) == "100"
    assert hours_text(Decimal("0.25")) == "0.25"
    assert hours_text(Decimal(3)) == "3"
    assert chinese_date(date(2026, 1, 1)) == "2026年1月1日"


def test_text_with_hundreds_of_distinct_characters_reads_back():
    # Past 255 glyphs a one-byte reading of the text would fail; Identity-H keeps two bytes.
    hanzi = "".join(chr(0x4E00 + i) for i in range(0, 2000, 5))  # 400 characters
    lines = tuple(
        CertificateLine(hanzi[i : i + 20], date(2026, 5, 1), ("宝石社区党委",), Decimal(1))
        for i in range(0, len(hanzi), 20)
    )
    data = certificate()
    data = CertificateDocument(**{**data.__dict__, "lines": lines, "total_hours": Decimal(20)})
    _, text = read_back(render_certificate(data))
    for line in lines:
        assert line.activity_title in text
