"""PDF printouts carry their Chinese text in the text layer, embed their font, and render."""

from __future__ import annotations

import subprocess

from tests.pdfs import assert_fonts_embedded, needs_poppler, pdf_text
from tests.web.conftest import client_for


@needs_poppler
def test_the_help_card_shows_household_members_helper_and_measures_in_chinese(
    client, reviewer, tmp_path
):
    response = client_for(client, reviewer).get("/households/H001/helpcard.pdf")
    pdf = tmp_path / "card.pdf"
    pdf.write_bytes(response.content)
    assert_fonts_embedded(pdf)  # readable on a machine without Chinese fonts
    text = pdf_text(pdf)
    for expected in (
        "帮扶明白卡",
        "张三",
        "李四",
        "张小",
        "因病",
        "李明",
        "13800000001",
        "发放猪仔2头",
        "享受政策",
    ):
        assert expected in text, expected
    # the card hangs on a wall: the head's full ID number is not on it
    from fupin.registry.models import Household

    assert Household.objects.get(household_id="H001").head_id_number not in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "card")],
        check=True,
    )
    image = next(tmp_path.glob("card*.png"))
    assert image.stat().st_size > 5000


@needs_poppler
def test_the_village_register_and_township_book_list_their_rows(client, reviewer, tmp_path):
    c = client_for(client, reviewer)
    register = tmp_path / "register.pdf"
    register.write_bytes(c.get("/regions/530523100001/register.pdf").content)
    assert_fonts_embedded(register)
    text = pdf_text(register)
    assert "村有册" in text and "H001" in text and "王丽" in text and "H003" not in text
    book = tmp_path / "book.pdf"
    book.write_bytes(c.get("/regions/530523100000/book.pdf").content)
    assert_fonts_embedded(book)
    text = pdf_text(book)
    assert "乡有簿" in text and "新寨村" in text and "大坪村" in text and "合计" in text


def test_without_an_embeddable_font_a_printout_says_what_to_install(client, reviewer, monkeypatch):
    from fupin.reports.pdf import cjk_font

    monkeypatch.setenv("FUPIN_PDF_FONT", "/nonexistent/wqy-zenhei.ttc")
    cjk_font.cache_clear()
    try:
        response = client_for(client, reviewer).get("/households/H001/helpcard.pdf")
    finally:
        monkeypatch.delenv("FUPIN_PDF_FONT")
        cjk_font.cache_clear()
    assert response.status_code == 503
    page = response.content.decode()
    assert "暂时无法生成 PDF" in page
    assert "FUPIN_PDF_FONT 指定的字体文件不存在：/nonexistent/wqy-zenhei.ttc" in page
    # the font is found again once the setting is mended
    assert client_for(client, reviewer).get("/households/H001/helpcard.pdf").status_code == 200
