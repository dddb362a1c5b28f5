"""Chinese PDF documents (circulars, ledgers, cards): a title, headings, paragraphs and tables.

Framework-free. Every document embeds (a subset of) a TrueType CJK font, so its Chinese shows
and its text layer can be read (pdftotext, search, copy) on any machine, whatever fonts the
reader has. The font is the first of FUPIN_PDF_FONT (a .ttf or .ttc file, optionally
`path#index`) and the known paths in FONT_CANDIDATES that exists; the Debian package
fonts-wqy-zenhei, installed by run.sh, provides one. Not used on purpose: the Noto CJK fonts
of fonts-noto-cjk (PostScript/CFF outlines, which reportlab cannot embed) and reportlab's
built-in CID font STSong-Light (never embedded: without the reader's own Adobe-GB1 resources,
e.g. poppler-data, its text extracts as nothing and may render as boxes).

    write_pdf("通报.pdf", "2018年5月整改进展通报", [
        Heading("一、总体情况"),
        Paragraph("共有问题19个，已销号12个。"),
        Table(["单位", "到期", "完成"], [["县扶贫办", 3, 2]]),
    ])
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors, textsplit
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import (
    LongTable,
    SimpleDocTemplate,
    Spacer,
)
from reportlab.platypus import (
    Paragraph as RLParagraph,
)
from reportlab.platypus import paragraph as _paragraph_module

# TrueType CJK fonts reportlab can embed, with the Debian package that installs each.
FONT_CANDIDATES: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "fonts-wqy-zenhei"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "fonts-wqy-microhei"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "fonts-arphic-uming"),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0, "fonts-arphic-ukai"),
)


class FontMissing(RuntimeError):
    """No embeddable Chinese font on this machine (缺少可嵌入的中文字体)."""


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


def _register(path: str, index: int) -> str:
    # one name per file and face: reportlab keeps the first font registered under a name
    name = f"FupinCJK-{Path(path).stem}-{index}"
    pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    return name


def _font_from_environment(value: str) -> str:
    """FUPIN_PDF_FONT=path[#index]: the operator's choice is used or refused, never skipped."""
    path, _, index = value.partition("#")
    if index and not index.isdigit():
        raise FontMissing(
            f"环境变量 FUPIN_PDF_FONT 的值“{value}”无效：应为 .ttf/.ttc 字体文件路径，"
            "可带“#序号”指定 .ttc 中的第几个字体，如 /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc#0"
        )
    if not Path(path).is_file():
        raise FontMissing(f"环境变量 FUPIN_PDF_FONT 指定的字体文件不存在：{path}")
    try:
        return _register(path, int(index or 0))
    except (TTFError, OSError) as exc:
        raise FontMissing(
            f"环境变量 FUPIN_PDF_FONT 指定的字体 {path} 无法嵌入 PDF（需要 TrueType 轮廓的 "
            f".ttf/.ttc，Noto CJK 等 OpenType/CFF 字体不行）：{exc}"
        ) from exc


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register the embeddable CJK font once and return its reportlab name (see the module docstring).

    Raises FontMissing, in Chinese, naming the package to install, when no font is found; the
    failure is not cached, so installing the font fixes a running server.
    """
    env = os.environ.get("FUPIN_PDF_FONT", "").strip()
    if env:
        return _font_from_environment(env)
    problems: list[str] = []
    for path, index, _package in FONT_CANDIDATES:
        if not Path(path).is_file():
            continue
        try:
            return _register(path, index)
        except (TTFError, OSError) as exc:  # a damaged or truncated file: try the next one
            problems.append(f"{path} 无法读取：{exc}")
    others = "、".join(package for _, _, package in FONT_CANDIDATES[1:])
    detail = ("；".join(problems) + "。") if problems else ""
    raise FontMissing(
        "生成 PDF 需要可嵌入的 TrueType 中文字体，但本机没有找到。"
        f"{detail}请安装软件包 fonts-wqy-zenhei（apt-get install fonts-wqy-zenhei；./run.sh 会自动安装），"
        f"或 {others} 之一，或用环境变量 FUPIN_PDF_FONT 指定一个 .ttf/.ttc 字体文件。"
    )


# Punctuation that may not begin a line (GB/T 15834 标点符号用法; 避头点号). reportlab's own
# list has the full stop and closing brackets but not the full-width comma, semicolon, colon,
# question and exclamation marks, so a help card could show a line starting with “，”. Its
# two CJK line breakers (plain and styled text) read the list from their own modules.
NOT_AT_LINE_START = "，；：？！、。）》」』】〕"
if "，" not in textsplit.ALL_CANNOT_START:
    textsplit.ALL_CANNOT_START += NOT_AT_LINE_START
    _paragraph_module.ALL_CANNOT_START = textsplit.ALL_CANNOT_START


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
    font = cjk_font()
    st = _styles(font)
    pagesize = landscape(A4) if wide else A4
    doc = SimpleDocTemplate(
        str(target) if isinstance(target, str | Path) else target,
        pagesize=pagesize,
        initialFontName=font,  # else every page names Helvetica, a font that is not embedded
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
                    # cells hold paragraphs in the CJK font, but the table still sets its
                    # own (default Helvetica, not embedded) before drawing each cell
                    ("FONT", (0, 0), (-1, -1), font),
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
