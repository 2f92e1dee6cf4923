"""Page structure → cleaned page text, sentences with section paths, and table records.

Both the PDF and the plain-text readers produce a list of ``Block``s per page; ``assemble_page``
turns them into the shared model types so every input format gets the same section logic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from corpus.japanese import has_letter, latest_era, split_sentences, with_era
from corpus.model import Page, Sentence, TableRecord
from corpus.tables import label_column, row_line
from corpus.textrepair import strip_bullet

# Level given to headings recognised only by their marker (they sit at body-text size).
MARKER_LEVEL = 100

_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("bracket", r"^【[^】]+】"),
        ("angle", r"^[＜<][^＞>]+[＞>]"),
        ("diamond", r"^[◆◇]"),
        ("circle", r"^●"),
        ("square", r"^[■□]"),
        ("circled", r"^[①-⑳㉑-㉟]"),
        ("paren", r"^[（(][^）)]{1,20}[）)]$"),
        ("numparen", r"^[（(][0-9０-９]{1,2}[）)]\s*\S"),
        ("numclose", r"^[0-9０-９]{1,2}[）)]\s*\S"),  # 1) 人間中心: 32 headings, 2 of 7 real PDFs
        (
            "number",
            r"^(?:第[0-9０-９一二三四五六七八九十]+[章節部]|[0-9０-９]{1,2}(?:[.．]\s?|\s)\S)",
        ),
    )
)
_MAX_HEADING_CHARS = 40
CAPTION = "caption"  # marker of a short line printed just above a table


@dataclass(frozen=True)
class Block:
    """One layout unit of a page, in reading order."""

    kind: str  # "heading" | "paragraph" | "item" | "table"
    text: str = ""
    level: int = MARKER_LEVEL  # headings: 1 = page title level, larger = deeper
    marker: str = ""  # headings found by marker: the marker class ("circled", "bracket", ...)
    rows: tuple[tuple[str, ...], ...] = ()  # tables: the data rows
    header: tuple[str, ...] = ()  # tables: one flattened header per column ("" where none)
    row_headers: tuple[tuple[str, ...], ...] = ()  # tables: each row's own, when it has one
    caption: Block | None = None  # tables: the heading printed above it, when another precedes it


def heading_marker(text: str) -> str | None:
    """The marker class when a short body-size line reads as a heading (【…】, ◆…, ①…, （…）)."""
    if len(text) > _MAX_HEADING_CHARS or "。" in text or not has_letter(text):
        return None
    return next((name for name, pattern in _MARKERS if pattern.match(text)), None)


def body_block(text: str, item: bool = False) -> Block | None:
    """Classify repaired body-size text: marker heading, list item (bullet removed) or paragraph;
    None for text without a letter (a chart's axis 「85.00」, 「【76.78】」), which says nothing
    on its own."""
    if not item and (marker := heading_marker(text)):
        return Block("heading", text, marker=marker)
    bare = strip_bullet(text)
    if not has_letter(bare):
        return None
    return Block("item" if item or bare != text else "paragraph", bare)


# Numbering schemes of headings: a heading numbered after an open one of the same scheme is its
# sibling, whatever the font sizes say ((5) on one page and (6) on the next, ranked apart).
# Measured: bench/extraction.py `nested` 100 → 0 sentences over the 9 benchmark PDFs.
_NUMBERED: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("paren", re.compile(r"^[（(]([0-9０-９]{1,2})[）)]")),
    ("close", re.compile(r"^([0-9０-９]{1,2})[）)]")),
    ("dot", re.compile(r"^([0-9０-９]{1,2})[.．、]")),
    ("circled", re.compile(r"^([①-⑳])")),
)


def numbering(text: str) -> tuple[str, int] | None:
    """The heading's numbering scheme and number: 「(2) 初任給」 → ("paren", 2)."""
    for scheme, pattern in _NUMBERED:
        if found := pattern.match(text):
            digit = found.group(1)
            number = ord(digit) - ord("①") + 1 if scheme == "circled" else int(digit)
            return scheme, number
    return None


def follows(heading: Block, open_heading: Block) -> bool:
    """``heading`` is a later item of the numbered list ``open_heading`` is in."""
    new, old = numbering(heading.text), numbering(open_heading.text)
    return bool(new and old and new[0] == old[0] and new[1] > old[1])


@dataclass
class SectionStack:
    """Open headings below the page title; a heading closes deeper and same-rank ones, and an
    earlier one of its own numbered list."""

    entries: list[Block] = field(default_factory=list)

    def push(self, heading: Block) -> None:
        for i, open_heading in enumerate(self.entries):
            same_rank = (open_heading.level, open_heading.marker) == (heading.level, heading.marker)
            if same_rank or follows(heading, open_heading):
                del self.entries[i:]
                break
        while self.entries and self.entries[-1].level > heading.level:
            self.entries.pop()
        self.entries.append(heading)

    def path(self, root: str) -> tuple[str, ...]:
        return (root, *(entry.text for entry in self.entries))


def page_title(blocks: list[Block]) -> Block | None:
    """The first heading of the page's top level (a slide title), if it opens the page: only
    headings come before it. One printed below text or a table heads a section that starts
    mid-page (「(2) 職員の初任給の状況」 under the table the page before began), not the page
    (bench/extraction.py `ahead`: 173 → 33 sentences filed under a heading printed below them)."""
    headings = [b for b in blocks if b.kind == "heading" and b.level < MARKER_LEVEL]
    if not headings:
        return None
    top = min(h.level for h in headings)
    title = next(h for h in headings if h.level == top)
    opening = blocks[: blocks.index(title)]
    return title if all(b.kind == "heading" for b in opening) else None


@dataclass
class PageParts:
    page: Page
    sentences: list[Sentence]
    tables: list[TableRecord]
    open_sections: SectionStack  # the headings still open at the page's end
    era: str | None = None  # the era the document dates by at the page's end (平成…)


@dataclass
class _Builder:
    """Accumulates page lines and the sentences found in them."""

    number: int
    lines: list[str] = field(default_factory=list)
    length: int = 0
    sentences: list[Sentence] = field(default_factory=list)

    def add_line(self, line: str) -> int:
        start = self.length + 1 if self.lines else 0
        self.lines.append(line)
        self.length = start + len(line)
        return start

    def add_sentences(
        self, section: tuple[str, ...], spans: list[tuple[int, int]], kind: str
    ) -> None:
        """Record spans (relative to the last line) as sentences."""
        line = self.lines[-1]
        line_start = self.length - len(line)
        for s, e in spans:
            self.sentences.append(
                Sentence(self.number, section, line_start + s, line_start + e, line[s:e], kind)
            )


def mark_captions(blocks: list[Block]) -> list[Block]:
    """A short paragraph (no full stop, some letter) just above a table is the table's caption
    heading."""
    marked = list(blocks)
    for i, block in enumerate(blocks[:-1]):
        if (
            block.kind == "paragraph"
            and blocks[i + 1].kind == "table"
            and len(block.text) <= _MAX_HEADING_CHARS
            and "。" not in block.text
            and has_letter(block.text)
        ):
            marked[i] = Block("heading", block.text, marker=CAPTION)
    return marked


def _under_caption(
    caption: Block | None, title: Block | None, stack: SectionStack, root: str
) -> tuple[str, ...]:
    """A table's section: under the heading the layout found printed above it, as if the table
    came right after that heading (beside other columns, a later heading may have closed it);
    the open section when there is none or it is the page title."""
    if caption is None or caption is title:
        return stack.path(root)
    under = SectionStack(list(stack.entries))
    under.push(caption)
    return under.path(root)


def assemble_page(
    number: int,
    blocks: list[Block],
    doc_id: str,
    fallback_root: str,
    carried: SectionStack | None = None,
    era: str | None = None,
) -> PageParts:
    """Build the page text (one line per heading, paragraph and table row) and its sentences.

    A page without a title of its own goes on in the sections ``carried`` over from the page
    before (a report's section runs across pages; a slide starts afresh under its title). The
    next heading of the title's numbered list (「(4) 通勤手当」 on a page that opens with
    「(3) 住居手当」) ends the title's section: the rest of the page is filed under the
    document, as a page without a title is. A table column headed by a bare year (「30年度」)
    takes the era the document last dated by (``era``, carried over from the pages before)."""
    blocks = mark_captions(blocks)
    title_block = page_title(blocks)
    title = title_block.text if title_block else ""
    root = title or fallback_root
    builder = _Builder(number)
    stack = SectionStack(list(carried.entries) if carried and not title_block else [])
    tables: list[TableRecord] = []
    caption: Block | None = None  # the caption heading just above a table
    table_count = 0
    for block in blocks:
        era = latest_era(block.text, era)
        if block.kind == "table":
            block, era = _dated_by_era(block, era)
            section = _under_caption(caption or block.caption, title_block, stack, root)
            rows = _add_table(builder, block, doc_id, section, table_count)
            tables += rows
            table_count += 1
        elif block.kind == "heading" and block.text:
            builder.add_line(block.text)
            if block.marker == CAPTION:
                caption = block
                section = _under_caption(caption, title_block, stack, root)
                builder.add_sentences(section, [(0, len(block.text))], "heading")
                continue
            if block is not title_block:
                if title_block and follows(block, title_block):  # the title's section ends
                    root, stack = fallback_root, SectionStack()
                stack.push(block)
            section = (root,) if block is title_block else stack.path(root)
            builder.add_sentences(section, [(0, len(block.text))], "heading")
        elif block.text:
            builder.add_line(block.text)
            builder.add_sentences(stack.path(root), split_sentences(block.text), "text")
        caption = None
    page = Page(number=number, title=title, text="\n".join(builder.lines))
    return PageParts(page, builder.sentences, tables, stack, era)


def _dated_by_era(block: Block, era: str | None) -> tuple[Block, str | None]:
    """The table with its bare-year headers written in the era in force (a header 「平成29年度」
    sets it for the columns after it), and the era in force after its header."""
    header, after = _dated(block.header, era)
    row_headers = tuple(_dated(own, era)[0] for own in block.row_headers)
    return replace(block, header=header, row_headers=row_headers), after


def _dated(header: tuple[str, ...], era: str | None) -> tuple[tuple[str, ...], str | None]:
    """``header`` with each bare year in the era in force at its cell, and the era after it."""
    cells = []
    for cell in header:
        era = latest_era(cell, era)
        cells.append(with_era(cell, era))
    return tuple(cells), era


def _add_table(
    builder: _Builder, block: Block, doc_id: str, section: tuple[str, ...], index: int
) -> list[TableRecord]:
    """One line and one ``table_row`` sentence per data row: ``label｜header: cell…``."""
    label = label_column(block.header, block.rows)
    headers = block.row_headers or (block.header,) * len(block.rows)
    records = []
    for row, header in zip(block.rows, headers, strict=True):
        line = row_line(header, row, label)
        if not line:
            continue
        start = builder.add_line(line)
        builder.add_sentences(section, [(0, len(line))], "table_row")
        records.append(
            TableRecord(
                doc_id=doc_id,
                page=builder.number,
                table=index,
                row=len(records),
                header=header,
                cells=row,
                label=row[label] if label is not None else "",
                start=start,
                end=start + len(line),
            )
        )
    return records
