"""Tables as data: flattened column headers, row labels, cleaned cells, and the row's text line.

A PDF table comes from pdfplumber's ruled-cell grid: the header rows are the top row plus every
row still covered by one of its cells (a vertically merged 「区分」), a header cell spanning
columns names each of them, and a header is only taken when it holds no value (no bare number;
a year such as 「30年度」 names a column). Below it, a row of names where the rows around it
hold figures heads the rows that follow; a table without a header made of name–value column
pairs (a form) names each value by the cell on its left. Boxed text that pdfplumber also
reports as tables (one column, one row, cells of long sentences) is not a table and stays in
the text flow.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pdfplumber.table import Table as PdfTable

from corpus.japanese import normalize
from corpus.textrepair import close_letter_spacing, join_lines

FIELD_SEPARATOR = "｜"  # between the label and each "header: cell"
HEADER_SEPARATOR = ": "
HEADER_LEVELS = " / "  # multi-row headers, top-down: 「給与費 / 給料」
LONG_CELL = 40  # characters: a cell this long (or with a full stop) reads as running text

_NUMBER = re.compile(r"^[+\-±−－▲△]?[0-9０-９][0-9０-９,，.．]*$|^[－―\-−‐]$")
_VALUE = re.compile(r"^[+\-±−－▲△]?[0-9０-９][0-9０-９,，.．]*\s*\S{0,3}$")
_DASHES = ("－", "―", "-", "−", "‐")
_DAY = re.compile(r"[0-9０-９元]+年[0-9０-９]+月[0-9０-９]+日$")
_UNIT = re.compile(r"^[^\s0-9０-９。、]{1,4}$")
_YEAR = re.compile(r"^[0-9０-９]{1,4}年度?$")


@dataclass(frozen=True)
class TableData:
    """A table's flattened header (one per column, "" where none), its data rows and each
    row's own header (the table's, or the names a sub-header row or a form gives)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_headers: tuple[tuple[str, ...], ...]


def rectangular(rows: Sequence[Sequence[str | None]]) -> tuple[tuple[str, ...], ...]:
    """Rows padded to the widest row, None cells as "", all-empty rows dropped."""
    width = max((len(row) for row in rows), default=0)
    padded = (tuple((cell or "") for cell in row) + ("",) * (width - len(row)) for row in rows)
    return tuple(row for row in padded if any(row))


def is_value(text: str) -> bool:
    """A number with at most a short unit (「636」「24.6％」「2,480 人」), a dash for none, or
    a date to the day (「昭和45年4月1日」)."""
    return bool(_VALUE.match(text) or _NUMBER.match(text) or _DAY.search(text))


def holds_value(text: str) -> bool:
    """A value, not a year naming a column (「30年度」「2019年」)."""
    return is_value(text) and not _YEAR.match(text)


def is_figure(text: str) -> bool:
    """A value that is not a dash for none."""
    return holds_value(text) and text not in _DASHES


def clean_cell(raw: str) -> str:
    """One cell's text: lines normalised and joined, letter spacing closed, a unit printed
    above or before its number put after it (「千円\\n2,050,134」 → 「2,050,134千円」)."""
    lines = [close_letter_spacing(normalize(line)) for line in raw.split("\n")]
    lines = [line for line in lines if line]
    pair = lines if len(lines) == 2 else lines[0].rsplit(" ", 1) if len(lines) == 1 else []
    if len(pair) == 2 and _UNIT.match(pair[0]) and _NUMBER.match(pair[1]):
        return pair[1] if pair[1] in _DASHES else pair[1] + pair[0]
    return join_lines(lines)


def label_column(header: Sequence[str], rows: Sequence[Sequence[str]]) -> int | None:
    """0 when the first column labels the rows (text, not values), else None."""
    if not header or len(header) < 2:
        return None
    firsts = [row[0] for row in rows if row[0]]
    return 0 if firsts and sum(not is_value(c) for c in firsts) * 2 > len(firsts) else None


