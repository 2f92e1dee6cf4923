"""PDF pages → ``Block``s in reading order.

pdfminer's layout analysis groups the characters into lines and text boxes (columns, slide text
boxes, side labels and margin numbers each become their own boxes, read in pdfminer's box
order); data tables found by pdfplumber are taken out of that flow and kept as rows. Then, on
those lines: shadow duplicates (the same text drawn twice, slightly offset) are dropped before
layout, margin line numbers, contents lines (dot leaders, a 目次 page), running headers/footers
and page numbers are dropped, letter-spaced lines are closed up, and lines are re-joined into
paragraphs and headings (by font size). Pages without a text layer can be read by OCR.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from statistics import median

from pdfminer.layout import (
    LAParams,
    LTChar,
    LTContainer,
    LTPage,
    LTTextBox,
    LTTextLine,
    LTTextLineHorizontal,
)
from pdfplumber.page import Page as PdfPage
from pdfplumber.pdf import PDF
from pdfplumber.utils import dedupe_chars

from corpus.japanese import has_letter, normalize
from corpus.ocr import OcrLine
from corpus.sections import Block, body_block, heading_marker, numbering
from corpus.tables import is_value, pdf_table
from corpus.textrepair import close_letter_spacing, is_page_number, join_lines, starts_block

MARGIN_FRACTION = 0.07  # top/bottom share of the page where running headers and footers live
HEADING_DELTA = 0.8  # pt above the page's body size that makes a line a heading
PARAGRAPH_GAP = 0.6  # vertical gap, in font sizes, that starts a new paragraph
SAME_SIZE = 0.5  # pt: lines within this size difference can share a paragraph
# A gap this many times the page's usual line gap still continues a line. On the 9 benchmark
# PDFs 1.2 to 2.0 leave the same sentences ending cleanly, 1.1 one more cut 「る。」.
LINE_GAP_SLACK = 1.2
# Wrapped lines a page needs before its line gap is trusted: 2 and 3 read the 9 benchmark PDFs
# alike, 5 leaves two more sentences cut at a line end.
MIN_WRAPS = 3
FULL_LINE = 1.5  # font sizes: a line ending closer than this to its box's right edge is full
SHADOW_TOLERANCE = 2.0  # pt: the same character this close to another is its shadow
TITLE_SIZE_SHARE = 0.6  # lines at least this share of the largest size join the title
TITLE_GAP = 1.5  # font sizes between the lines of one title
LINE_NUMBERS = 3  # a margin column of at least this many bare numbers is line numbering
ROW_GAP = 2.5  # font sizes: a short piece this close to the next one on its row joins it
WIDE_ROW_GAP = 4.0
# Two short pieces on one row join across this many font sizes: a form's spread-out date
# (「平成　　30　　年　　3　　月」, gaps up to 5 em in otoineppu_kansui_keiei); bench/extraction.py
# measures the headings and clean sentences it changes on every benchmark PDF.
SHORT_PIECES_GAP = 6.0
SHORT_PIECE = 3  # characters
SIDE_LABEL = 12  # characters: a short line left of a paragraph's first line labels it
ROW_TOLERANCE = 2.0  # pt: boxes whose tops differ less than this share a row
# Large one-line texts side by side on one row: a chart's axis or legend labels. On the real PDFs
# 46 + 40 sentences leave such labels' sections (音威子府村 pp.1–3 and p.5, the AI guideline's
# annex p.6), no other section changes; realpdf +1, fresh2 +1, no answer lost (12-07).
LABEL_ROW = 3
CUT_TOLERANCE = 1.0  # pt two boxes may overlap and still be cut apart
# pdfminer groups lines and boxes; boxes are put in reading order here (recursive XY-cut):
# its own box order interleaves distant boxes on pages with tables.
LAYOUT = LAParams(line_margin=0.8, word_margin=0.25, boxes_flow=None)

_SENTENCE_END = re.compile(r"[。！？][」』）)]*$")
_OPEN_END = re.compile(r"[、，,「『（(【〔［\[]$")
_LEADER = re.compile(r"(?:[.．・･·…‥]\s?){3,}\s*[0-9０-９]{1,4}$")
_CONTENTS = re.compile(r"^(?:目次|もくじ|contents|table of contents)$", re.IGNORECASE)
_LINE_NUMBER = re.compile(r"^\d{1,3}$")
# An item's number opening a line (「４：主要」, 「2. 」, 「(3)」), not a figure (「2.5倍」). Two
# lines opening alike are two items: 4 joined pairs split in the 9 PDFs, no other sentence moved.
_ITEM_OPENING = re.compile(r"^([(（]?)[0-9０-９]{1,2}([)）:：.．、])(?![0-9０-９])")
_DATE = re.compile(r"^[（(]?(?:令和|平成|昭和)?\s*[0-9０-９元]{1,4}\s*年\s*[0-9０-９]{1,2}\s*月")
LABEL = "label"  # heading marker of a side label

OcrReader = Callable[[int], list[OcrLine]]  # 0-based page index → OCR lines


@dataclass(frozen=True)
class Line:
    """One text line outside data tables, with its geometry (pt, from the page top)."""

    raw: str  # as extracted (bullet glyphs still present)
    text: str  # normalised, letter spacing closed
    size: float
    x0: float
    x1: float
    top: float
    bottom: float
    box: int  # the text box it belongs to, numbered in reading order
    in_margin: bool


@dataclass
class PageLayout:
    lines: list[Line]
    tables: list[tuple[tuple[float, float, float, float], Block]] = field(default_factory=list)
    scanned: bool = False  # no text but an image: a scan
    ocr: bool = False


@dataclass(frozen=True)
class LaidOutPage:
    """A page's blocks in reading order, its most prominent text and whether OCR read it."""

    blocks: list[Block]
    leads: tuple[str, ...]  # the largest texts on the page, lines joined (a cover's title)
    ocr: bool = False
    scanned: bool = False


