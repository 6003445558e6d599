"""Noto Sans SC cut down to one document's characters, with TrueType outlines (the activities'
certificates and evaluation's bulletins use this one copy).

Noto Sans SC (PyPI ``pylopdf-fonts-zh-cn``, SIL OFL 1.1) is a CID-keyed CFF font. Embedded as it
is, fpdf2 writes its text through an embedded encoding CMap, which viewers read but text
extractors such as pypdf do not (they see one byte per glyph, and garbage past 255 glyphs). With
TrueType outlines the text goes out as Identity-H + ToUnicode, which every reader understands.
So: subset to the characters the document uses (a few hundred glyphs, fast), then convert those
cubic outlines to quadratic ones (cu2qu, within 1 unit of 1000: invisible).
"""

from __future__ import annotations

from pathlib import Path

from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont, newTable
from pylopdf_fonts_zh_cn import sans_path

# Within 1 font unit of the cubic outline; reversed, as TrueType winds outlines clockwise.
MAX_ERROR = 1.0


def write_subset_font(text: str, target: Path) -> Path:
    """Write Noto Sans SC, reduced to ``text``'s characters, as a TrueType font to ``target``."""
    font = TTFont(sans_path())
    options = Options()
    options.layout_features = []  # fpdf2 sets text without shaping: no GSUB/GPOS needed
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    _cff_to_glyf(font)
    font.save(target)
    return target


def _cff_to_glyf(font: TTFont) -> None:
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():  # a TrueType left side bearing is the glyph's xMin
        advance, _ = hmtx.metrics[name]
        hmtx.metrics[name] = (advance, getattr(glyph, "xMin", 0))
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    maxp.compile(font)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: fpdf2 maps characters through cmap
    font.sfntVersion = "\x00\x01\x00\x00"
