"""Every PDF embeds its Chinese font, so it reads and renders on a machine without one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fupin.reports import pdf
from tests.pdfs import assert_fonts_embedded, needs_poppler, pdf_fonts, pdf_text

ZENHEI = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@pytest.fixture(autouse=True)
def _font_looked_up_afresh(monkeypatch):
    """Each test finds the font itself; the next one starts from the real machine again."""
    monkeypatch.delenv("FUPIN_PDF_FONT", raising=False)
    pdf.cjk_font.cache_clear()
    yield
    pdf.cjk_font.cache_clear()


def _document() -> bytes:
    return pdf.pdf_bytes(
        "2018年5月整改进展通报",
        [
            pdf.Heading("一、总体情况"),
            pdf.Paragraph("共有问题19个，已销号12个。"),
            pdf.Table(["单位", "到期", "完成"], [["县扶贫办", 3, 2]], caption="分单位情况"),
        ],
        subtitle="江西省扶贫开发领导小组办公室",
    )


@needs_poppler
class TestPdfFonts:
    def test_the_document_embeds_a_subset_of_a_truetype_font_and_nothing_else(self):
        data = _document()
        assert_fonts_embedded(data)
        assert all(f.subset and "TrueType" in f.type for f in pdf_fonts(data))
        assert b"/FontFile2" in data and b"STSong" not in data and b"Helvetica" not in data

    def test_the_text_layer_holds_the_chinese_of_title_headings_paragraphs_and_tables(self):
        text = pdf_text(_document())
        for expected in ("2018年5月整改进展通报", "江西省扶贫开发领导小组办公室", "一、总体情况"):
            assert expected in text, expected
        for expected in ("共有问题19个，已销号12个。", "分单位情况", "县扶贫办"):
            assert expected in text, expected
        assert "未写入的字" not in text

    def test_more_than_one_subset_of_characters_is_embedded_and_read_back(self, tmp_path):
        # reportlab cuts a TrueType font into subsets of 256 glyphs: 600 distinct characters
        # need three, and each must carry its own ToUnicode map
        chars = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 600))
        lines = [chars[i : i + 30] for i in range(0, len(chars), 30)]
        out = pdf.write_pdf(tmp_path / "长.pdf", "字表", [pdf.Paragraph(line) for line in lines])
        assert len(pdf_fonts(out)) >= 3
        assert_fonts_embedded(out)
        text = "".join(pdf_text(out).split())
        for line in lines:
            assert line in text

    def test_the_first_page_renders_to_an_image(self, tmp_path):
        out = pdf.write_pdf(
            tmp_path / "通报.pdf", "整改进展通报", [pdf.Paragraph("已销号5个。" * 40)]
        )
        subprocess.run(
            ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")],
            check=True,
        )
        assert next(tmp_path.glob("p*.png")).stat().st_size > 2000

    @pytest.mark.skipif(not ZENHEI.exists(), reason="fonts-wqy-zenhei is not installed")
    def test_FUPIN_PDF_FONT_chooses_a_face_of_a_collection(self, monkeypatch):
        monkeypatch.setenv("FUPIN_PDF_FONT", f"{ZENHEI}#1")
        names = [f.name for f in pdf_fonts(_document())]
        assert names and all("+WenQuanYiZenHeiMono" in n for n in names), names

    def test_a_missing_font_is_a_chinese_error_naming_the_package_to_install(self, monkeypatch):
        monkeypatch.setattr(
            pdf, "FONT_CANDIDATES", (("/nonexistent/wqy-zenhei.ttc", 0, "fonts-wqy-zenhei"),)
        )
        with pytest.raises(pdf.FontMissing, match="请安装软件包 fonts-wqy-zenhei"):
            _document()

    def test_FUPIN_PDF_FONT_naming_a_missing_file_is_refused_not_skipped(
        self, monkeypatch, tmp_path
    ):
        monkeypatch.setenv("FUPIN_PDF_FONT", str(tmp_path / "无.ttf"))
        with pytest.raises(pdf.FontMissing, match="FUPIN_PDF_FONT 指定的字体文件不存在"):
            _document()

    def test_FUPIN_PDF_FONT_with_a_bad_index_is_refused(self, monkeypatch):
        monkeypatch.setenv("FUPIN_PDF_FONT", f"{ZENHEI}#甲")
        with pytest.raises(pdf.FontMissing, match="FUPIN_PDF_FONT 的值.*无效"):
            _document()

    @pytest.mark.skipif(not NOTO.exists(), reason="fonts-noto-cjk is not installed")
    def test_FUPIN_PDF_FONT_naming_a_noto_cjk_font_says_it_cannot_be_embedded(self, monkeypatch):
        monkeypatch.setenv("FUPIN_PDF_FONT", f"{NOTO}#2")
        with pytest.raises(pdf.FontMissing, match="无法嵌入"):
            _document()


def test_no_line_begins_with_a_full_width_comma_or_other_closing_punctuation():
    """GB/T 15834: ，；：？！、。 and closing brackets do not begin a line (避头点号)."""
    from reportlab.platypus import Paragraph as RLParagraph

    style = pdf._styles(pdf.cjk_font())["body"]
    text = (
        "工资性收入一万二千元，生产经营性收入三千元，减生产经营性支出八百元；财产性收入两百元。" * 6
    )
    starts = set()
    for width in range(120, 420, 7):  # many widths, so that some break falls before each mark
        para = RLParagraph(text, style)
        para.wrap(width, 10_000)
        for line in para.blPara.lines[1:]:
            words = line[1] if isinstance(line, tuple) else line.words  # plain or styled text
            text = "".join(w if isinstance(w, str) else getattr(w, "text", "") for w in words)
            starts.add(text[:1])
    assert starts, "the paragraph never wrapped"
    assert not starts & set(pdf.NOT_AT_LINE_START)