def _layout_chars(container: LTContainer) -> Iterator[LTChar]:
    for obj in container:
        if isinstance(obj, LTChar):
            yield obj
        elif isinstance(obj, LTContainer):
            yield from _layout_chars(obj)


def read_layout(page: PdfPage) -> PageLayout:
    """Lines outside data tables (pdfminer's lines and boxes) and the tables, for one page."""
    layout = page.layout
    chars = page.chars
    ltchars = list(_layout_chars(layout))
    if len(ltchars) != len(chars):  # pdfplumber lists the same characters in the same order
        ltchars, chars = [], []
    kept = {id(c) for c in (dedupe_chars(chars, SHADOW_TOLERANCE) if _overdrawn(chars) else chars)}
    clean = page.filter(lambda obj: obj.get("object_type") != "char" or id(obj) in kept)
    tables = []
    for table in clean.find_tables():
        if data := pdf_table(table):
            block = Block("table", header=data.header, rows=data.rows, row_headers=data.row_headers)
            tables.append((table.bbox, block))
    flow = [  # spaces left out: pdfminer re-inserts them where characters are apart
        lt
        for lt, char in zip(ltchars, chars, strict=True)
        if id(char) in kept
        and char["text"].strip()
        and not any(_inside(char, box) for box, _ in tables)
    ]
    lines = _lines(flow, layout.bbox, page.height)
    scanned = not lines and bool(page.images)
    return PageLayout(lines, tables, scanned=scanned)


