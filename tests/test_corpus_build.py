"""The shipped PDFs: reproducible build, page geometry, embedded font, one slide per page."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from pdfminer.pdftypes import resolve1
from reportlab.pdfbase import pdfmetrics

from corpus.build_pdfs import (
    FONT,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    break_lines,
    build_all,
    register_font,
)
from corpus.manifest import ManifestEntry, load_manifest, shipped_pdfs
from corpus.textrepair import join_lines

EXPECTED_PAGES = {"digital-jinzai": 6, "chihou-sousei-2": 4}


def test_build_is_byte_identical_and_matches_committed_pdfs(tmp_path: Path) -> None:
    first = build_all(tmp_path / "a")
    second = build_all(tmp_path / "b")
    for one, two, committed in zip(first, second, shipped_pdfs(), strict=True):
        assert one.read_bytes() == two.read_bytes()
        assert one.read_bytes() == committed.read_bytes(), f"{committed.name} is stale: rebuild it"


@pytest.mark.parametrize("entry", load_manifest(), ids=lambda e: e.doc_id)
def test_pdf_is_a4_landscape_with_planned_pages_and_metadata(entry: ManifestEntry) -> None:
    with pdfplumber.open(entry.pdf_path) as pdf:
        assert len(pdf.pages) == EXPECTED_PAGES[entry.doc_id]
        for page in pdf.pages:
            assert (round(page.width), round(page.height)) == (842, 595)
        assert pdf.metadata["Title"] == entry.title
        assert pdf.metadata["Author"] == entry.issuer


@pytest.mark.parametrize("path", shipped_pdfs(), ids=lambda p: p.name)
def test_every_font_is_embedded_ipaex_gothic(path: Path) -> None:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            fonts = resolve1(page.page_obj.resources["Font"])
            assert fonts
            for font in map(resolve1, fonts.values()):
                assert font["BaseFont"].name.endswith("+" + FONT)
                assert "FontFile2" in resolve1(font["FontDescriptor"])
            assert {char["fontname"].split("+")[1] for char in page.chars} == {FONT}


@pytest.mark.parametrize("path", shipped_pdfs(), ids=lambda p: p.name)
def test_text_stays_inside_the_page_margins(path: Path) -> None:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            body = [c for c in page.chars if MARGIN_TOP <= c["top"] <= page.height - MARGIN_BOTTOM]
            assert body
            assert min(c["x0"] for c in body) >= MARGIN_X - 0.5
            assert max(c["x1"] for c in body) <= page.width - MARGIN_X + 0.5
            assert min(c["top"] for c in page.chars) >= 0
            assert max(c["bottom"] for c in page.chars) <= page.height


def test_font_has_a_glyph_for_every_character_of_the_sources() -> None:
    register_font()
    face = pdfmetrics.getFont(FONT).face
    for entry in load_manifest():
        text = entry.source_path.read_text(encoding="utf-8") + entry.short_title + entry.issuer
        missing = {c for c in text if not c.isspace() and ord(c) not in face.charToGlyph}
        assert not missing, f"{entry.source}: no glyph for {sorted(missing)}"


@pytest.mark.parametrize("width", [50.0, 65.0, 80.0, 95.0, 140.0])
def test_line_breaking_never_splits_ascii_words_or_numbers(width: float) -> None:
    register_font()
    text = "RESASなどを活用した客観的なデータ、NFTを含むWeb3.0 and GX or DX 2024年度上半期の実績"
    lines = break_lines(text, width, 10)
    assert len(lines) > 1
    assert join_lines(lines) == text  # a split word or a lost space would not re-join exactly
