"""Every corpus stage takes empty and odd input without a traceback (seeded random strings and
unusual PDFs); a document it cannot use is an ExtractionError, never another exception."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from corpus.build_pdfs import FONT, register_font
from corpus.extract import extract_document
from corpus.japanese import normalize, split_sentences
from corpus.model import ExtractionError
from corpus.plaintext import markdown_pages, text_pages
from corpus.sections import Block, assemble_page, body_block
from corpus.tables import clean_cell, is_value, label_column, row_line
from corpus.textrepair import close_letter_spacing, is_page_number, join_lines, strip_bullet
from tests.pdf_factory import Grid, Heading, Para, build_pdf

ALPHABET = (
    "あいう漢字。、！？「」『』（）()【】＜＞・…‥．.:：｜|-－― 　\t\n\f\r"
    "0123456789０１２３４５６７８９%％円人千年月日#*>|`\\\ue000\uf06e\u200b\x00\x07😀①⑳"
)


def odd_strings(count: int = 400) -> list[str]:
    rng = random.Random(11)
    fixed = ["", " ", "\n", "。", "「", "）", "｜", "-", "…" * 5 + "3", "|---|", "# ", "\x00"]
    return fixed + ["".join(rng.choices(ALPHABET, k=rng.randint(1, 60))) for _ in range(count)]


@pytest.mark.parametrize(
    "stage",
    [
        normalize,
        strip_bullet,
        close_letter_spacing,
        is_page_number,
        clean_cell,
        is_value,
        body_block,
        markdown_pages,
        text_pages,
        lambda s: join_lines(s.split("\n")),
        lambda s: [s[a:b] for a, b in split_sentences(s)],
    ],
)
def test_text_stages_take_any_string(stage: Callable[[str], object]) -> None:
    for text in odd_strings():
        stage(text)


def test_sentence_spans_are_inside_the_text() -> None:
    for text in odd_strings():
        for start, end in split_sentences(text):
            assert 0 <= start < end <= len(text) and text[start:end].strip()


def test_page_assembly_takes_odd_blocks() -> None:
    rng = random.Random(7)
    strings = odd_strings(60)
    for _ in range(200):
        blocks = []
        for _ in range(rng.randint(0, 6)):
            kind = rng.choice(["heading", "paragraph", "item", "table"])
            width = rng.randint(1, 4)
            rows = tuple(
                tuple(rng.choice(strings) for _ in range(width)) for _ in range(rng.randint(0, 3))
            )
            header = tuple(rng.choice(strings) for _ in range(rng.choice([0, width])))
            blocks.append(Block(kind, rng.choice(strings), rng.randint(1, 100), "", rows, header))
        parts = assemble_page(1, blocks, "doc", rng.choice(strings))
        for sentence in parts.sentences:
            assert parts.page.text[sentence.start : sentence.end] == sentence.text
    assert row_line((), (), None) == "" and label_column((), ()) is None


def _blank(canvas: Canvas) -> None:
    canvas.rect(50, 50, 200, 100)


def _rotated(canvas: Canvas) -> None:
    canvas.setPageRotation(90)
    canvas.drawString(72, 700, "回転したページの本文である。")


def _off_page(canvas: Canvas) -> None:
    canvas.drawString(-400, -300, "ページの外に置かれた文字。")
    canvas.drawString(72, 5000, "上にはみ出した文字。")


def _tiny_and_huge(canvas: Canvas) -> None:
    canvas.setFont(FONT, 0.5)
    canvas.drawString(72, 700, "極小の文字。")
    canvas.setFont(FONT, 180)
    canvas.drawString(10, 300, "巨")


def _overprinted(canvas: Canvas) -> None:
    for dx in range(6):
        canvas.drawString(72 + dx * 0.4, 700, "同じ文を何度も重ねて印刷した。")


def _invisible(canvas: Canvas) -> None:
    text = canvas.beginText(72, 700)
    text.setTextRenderMode(3)
    text.textLine("見えない文字の層。")
    canvas.drawText(text)


def _vertical(canvas: Canvas) -> None:
    for i, char in enumerate("縦書きの見出し"):
        canvas.drawString(40, 700 - i * 14, char)
    canvas.drawString(80, 700, "横書きの本文が続く。")


ODD_PAGES = [_blank, _rotated, _off_page, _tiny_and_huge, _overprinted, _invisible, _vertical]


@pytest.mark.parametrize("draw", ODD_PAGES, ids=lambda f: f.__name__.strip("_"))
def test_odd_pdfs_extract_or_fail_in_one_line(tmp_path: Path, draw: Callable) -> None:
    register_font()
    path = tmp_path / "odd.pdf"
    canvas = Canvas(str(path), pagesize=A4)
    canvas.setFont(FONT, 11)
    draw(canvas)
    canvas.showPage()
    canvas.save()
    try:
        document = extract_document(path)
    except ExtractionError as err:
        assert str(err).startswith("odd.pdf: ") and "\n" not in str(err)
        return
    for sentence in document.sentences:
        assert document.page(sentence.page).text[sentence.start : sentence.end] == sentence.text


def test_odd_tables_and_tiny_pages(tmp_path: Path) -> None:
    pages = [
        [Heading("表だけのページ"), Grid(rows=[[""]]), Grid(rows=[["", ""], ["", ""]])],
        [Grid(rows=[["見出し", "値"], ["", ""], ["行", ""]], spans=[(0, 0, 1, 0)])],
        [Para("")],
    ]
    document = extract_document(build_pdf(tmp_path / "tables.pdf", pages, page_numbers=False))
    assert len(document.pages) == 3
    for record in document.tables:
        assert len(record.cells) == len(record.header)
