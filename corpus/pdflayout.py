"""PDF pages → ``Block``s from pdfplumber's character geometry.

Font size separates headings from body text, vertical gaps separate paragraphs, ruled tables
found by ``page.find_tables()`` are taken out of the text flow and kept as rows, and lines that
repeat in the top/bottom margins (running headers, footers, page numbers) are dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from statistics import median

from pdfplumber.page import Page as PdfPage
from pdfplumber.pdf import PDF

from corpus.japanese import normalize
from corpus.sections import Block, body_block
from corpus.tables import rectangular
from corpus.textrepair import is_page_number, join_lines, starts_block

MARGIN_FRACTION = 0.07  # top/bottom share of the page where running headers and footers live
HEADING_DELTA = 0.8  # pt above the page's body size that makes a line a heading
PARAGRAPH_GAP = 0.6  # vertical gap, in font sizes, that starts a new paragraph
SAME_SIZE = 0.5  # pt: lines within this size difference can share a paragraph


@dataclass(frozen=True)
class Line:
    """One text line outside tables, with its geometry."""

    raw: str  # as extracted (bullet glyphs still present)
    text: str  # normalised
    size: float
    top: float
    bottom: float
    in_margin: bool


@dataclass
class PageLayout:
    lines: list[Line]
    tables: list[tuple[float, Block]]  # (top, table block)


def read_layout(page: PdfPage) -> PageLayout:
    """Lines outside tables, and the tables as rows, for one page."""
    tables = page.find_tables()
    boxes = [table.bbox for table in tables]

    def outside_tables(obj: dict) -> bool:
        return obj["object_type"] != "char" or not any(_inside(obj, box) for box in boxes)

    text_page = page.filter(outside_tables) if boxes else page
    margin = page.height * MARGIN_FRACTION
    lines = []
    for raw in text_page.extract_text_lines(return_chars=True):
        text = normalize(raw["text"])
        if text:
            sizes = [char["size"] for char in raw["chars"] if not char["text"].isspace()]
            in_margin = raw["top"] < margin or raw["bottom"] > page.height - margin
            lines.append(
                Line(raw["text"], text, median(sizes), raw["top"], raw["bottom"], in_margin)
            )
    blocks = [
        (table.bbox[1], block) for table in tables if (block := _table_block(table.extract()))
    ]
    return PageLayout(lines, blocks)


def _inside(obj: dict, box: tuple[float, float, float, float]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _table_block(rows: list[list[str | None]]) -> Block | None:
    cells = [[join_lines(map(normalize, (cell or "").split("\n"))) for cell in row] for row in rows]
    table = rectangular(cells)
    return Block("table", rows=table) if table else None


def _margin_key(text: str) -> str:
    return re.sub(r"\d+", "#", text)


def drop_running_lines(layouts: list[PageLayout]) -> None:
    """Remove margin lines that are page numbers or repeat (digits aside) on several pages."""
    seen = Counter(
        key
        for layout in layouts
        for key in {_margin_key(line.text) for line in layout.lines if line.in_margin}
    )
    for layout in layouts:
        layout.lines = [
            line
            for line in layout.lines
            if not (
                line.in_margin and (is_page_number(line.text) or seen[_margin_key(line.text)] > 1)
            )
        ]


def _paragraphs(lines: list[Line]) -> list[list[Line]]:
    groups: list[list[Line]] = []
    for line in lines:
        previous = groups[-1][-1] if groups else None
        if (
            previous is None
            or abs(line.size - previous.size) > SAME_SIZE
            or line.top - previous.bottom > PARAGRAPH_GAP * line.size
            or starts_block(line.raw)
        ):
            groups.append([line])
        else:
            groups[-1].append(line)
    return groups


def _body_size(lines: list[Line]) -> float:
    weights = Counter[float]()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def page_blocks(layout: PageLayout) -> list[Block]:
    """Headings (level by font size rank on the page), paragraphs, items and tables in order."""
    body = _body_size(layout.lines)
    groups = _paragraphs(layout.lines)
    heading_sizes = sorted(
        {round(g[0].size * 2) / 2 for g in groups if g[0].size >= body + HEADING_DELTA},
        reverse=True,
    )
    placed: list[tuple[float, Block]] = list(layout.tables)
    for group in groups:
        text = join_lines(line.text for line in group)
        if group[0].size >= body + HEADING_DELTA:
            level = heading_sizes.index(round(group[0].size * 2) / 2) + 1
            block: Block | None = Block("heading", text, level=level)
        else:
            block = body_block(text)
        if block:
            placed.append((group[0].top, block))
    return [block for _, block in sorted(placed, key=lambda item: item[0])]


def pdf_pages(pdf: PDF) -> list[list[Block]]:
    """Every page of an open PDF as blocks (empty list for a page without text)."""
    layouts = [read_layout(page) for page in pdf.pages]
    drop_running_lines(layouts)
    return [page_blocks(layout) for layout in layouts]
