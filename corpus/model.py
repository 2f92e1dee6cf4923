"""The corpus stage's output: a document as pages, sentences with section paths, and table rows.

Every offset is a character offset into ``Page.text`` (the cleaned page text), so a quote taken
from ``page.text[start:end]`` can always be verified later as an exact substring of that page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Page:
    """One page of cleaned text (headers, footers and page numbers removed)."""

    number: int  # 1-based
    title: str  # the slide/page title ("" when the page has none)
    text: str
    ocr: bool = False  # the text was read from the page image by OCR


@dataclass(frozen=True)
class Sentence:
    """One sentence (or heading / table row line) with its place in the document."""

    page: int
    section: tuple[str, ...]  # e.g. ("デジタル人材育成に向けた各省庁の取組", "経済産業省")
    start: int  # offsets into Page.text
    end: int
    text: str
    kind: str = "text"  # "text" | "heading" | "table_row"

    @property
    def section_path(self) -> str:
        return " > ".join(self.section)


@dataclass(frozen=True)
class TableRecord:
    """One data row of a table with the column header of every cell.

    Its line in ``Page.text`` reads ``label｜header: cell｜header: cell…`` (the label cell not
    repeated, empty cells skipped, a cell without header written alone).
    """

    doc_id: str
    page: int
    table: int  # index of the table on its page, 0-based
    row: int  # index of the data row, 0-based
    header: tuple[str, ...]  # one flattened header per column ("給与費 / 給料"), "" where none
    cells: tuple[str, ...]  # the row's cells, cleaned ("636人"), aligned with header
    label: str  # the row's label (its first column, continued from above when merged)
    start: int  # offsets of the row's line in Page.text
    end: int


@dataclass
class ExtractedDocument:
    """A document after extraction: what the index stage consumes."""

    doc_id: str
    title: str
    source: str  # the ingested file's name
    content_hash: str  # sha256 of the file bytes
    pages: list[Page]
    sentences: list[Sentence]
    tables: list[TableRecord] = field(default_factory=list)
    issuer: str = ""
    date: str = ""
    attribution: str = ""

    def page(self, number: int) -> Page:
        return self.pages[number - 1]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExtractedDocument:
        return cls(
            **{k: v for k, v in data.items() if k not in {"pages", "sentences", "tables"}},
            pages=[Page(**p) for p in data["pages"]],
            sentences=[
                Sentence(**{**s, "section": tuple(s["section"])}) for s in data["sentences"]
            ],
            tables=[_table_record(t) for t in data["tables"]],
        )


def _table_record(data: dict[str, Any]) -> TableRecord:
    """A stored row; one stored before rows had labels takes its old subject as the label."""
    known = {f.name for f in fields(TableRecord)}
    values = {"label": data.get("subject", ""), **{k: v for k, v in data.items() if k in known}}
    return TableRecord(**{**values, "header": tuple(data["header"]), "cells": tuple(data["cells"])})


class ExtractionError(Exception):
    """A file that cannot be turned into text; ``str(err)`` is the one-line reason."""