def row_line(header: Sequence[str], cells: Sequence[str], label: int | None) -> str:
    """``label｜header: cell｜…``: empty cells skipped, a cell without header written alone."""
    parts = [cells[label]] if label is not None and cells[label] else []
    for i, cell in enumerate(cells):
        if i == label or not cell:
            continue
        name = header[i] if i < len(header) else ""
        parts.append(f"{name}{HEADER_SEPARATOR}{cell}" if name else cell)
    return FIELD_SEPARATOR.join(parts)


def continue_labels(
    rows: Sequence[tuple[str, ...]], label: int | None
) -> tuple[tuple[str, ...], ...]:
    """An empty label cell under a labelled row continues that label (a merged row label)."""
    if label is None:
        return tuple(rows)
    out: list[tuple[str, ...]] = []
    for row in rows:
        if not row[label] and out and any(row):
            row = (*row[:label], out[-1][label], *row[label + 1 :])
        out.append(row)
    return tuple(out)


def names_columns(top: Sequence[Sequence[str]], below: Sequence[Sequence[str]]) -> bool:
    """Whether the top rows read as column names: no value, no running text, and no name
    repeated as a cell of its own column below (「なし」 over 「なし」 is a data row)."""
    cells = [(c, cell) for row in top for c, cell in enumerate(row) if cell]
    if any(holds_value(cell) or len(cell) >= LONG_CELL or "。" in cell for _, cell in cells):
        return False
    return not any(c > 0 and any(row[c] == cell for row in below) for c, cell in cells)