def _overdrawn(chars: list[dict]) -> bool:
    """Some character is drawn twice near one place (pdfplumber's dedupe is slow: ask first)."""
    seen: set[tuple[str, int, int]] = set()
    for char in chars:
        if not char["text"].strip():
            continue
        x, y = int(char["x0"] // SHADOW_TOLERANCE), int(char["top"] // SHADOW_TOLERANCE)
        near = ((char["text"], x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1))
        if any(key in seen for key in near):
            return True
        seen.add((char["text"], x, y))
    return False


def _inside(obj: dict, box: tuple[float, float, float, float]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _lines(chars: list[LTChar], bbox: tuple[float, ...], height: float) -> list[Line]:
    """pdfminer's text lines of these characters, box by box in reading order."""
    if not chars:
        return []
    container = LTPage(1, bbox)
    found = [line for line in container.group_objects(LAYOUT, chars) if not line.is_empty()]
    boxes = list(container.group_textlines(LAYOUT, join_rows(_without_line_numbers(found))))
    for box in boxes:
        box.analyze(LAYOUT)
    margin = height * MARGIN_FRACTION
    rects = [(b.x0, bbox[3] - b.y1, b.x1, bbox[3] - b.y0) for b in boxes]
    lines = []
    for number, index in enumerate(reading_order(rects)):
        for raw, size, x0, y0, x1, y1 in _box_lines(boxes[index]):
            text = close_letter_spacing(normalize(raw))
            top, bottom = bbox[3] - y1, bbox[3] - y0
            in_margin = top < margin or bottom > height - margin
            if text:
                lines.append(Line(raw, text, size, x0, x1, top, bottom, number, in_margin))
    return lines


def join_rows(lines: list[LTTextLine]) -> list[LTTextLine]:
    """Join a short piece to the next piece on its row: widely letter-spaced labels
    (「団　体　名　：」) and a marker set apart from its heading (「（１）　給水人口の予測」)."""
    rows: list[LTTextLine] = []
    for line in sorted(lines, key=lambda line: line.x0):
        left = next((r for r in reversed(rows) if _same_row(r, line)), None)
        if left is None or not _short_piece(left, line):
            rows.append(line)
            continue
        for obj in line:
            if isinstance(obj, LTChar):
                left.add(obj)
    return rows


def _same_row(left: LTTextLine, right: LTTextLine) -> bool:
    return (
        isinstance(left, LTTextLineHorizontal)
        and isinstance(right, LTTextLineHorizontal)
        and abs(left.height - right.height) <= 2 * SAME_SIZE
        and left.voverlap(right) >= min(left.height, right.height) / 2
        and 0 <= right.x0 - left.x1 < _row_gap(left, right) * left.height
    )


def _row_gap(left: LTTextLine, right: LTTextLine) -> float:
    """Letter-spaced labels (a last piece of one character) may stand further apart, and two
    short pieces side by side (a form's 「平成」 and 「30」) further still."""
    last = left.get_text().strip().split(" ")[-1]
    if max(len(last), len(right.get_text().strip().split(" ")[0])) <= SHORT_PIECE:
        return SHORT_PIECES_GAP
    return WIDE_ROW_GAP if len(last) == 1 else ROW_GAP


def _bare(line: LTTextLine) -> str:
    return line.get_text().strip().replace(" ", "")


def _short_piece(left: LTTextLine, right: LTTextLine) -> bool:
    """One side has at most three characters or the left one ends in a colon (「名　：」);
    a bare number left of a longer piece is a margin line number, not part of the line."""
    left_text, right_text = _bare(left), _bare(right)
    if _LINE_NUMBER.match(left_text) and len(right_text) > SHORT_PIECE:
        return False
    return min(len(left_text), len(right_text)) <= SHORT_PIECE or left_text.endswith(("：", ":"))


def _box_lines(box: LTTextBox) -> list[tuple[str, float, float, float, float, float]]:
    """(text, size, x0, y0, x1, y1) per line; a stack of one-character lines is vertical
    writing (a side label such as 調査目的) and becomes one line."""
    lines = []
    for line in box:
        sizes = [c.size for c in line if isinstance(c, LTChar) and c.get_text().strip()]
        if isinstance(line, LTTextLine) and sizes:
            lines.append((line.get_text().strip(), median(sizes), *line.bbox))
    if len(lines) > 1 and all(len(t) == 1 and not t.isdigit() for t, *_ in lines):
        return [("".join(t for t, *_ in lines), lines[0][1], *box.bbox)]
    return lines


Rect = tuple[float, float, float, float]  # x0, top, x1, bottom


def reading_order(rects: list[Rect]) -> list[int]:
    """Indices of the boxes in reading order: cut the page into bands where no box crosses a
    horizontal gap, a band into columns at vertical gaps, recursively (XY-cut)."""
    return _xy_cut(list(range(len(rects))), rects)


def _xy_cut(items: list[int], rects: list[Rect]) -> list[int]:
    if len(items) <= 1:
        return items
    bands = _split(items, rects, 1, 3)
    columns = _split(items, rects, 0, 2)
    if len(columns) > 1 and len(bands) > 1:
        # Rows of label | text cut into bands; columns of text, cut where both happen to have
        # a gap, show a band across the columns and then a band on one side only.
        side = {i: n for n, column in enumerate(columns) for i in column}
        spread = [len({side[i] for i in band}) for band in bands]
        groups = columns if max(spread) > 1 and min(spread) == 1 else bands
    else:
        groups = bands if len(bands) > 1 else columns
    if len(groups) > 1:
        return [i for group in groups for i in _xy_cut(group, rects)]
    rows: list[list[int]] = []
    for i in sorted(items, key=lambda i: rects[i][1]):
        if rows and rects[i][1] - rects[rows[-1][0]][1] < ROW_TOLERANCE:
            rows[-1].append(i)
        else:
            rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda i: rects[i][0])]


