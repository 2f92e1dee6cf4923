"""Plain text and Markdown → pages of ``Block``s (the same structure the PDF reader produces)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token

from corpus.japanese import normalize
from corpus.sections import Block, body_block
from corpus.tables import FIELD_SEPARATOR, clean_cell, rectangular
from corpus.textrepair import is_page_number, join_lines, starts_block

_MARKDOWN = MarkdownIt("commonmark").enable("table")
_MAX_TITLE_CHARS = 60


def paragraphs(lines: Iterable[str]) -> Iterator[str]:
    """Repaired paragraphs: split on blank lines and before bullet / section-marker lines."""
    current: list[str] = []
    for raw in lines:
        line = normalize(raw)
        if current and (not line or starts_block(raw.lstrip())):
            yield join_lines(current)
            current = []
        if line:
            current.append(line)
    if current:
        yield join_lines(current)


def text_pages(text: str) -> list[list[Block]]:
    """A .txt file: one page per form feed, bare page-number lines dropped.

    A short first line becomes the page title.
    """
    pages = []
    for chunk in text.split("\f"):
        lines = [line for line in chunk.splitlines() if not is_page_number(normalize(line))]
        blocks = [block for paragraph in paragraphs(lines) if (block := body_block(paragraph))]
        first_line = next((normalize(line) for line in lines if normalize(line)), "")
        if blocks and blocks[0] == Block("paragraph", first_line) and _reads_as_title(first_line):
            blocks[0] = Block("heading", first_line, level=1)
        pages.append(blocks)
    return [blocks for blocks in pages if blocks]


def _reads_as_title(text: str) -> bool:
    return len(text) <= _MAX_TITLE_CHARS and not any(p in text for p in "。、")


def markdown_pages(text: str) -> list[list[Block]]:
    """A Markdown file: one page per level-1 heading; lists, paragraphs and pipe tables kept."""
    pages: list[list[Block]] = [[]]
    rows: list[list[str]] = []
    list_depth = 0
    tokens = _MARKDOWN.parse(text)
    for previous, token in zip([None, *tokens], tokens, strict=False):
        if token.type == "heading_open" and token.tag == "h1" and pages[-1]:
            pages.append([])
        list_depth += {"list_item_open": 1, "list_item_close": -1}.get(token.type, 0)
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "table_close":
            pages[-1].extend(_table_blocks(rows))
            rows = []
        elif token.type == "inline" and previous is not None:
            pages[-1].extend(_inline_blocks(previous, token, rows, list_depth > 0))
    return [blocks for blocks in pages if blocks]


def _table_blocks(rows: list[list[str]]) -> list[Block]:
    """A pipe table: its first row is the header; a header alone is a line of text."""
    table = rectangular([[clean_cell(cell) for cell in row] for row in rows])
    if len(table) == 1:
        return [Block("paragraph", FIELD_SEPARATOR.join(c for c in table[0] if c))]
    return [Block("table", header=table[0], rows=table[1:])] if table else []


def _inline_blocks(
    opener: Token, inline: Token, rows: list[list[str]], in_list: bool
) -> list[Block]:
    lines = _inline_text(inline).split("\n")
    if opener.type == "heading_open":
        return [Block("heading", _joined(lines), level=int(opener.tag[1]))]
    if opener.type in ("th_open", "td_open"):
        rows[-1].append(_joined(lines))
        return []
    return [block for paragraph in paragraphs(lines) if (block := body_block(paragraph, in_list))]


def _joined(lines: list[str]) -> str:
    return join_lines(normalize(line) for line in lines)


def _inline_text(inline: Token) -> str:
    """The visible text of an inline token (emphasis markers dropped, line breaks kept)."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)
