"""Reading PDFs back the way a reader does: poppler's pdftotext (text layer) and pdffonts."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="poppler-utils (pdftotext, pdffonts) is not installed",
)


def _run(tool: str, pdf: bytes | str | Path, *args: str) -> str:
    if isinstance(pdf, bytes):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(pdf)
            f.flush()
            return _run(tool, f.name, *args)
    return subprocess.run(
        [tool, *args, str(pdf), "-"] if tool == "pdftotext" else [tool, *args, str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def pdf_text(pdf: bytes | str | Path) -> str:
    """The text layer, as search and copy-paste see it."""
    return _run("pdftotext", pdf, "-layout")


@dataclass(frozen=True)
class PdfFont:
    name: str  # e.g. AAAAAA+WenQuanYiZenHei-0 (a subset), or STSong-Light
    type: str  # e.g. "CID TrueType", "TrueType"
    embedded: bool
    subset: bool
    to_unicode: bool


def pdf_fonts(pdf: bytes | str | Path) -> list[PdfFont]:
    """pdffonts' table: name, type, encoding, emb, sub, uni, object id (columns by position)."""
    lines = _run("pdffonts", pdf).splitlines()
    dashes = lines[1]
    spans = []  # each column's [start, end) from the row of dashes under the header
    start = 0
    for part in dashes.split(" "):
        spans.append((start, start + len(part)))
        start += len(part) + 1
    fonts = []
    for line in lines[2:]:
        cells = [line[a:b].strip() for a, b in spans]
        name, type_, _encoding, emb, sub, uni = cells[:6]
        fonts.append(PdfFont(name, type_, emb == "yes", sub == "yes", uni == "yes"))
    return fonts


def assert_fonts_embedded(pdf: bytes | str | Path) -> None:
    """Every font of the document is embedded with a ToUnicode map: no reader-side font needed."""
    fonts = pdf_fonts(pdf)
    assert fonts, "the PDF uses no font"
    for font in fonts:
        assert font.embedded, f"font {font.name} ({font.type}) is not embedded"
        assert font.to_unicode, f"font {font.name} has no ToUnicode map: its text cannot be read"
        assert "STSong" not in font.name