def _split(items: list[int], rects: list[Rect], start: int, end: int) -> list[list[int]]:
    """Groups of boxes separated by gaps along one axis (start/end: the rect's coordinates)."""
    groups: list[list[int]] = []
    reach = float("-inf")
    for i in sorted(items, key=lambda i: rects[i][start]):
        if rects[i][start] >= reach - CUT_TOLERANCE:
            groups.append([])
        groups[-1].append(i)
        reach = max(reach, rects[i][end])
    return groups


def _without_line_numbers(lines: list[LTTextLine]) -> list[LTTextLine]:
    """Remove a margin column of bare line numbers (1, 2, 3 … beside the text), before the
    lines are grouped and ordered (a column of them would otherwise split the page)."""
    numbers = [line for line in lines if _LINE_NUMBER.match(line.get_text().strip())]
    text = [line for line in lines if not _LINE_NUMBER.match(line.get_text().strip())]
    if len(numbers) < LINE_NUMBERS or not text:
        return lines
    left, right = min(line.x0 for line in text), max(line.x1 for line in text)
    side = {id(n) for n in numbers if n.x1 <= left + 1 or n.x0 >= right - 1}
    return lines if len(side) < LINE_NUMBERS else [line for line in lines if id(line) not in side]


def ocr_layout(lines: list[OcrLine], height: float) -> PageLayout:
    """OCR lines as a page layout (each OCR paragraph one box)."""
    margin = height * MARGIN_FRACTION
    return PageLayout(
        [
            Line(
                o.text,
                text,
                o.bottom - o.top,
                o.x0,
                o.x1,
                o.top,
                o.bottom,
                o.paragraph,
                o.top < margin or o.bottom > height - margin,
            )
            for o in lines
            if (text := close_letter_spacing(normalize(o.text)))
        ],
        ocr=True,
    )


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


def drop_contents(lines: list[Line]) -> list[Line]:
    """Remove contents lines: dot leaders before a page number, and a 目次 heading with the
    lines around it that have no full stop (its entries, the page's title above it)."""
    kept: list[Line] = []
    in_contents = False
    for line in lines:
        bare = line.text.replace(" ", "").replace("\u3000", "")
        if _CONTENTS.match(bare):
            in_contents = True
            kept = [k for k in kept if "。" in k.text]  # the page's own title lines above it
            continue
        if in_contents and "。" in line.text:
            in_contents = False
        if not (in_contents or _LEADER.search(line.text)):
            kept.append(line)
    return kept


def _box_rights(lines: list[Line]) -> dict[int, float]:
    rights: dict[int, float] = {}
    for line in lines:
        rights[line.box] = max(rights.get(line.box, line.x1), line.x1)
    return rights


def _line_gap(lines: list[Line]) -> float:
    """The page's usual gap below a line that wraps (one reaching the text's right edge) to the
    next of its size (median of at least ``MIN_WRAPS``; 0 on a page with fewer)."""
    right = max((line.x1 for line in lines), default=0.0)
    gaps = [
        line.top - previous.bottom
        for previous, line in itertools.pairwise(lines)
        if abs(line.size - previous.size) <= SAME_SIZE
        and line.top > previous.bottom
        and previous.x1 >= right - FULL_LINE * previous.size
    ]
    return median(gaps) if len(gaps) >= MIN_WRAPS else 0.0


def _next_item(opening: Line, line: Line) -> bool:
    """``line`` opens with an item number of the same form as the paragraph's first line: the
    next item of a list whose items are short lines (「５：中心的に関与」 then 「４：…」)."""
    first, this = _ITEM_OPENING.match(opening.text), _ITEM_OPENING.match(line.text)
    return bool(first and this and first.groups() == this.groups())