def sub_headers(
    header: tuple[str, ...], rows: Sequence[tuple[str, ...]]
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Data rows and each one's header: a row of names (no value) over a row holding figures
    (not dashes) under at least two of them, and under at least half, heads the rows below it
    in those columns (「契約件数(件)｜区域面積(km2)」 above 「1,912｜4.75」) and is no
    data row."""
    width = len(header)
    current, kept, headers = header, [], []
    for i, row in enumerate(rows):
        named = [c for c in range(width) if row[c]]
        below = rows[i + 1] if i + 1 < len(rows) else None
        valued = [c for c in named if below is not None and is_figure(below[c])]
        if len(valued) >= 2 and len(valued) * 2 >= len(named) and not any(map(holds_value, row)):
            current = tuple(row[c] if c in named else current[c] for c in range(width))
            continue
        kept.append(row)
        headers.append(current)
    return kept, headers


def form_fields(
    rows: Sequence[tuple[str, ...]],
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]] | None:
    """A header-less table of name–value column pairs (a form: 「供用開始年月日｜昭和45年4月1日｜
    計画給水人口｜1070 人」) as rows of named cells, or None when it is not one: an even width of
    at least four, and every filled value cell has a name (text, not a figure) on its left."""
    width = len(rows[0]) if rows else 0
    if width < 4 or width % 2:
        return None
    for row in rows:
        for name, value in zip(row[::2], row[1::2], strict=True):
            if value and (not name or holds_value(name)):
                return None
    headers, cells = [], []
    for row in rows:
        headers.append(tuple(row[i - 1] if i % 2 else "" for i in range(width)))
        cells.append(tuple("" if i % 2 == 0 and row[i + 1] else row[i] for i in range(width)))
    return headers, cells


def reads_as_text(cells: Sequence[Sequence[str]]) -> bool:
    """Boxed text, not a table: one column or one row used, or mostly long sentences."""
    filled = [cell for row in cells for cell in row if cell]
    used_rows = sum(any(row) for row in cells)
    used_columns = sum(any(row[i] for row in cells) for i in range(len(cells[0]))) if cells else 0
    if not filled or used_rows < 2 or used_columns < 2:
        return True
    long = sum(len(cell) >= LONG_CELL or "。" in cell for cell in filled)
    return long * 2 > len(filled)


def _cell_lines(raw: str) -> list[str]:
    """A cell's printed lines; a stack of single characters (vertical writing: 給\n料) is one."""
    lines = [line for line in (normalize(t).strip() for t in raw.split("\n")) if line]
    return ["".join(lines)] if len(lines) > 1 and all(len(t) == 1 for t in lines) else lines


def unstacked(raw: Sequence[str]) -> list[list[str]] | None:
    """A row printed as several rows without rules between them, one line each (委員長 / 委員
    beside 120,000円 / 98,000円), as that many cleaned rows; a cell of one line stands in each.
    Only when every cell has one line or the same number, some cell holds names and another
    only values; None otherwise."""
    lines = [_cell_lines(cell) for cell in raw]
    depth = max((len(found) for found in lines), default=0)
    stacked = [found for found in lines if len(found) == depth]
    if (
        depth < 2
        or any(len(found) not in (0, 1, depth) for found in lines)
        or not any(all(is_value(t) for t in found) for found in stacked)
        or not any(not any(is_value(t) for t in found) for found in stacked)
    ):
        return None
    return [
        [
            clean_cell(found[i] if len(found) == depth else cell)
            for cell, found in zip(raw, lines, strict=True)
        ]
        for i in range(depth)
    ]


def pdf_table(table: PdfTable) -> TableData | None:
    """A pdfplumber table as header + rows, or None when it is boxed text rather than data."""
    raw = table.extract()
    if not raw or not raw[0]:
        return None
    grid = _Grid(table, raw)
    cells = [[clean_cell(text) for text in row] for row in grid.texts]
    if reads_as_text(cells):
        return None
    depth = grid.header_depth()
    if depth >= len(cells) or not names_columns(cells[:depth], cells[depth:]):
        depth = 0
    header = tuple(grid.flat_header(cells, depth)) if depth else ("",) * len(cells[0])
    if len(header) > 2 and len(set(header[1:])) == 1:  # one cell across the row: not a header
        depth, header = 0, ("",) * len(cells[0])
    data = zip(grid.texts[depth:], cells[depth:], strict=True)
    rows = rectangular([row for raw, clean in data for row in unstacked(raw) or [clean]])
    if not rows:
        return None
    label = label_column(header, rows)
    rows = continue_labels(rows, label)
    if any(header):
        kept, headers = sub_headers(header, rows)
        return TableData(header, tuple(kept), tuple(headers))
    if form := form_fields(rows):
        headers, cells = form
        return TableData(header, tuple(cells), tuple(headers))
    return TableData(header, rows, (header,) * len(rows))


class _Grid:
    """pdfplumber's cell grid: columns at each distinct cell x0, rows at each distinct top."""

    def __init__(self, table: PdfTable, raw: list[list[str | None]]) -> None:
        self.xs = sorted({cell[0] for cell in table.cells})
        self.tops = sorted({cell[1] for cell in table.cells})
        self.cells = table.cells
        self.origin_of: dict[tuple[float, ...], tuple[int, int]] = {}
        for r, row in enumerate(table.rows):
            for c, bbox in enumerate(row.cells):
                if bbox is not None:
                    self.origin_of[tuple(bbox)] = (r, c)
        width = len(self.xs)
        self.texts = [[cell or "" for cell in row] + [""] * (width - len(row)) for row in raw]

    def origin(self, r: int, c: int) -> tuple[int, int]:
        """The (row, column) where the cell covering grid position (r, c) starts."""
        x, top = self.xs[c] + 0.5, self.tops[r] + 0.5
        for bbox in self.cells:
            if bbox[0] <= x < bbox[2] and bbox[1] <= top < bbox[3]:
                return self.origin_of.get(tuple(bbox), (r, c))
        return r, c

    def header_depth(self) -> int:
        """Rows 0..n-1 where n is one past the last row a first-row cell still covers."""
        depth = 1
        while depth < len(self.tops) and any(
            self.origin(depth, c)[0] < depth for c in range(len(self.xs))
        ):
            depth += 1
        return depth

    def flat_header(self, cells: list[list[str]], depth: int) -> list[str]:
        """Each column's header cells top-down (spanning cells repeated), joined with " / "."""
        header = []
        for c in range(len(self.xs)):
            names: list[str] = []
            for r in range(depth):
                orow, ocol = self.origin(r, c)
                text = cells[orow][ocol] if orow < len(cells) else ""
                if text and (not names or names[-1] != text):
                    names.append(text)
            header.append(HEADER_LEVELS.join(names))
        return header
