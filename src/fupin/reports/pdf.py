"""Chinese PDF documents (circulars, ledgers, cards): a title, headings, paragraphs and tables.

Framework-free. Fonts: a TrueType CJK font when one is installed (FUPIN_PDF_FONT names a .ttf
or .ttc file, optionally `path#index`); the Noto CJK collections of the Debian package
fonts-noto-cjk are tried too, but they carry PostScript (CFF) outlines that reportlab cannot
embed, so on most machines the document falls back to reportlab's built-in CID font
STSong-Light (Adobe-GB1), which every PDF reader renders in Chinese without embedding.

    write_pdf("通报.pdf", "2018年5月整改进展通报", [
        Heading("一、总体情况"),
        Paragraph("共有问题19个，已销号12个。"),
        Table(["单位", "到期", "完成"], [["县扶贫办", 3, 2]]),
    ])
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import (
    LongTable,
    SimpleDocTemplate,
    Spacer,
)
from reportlab.platypus import (
    Paragraph as RLParagraph,
)

FALLBACK_FONT = "STSong-Light"
CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # index 2 = SC
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[object]]
    col_widths: list[float] | None = None  # in millimetres
    caption: str = ""


Block = Heading | Paragraph | Table


@dataclass
class _Fonts:
    name: str
    embedded: bool
    tried: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def cjk_font() -> _Fonts:
    """Register and return the CJK font used for every document (see the module docstring)."""
    tried: list[str] = []
    candidates = list(CANDIDATES)
    env = os.environ.get("FUPIN_PDF_FONT", "").strip()
    if env:
        path, _, index = env.partition("#")
        candidates.insert(0, (path, int(index or 0)))
    for path, index in candidates:
        if not Path(path).exists():
            continue
        try:
            pdfmetrics.registerFont(TTFont("FupinCJK", path, subfontIndex=index))
            return _Fonts("FupinCJK", True, tried)
        except (TTFError, OSError) as exc:
            tried.append(f"{path}: {exc}")
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return _Fonts(FALLBACK_FONT, False, tried)


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle(
            "title", fontName=font, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=4 * mm
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            fontName=font,
            fontSize=10.5,
            leading=15,
            alignment=TA_CENTER,
            textColor=colors.grey,
            spaceAfter=4 * mm,
        ),
        "heading": ParagraphStyle(
            "heading", fontName=font, fontSize=13, leading=19, spaceBefore=3 * mm, spaceAfter=2 * mm
        ),
        "body": ParagraphStyle(
            "body",
            fontName=font,
            fontSize=10.5,
            leading=16,
            firstLineIndent=21,
            wordWrap="CJK",
            spaceAfter=2 * mm,
        ),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK"),
        "caption": ParagraphStyle(
            "caption", fontName=font, fontSize=10, leading=14, spaceBefore=2 * mm, spaceAfter=1 * mm
        ),
    }


def _cell(value: object, style: ParagraphStyle) -> RLParagraph:
    text = "" if value is None else str(value)
    return RLParagraph(escape(text).replace("\n", "<br/>"), style)


def build(
    target: str | Path | BinaryIO,
    title: str,
    blocks: list[Block],
    *,
    subtitle: str = "",
    author: str = "",
    wide: bool = False,
) -> None:
    fonts = cjk_font()
    st = _styles(fonts.name)
    pagesize = landscape(A4) if wide else A4
    doc = SimpleDocTemplate(
        str(target) if isinstance(target, str | Path) else target,
        pagesize=pagesize,
        title=title,
        author=author,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    story: list[object] = [RLParagraph(escape(title), st["title"])]
    if subtitle:
        story.append(RLParagraph(escape(subtitle), st["subtitle"]))
    for block in blocks:
        if isinstance(block, Heading):
            story.append(RLParagraph(escape(block.text), st["heading"]))
        elif isinstance(block, Paragraph):
            story.append(RLParagraph(escape(block.text), st["body"]))
        elif isinstance(block, Table):
            if block.caption:
                story.append(RLParagraph(escape(block.caption), st["caption"]))
            data = [[_cell(h, st["cell"]) for h in block.header]]
            data += [[_cell(v, st["cell"]) for v in row] for row in block.rows]
            widths = [w * mm for w in block.col_widths] if block.col_widths else None
            if widths is None:
                usable = pagesize[0] - 36 * mm
                widths = [usable / max(len(block.header), 1)] * len(block.header)
            table = LongTable(data, colWidths=widths, repeatRows=1)
            table.setStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
            story.append(table)
            story.append(Spacer(1, 3 * mm))
    doc.build(story)


def write_pdf(path: str | Path, title: str, blocks: list[Block], **kwargs: object) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build(path, title, blocks, **kwargs)  # type: ignore[arg-type]
    return path


def pdf_bytes(title: str, blocks: list[Block], **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    build(buffer, title, blocks, **kwargs)  # type: ignore[arg-type]
    return buffer.getvalue()