def _continues(
    opening: Line,
    previous: Line,
    line: Line,
    rights: dict[int, float],
    line_gap: float,
    body: float,
) -> bool:
    """``line`` carries on the paragraph that ``opening`` starts and ``previous`` ends."""
    if abs(line.size - previous.size) > SAME_SIZE or starts_block(line.raw):
        return False
    if _next_item(opening, line):
        return False
    if is_value(previous.text) and is_value(line.text):  # a chart's axis, a column of figures
        return False
    gap = line.top - previous.bottom  # lines of one box are close enough by pdfminer's measure
    # across boxes: closer than a paragraph gap or the page's usual line gap (on a double-spaced
    # page every line is a box of its own: 28 sentences cut at a line end in one of 7 real PDFs)
    across = max(PARAGRAPH_GAP * line.size + 1, LINE_GAP_SLACK * line_gap)
    limit = float("inf") if line.box == previous.box else across
    if not -line.size / 2 < gap < limit:
        return False
    if previous.size >= body + HEADING_DELTA:  # a heading wrapped over lines (a title)
        return previous.box == line.box
    if _SENTENCE_END.search(previous.text) or previous.x1 < line.x0:
        return _OPEN_END.search(previous.text) is not None
    right = max(rights[previous.box], rights[line.box])
    full = previous.x1 >= right - FULL_LINE * previous.size
    overlaps = line.x0 < rights[previous.box] and line.x1 > previous.x0 - previous.size
    return (full or _OPEN_END.search(previous.text) is not None) and overlaps


def _paragraphs(lines: list[Line], body: float) -> list[list[Line]]:
    rights, line_gap = _box_rights(lines), _line_gap(lines)
    groups: list[list[Line]] = []
    for line in lines:
        if groups and _continues(groups[-1][0], groups[-1][-1], line, rights, line_gap, body):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _body_size(lines: list[Line]) -> float:
    weights = Counter[float]()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def lead_texts(lines: list[Line]) -> tuple[str, ...]:
    """The page's largest texts in reading order: each line at the largest size with the lines
    of similar size directly below it, joined (a title printed over two or three lines)."""
    lines = [line for line in lines if not is_page_number(line.text)]
    largest = max((line.size for line in lines), default=0.0)
    groups: list[list[Line]] = []
    extending = False  # the last group may take the next line
    for line in lines:
        if (
            extending
            and line.size >= largest * TITLE_SIZE_SHARE
            and 0 <= line.top - groups[-1][-1].bottom < TITLE_GAP * groups[-1][-1].size
            and not starts_block(line.raw)
            and not _DATE.match(line.text)
            and numbering(line.text) is None  # 「1. 目的」 opens a section (no PDF title moved)
        ):
            groups[-1].append(line)
            continue
        extending = line.size >= largest - SAME_SIZE
        if extending:
            groups.append([line])
    return tuple(join_lines(line.text for line in group) for group in groups)


def _side_label(group: list[Line], following: Line) -> bool:
    """A short line printed left of the next paragraph's first line (「調査目的」) labels it; one
    beside another heading (titles of charts side by side) is that heading's sibling."""
    line = group[0]
    return (
        len(group) == 1
        and heading_marker(following.text) is None
        and len(line.text) <= SIDE_LABEL
        and not _SENTENCE_END.search(line.text)
        and following.x0 > line.x1
        and following.top < line.bottom
        and following.bottom > line.top
    )


def _titles(line: Line, box: Rect) -> bool:
    """The line is printed right above the table (within three of its font sizes)."""
    return _across(line, box) and 0 <= box[1] - line.bottom < 3 * line.size


def _across(line: Line, box: Rect) -> bool:
    return line.x0 < box[2] and line.x1 > box[0]


def _caption(box: Rect, placed: list[tuple[Line, Block]], at: int) -> Block | None:
    """The heading printed above a table when reading order puts another one before it (a row
    of charts, each titled above its own table): the nearest heading above that overlaps the
    table across; None when it is the heading reading order already gives."""
    over = [
        (line, block)
        for line, block in placed
        if block.kind == "heading" and line.bottom <= box[1] + ROW_TOLERANCE and _across(line, box)
    ]
    if not over:
        return None
    nearest = max(over, key=lambda item: item[0].bottom)[1]
    before = [block for _, block in placed[:at] if block.kind == "heading"]
    return None if before and before[-1] is nearest else nearest


