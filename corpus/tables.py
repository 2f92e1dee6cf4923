"""Table rows as records: which column names the owner (subject) and which holds the content."""

from __future__ import annotations

from collections.abc import Sequence

SUBJECT_HINTS = ("担当", "省庁", "府省", "主体", "自治体", "地域", "所管", "実施機関")
MEASURE_HINTS = ("施策", "取組", "内容", "概要", "事業", "対策")
CELL_SEPARATOR = "："


def rectangular(rows: Sequence[Sequence[str | None]]) -> tuple[tuple[str, ...], ...]:
    """Rows padded to the widest row, None cells as "", all-empty rows dropped."""
    width = max((len(row) for row in rows), default=0)
    padded = (tuple((cell or "") for cell in row) + ("",) * (width - len(row)) for row in rows)
    return tuple(row for row in padded if any(row))


def subject_column(header: Sequence[str]) -> int:
    """Index of the column naming who is responsible (担当省庁, 自治体, 地域 ...), else 0."""
    return next((i for i, h in enumerate(header) if any(k in h for k in SUBJECT_HINTS)), 0)


def measure_column(header: Sequence[str], rows: Sequence[Sequence[str]], subject: int) -> int:
    """Index of the main content column: a 施策/取組-like header, else the longest other column."""
    others = [i for i in range(len(header)) if i != subject] or [subject]
    hinted = [i for i in others if any(k in header[i] for k in MEASURE_HINTS)]
    if hinted:
        return hinted[0]
    return max(others, key=lambda i: sum(len(row[i]) for row in rows))


def row_line(cells: Sequence[str]) -> str:
    """A table row as one line of page text: its non-empty cells joined with "："."""
    return CELL_SEPARATOR.join(cell for cell in cells if cell)