@dataclass(frozen=True)
class Paragraphs:
    """A page's lines grouped into paragraphs, their texts, and which are printed large enough
    to be headings."""

    groups: list[list[Line]]
    texts: list[str]
    large: list[bool]
    labels: frozenset[int] = frozenset()  # a chart's labels: neither headings nor side labels

    def heading_sizes(self) -> set[float]:
        """The font sizes of the page's large paragraphs, to the half point (how headings of one
        rank compare)."""
        pairs = zip(self.groups, self.large, strict=True)
        return {heading_size(group[0].size) for group, big in pairs if big}


def heading_size(size: float) -> float:
    return round(size * 2) / 2


def page_paragraphs(layout: PageLayout) -> Paragraphs:
    """The page's paragraphs, measured against its body text size."""
    body = _body_size(layout.lines)
    groups = _paragraphs(layout.lines, body)
    texts = [join_lines(line.text for line in group) for group in groups]
    large = [
        g[0].size >= body + HEADING_DELTA and has_letter(t)
        for g, t in zip(groups, texts, strict=True)
    ]
    labels = _label_row(groups, large, [box for box, _ in layout.tables])
    large = [big and i not in labels for i, big in enumerate(large)]
    return Paragraphs(groups, texts, large, labels)


def _label_row(groups: list[list[Line]], large: list[bool], tables: list[Rect]) -> frozenset[int]:
    """Large one-line paragraphs printed side by side, at least :data:`LABEL_ROW` to a row: the
    categories or legend of a chart (「音威子府村」「類似団体平均」「全国町村平均」 under its
    bars), not headings. Numbered ones (①有収率) and ones right above a table are the titles
    of charts side by side."""
    single = [
        i
        for i, group in enumerate(groups)
        if large[i]
        and len(group) == 1
        and heading_marker(group[0].text) is None
        and not any(_titles(group[0], box) for box in tables)
    ]
    labels: set[int] = set()
    for i in single:
        line = groups[i][0]
        row = [j for j in single if abs(groups[j][0].top - line.top) < ROW_TOLERANCE]
        if len(row) >= LABEL_ROW:
            labels.add(i)
    return frozenset(labels)


def page_blocks(
    layout: PageLayout, paragraphs: Paragraphs, heading_sizes: list[float]
) -> list[Block]:
    """Headings (level by the rank of their size among ``heading_sizes``, the document's, largest
    first), paragraphs, items and tables in order."""
    groups, texts, large = paragraphs.groups, paragraphs.texts, paragraphs.large
    placed: list[tuple[Line, Block]] = []
    for i, (group, text) in enumerate(zip(groups, texts, strict=True)):
        following = groups[i + 1] if i + 1 < len(groups) else None
        if large[i]:
            level = heading_sizes.index(heading_size(group[0].size)) + 1
            block: Block | None = Block("heading", text, level=level)
        elif (
            following
            and has_letter(text)
            and i not in paragraphs.labels
            and _side_label(group, following[0])
        ):
            block = Block("heading", text, marker=LABEL)
        else:
            block = body_block(text)
        if block:
            placed.append((group[0], block))
    keyed = [((i, 1, 0.0), block) for i, (_, block) in enumerate(placed)]
    for box, table in layout.tables:
        at = next((i for i, (line, _) in enumerate(placed) if line.top > box[1]), len(placed))
        keyed.append(((at, 0, box[1]), replace(table, caption=_caption(box, placed, at))))
    return [block for _, block in sorted(keyed, key=lambda item: item[0])]


def pdf_pages(pdf: PDF, ocr: OcrReader | None = None) -> list[LaidOutPage]:
    """Every page of an open PDF laid out; scanned pages are read by ``ocr`` when given."""
    layouts = [read_layout(page) for page in pdf.pages]
    if ocr:
        for index, layout in enumerate(layouts):
            if layout.scanned:
                layouts[index] = ocr_layout(ocr(index), pdf.pages[index].height)
    drop_running_lines(layouts)
    for layout in layouts:
        layout.lines = drop_contents(layout.lines)
    paragraphs = [page_paragraphs(layout) for layout in layouts]
    # One size is one level on every page: a section opened at 14 pt on one page is closed by
    # the next 14 pt heading on another, whatever else that page prints large.
    sizes = sorted(set().union(*(p.heading_sizes() for p in paragraphs)), reverse=True)
    return [
        LaidOutPage(
            page_blocks(layout, page, sizes), lead_texts(layout.lines), layout.ocr, layout.scanned
        )
        for layout, page in zip(layouts, paragraphs, strict=True)
    ]
