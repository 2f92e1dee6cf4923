"""Build the shipped PDFs from ``corpus/sources/*.md``: ``python -m corpus.build_pdfs [OUT_DIR]``.

One slide per page (A4 landscape), IPAex Gothic embedded, running header and footer, ruled
tables. Output is byte-identical on every run (reportlab invariant mode).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.textsplit import ALL_CANNOT_END, ALL_CANNOT_START
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import _listWrapOn

from corpus.manifest import PDF_DIR, ManifestEntry, load_manifest
from corpus.plaintext import markdown_pages
from corpus.sections import Block
from corpus.textrepair import starts_block

FONT_PATH = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FONT = "IPAexGothic"
PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 42.0, 58.0, 44.0
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
HEADING_SIZES = {1: 20.0, 2: 14.0, 3: 12.5, 4: 11.5}
BODY_SIZE, NOTE_SIZE, TABLE_SIZE = 10.5, 8.5, 9.5
LEADING = 1.4
CELL_PADDING = 4.0
ITEM_INDENT = 16.0
MIN_SCALE, MAX_SCALE = 0.5, 1.25
NAVY = colors.HexColor("#1f3864")


def register_font() -> None:
    """Register IPAex Gothic, or stop with a message saying how to get it."""
    if not FONT_PATH.is_file():
        raise SystemExit(
            f"IPAex Gothic not found at {FONT_PATH} (apt install fonts-ipaexfont-gothic)"
        )
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_PATH)))


def _ascii_word_char(char: str) -> bool:
    return char.isascii() and not char.isspace()


def _can_break_before(text: str, i: int) -> bool:
    """Line-break opportunity between text[i-1] and text[i] (kinsoku, no split ASCII words)."""
    before, after = text[i - 1], text[i]
    if before == " ":
        return i >= 2 and _ascii_word_char(text[i - 2]) and _ascii_word_char(after)
    if after == " " or (_ascii_word_char(before) and _ascii_word_char(after)):
        return False
    return (
        before not in ALL_CANNOT_END and after not in ALL_CANNOT_START and not starts_block(after)
    )


def break_lines(text: str, width: float, size: float) -> list[str]:
    """Greedy Japanese line breaking.

    Done here because reportlab's CJK wrap splits ASCII words and numbers ("RESAS", "2024").
    """
    lines: list[str] = []
    start, used, last_break, i = 0, 0.0, 0, 0
    while i < len(text):
        if i > start and _can_break_before(text, i):
            last_break = i
        used += stringWidth(text[i], FONT, size)
        if used > width and i > start:
            cut = last_break if last_break > start else i
            lines.append(text[start:cut].rstrip())
            start = i = cut
            used, last_break = 0.0, 0
            continue
        i += 1
    lines.append(text[start:])
    return lines


def _paragraph(
    text: str, style: ParagraphStyle, width: float, bullet: str | None = None
) -> Paragraph:
    lines = break_lines(text, width - style.leftIndent - 0.5, style.fontSize)
    return Paragraph("<br/>".join(escape(line) for line in lines), style, bulletText=bullet)


def _style(name: str, size: float, scale: float, **extra: object) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=FONT,
        fontSize=size * scale,
        leading=size * scale * LEADING,
        wordWrap="CJK",
        bulletFontName=FONT,
        bulletFontSize=size * scale,
        **extra,
    )


def _column_widths(natural: list[float]) -> list[float]:
    """Natural widths stretched to the frame, or the widest column narrowed to make them fit."""
    total = sum(natural)
    if total <= FRAME_WIDTH:
        return [width * FRAME_WIDTH / total for width in natural]
    widest = natural.index(max(natural))
    return [width - (total - FRAME_WIDTH if i == widest else 0) for i, width in enumerate(natural)]


def _table(rows: tuple[tuple[str, ...], ...], scale: float) -> Table:
    style = _style("cell", TABLE_SIZE, scale)
    size = style.fontSize
    natural = [
        max(stringWidth(row[col], FONT, size) for row in rows) + 2 * CELL_PADDING + 1
        for col in range(len(rows[0]))
    ]
    widths = _column_widths(natural)
    cells = [
        [
            _paragraph(cell, style, width - 2 * CELL_PADDING)
            for cell, width in zip(row, widths, strict=True)
        ]
        for row in rows
    ]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde4f0")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING * scale),
                ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING * scale),
            ]
        )
    )
    table.spaceBefore = table.spaceAfter = 6 * scale
    return table


def _flowable(block: Block, scale: float) -> Flowable:
    """One Markdown block as a reportlab flowable at the given font scale."""
    if block.kind == "table":
        return _table((block.header, *block.rows), scale)
    if block.kind == "heading":
        level = min(block.level, max(HEADING_SIZES))
        style = _style(
            f"h{level}",
            HEADING_SIZES[level],
            scale,
            textColor=NAVY,
            spaceBefore=(0 if level == 1 else 7) * scale,
            spaceAfter=(8 if level == 1 else 2) * scale,
        )
        return _paragraph(block.text, style, FRAME_WIDTH)
    if block.kind == "item":
        style = _style(
            "item",
            BODY_SIZE,
            scale,
            leftIndent=ITEM_INDENT * scale,
            bulletIndent=4 * scale,
            spaceBefore=3 * scale,
        )
        return _paragraph(block.text, style, FRAME_WIDTH, bullet="•")
    is_note = block.text.startswith(("※", "（※）"))
    style = _style(
        "note" if is_note else "body",
        NOTE_SIZE if is_note else BODY_SIZE,
        scale,
        spaceBefore=5 * scale,
    )
    return _paragraph(block.text, style, FRAME_WIDTH)


def fit_page(blocks: list[Block]) -> list[Flowable]:
    """The page's flowables at the largest font scale (step 0.05) that fits one page."""
    scale = MAX_SCALE
    while scale >= MIN_SCALE:
        flowables = [_flowable(block, scale) for block in blocks]
        if _listWrapOn(flowables, FRAME_WIDTH, None)[1] <= FRAME_HEIGHT:
            return flowables
        scale = round(scale - 0.05, 2)
    raise SystemExit(f"page starting {blocks[0].text!r} does not fit on one page")


def _page_decorator(entry: ManifestEntry) -> Callable[[Canvas, BaseDocTemplate], None]:
    issuer = entry.issuer + ("（推定）" if entry.issuer_estimated else "")

    def decorate(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.dimgrey)
        canvas.drawString(MARGIN_X, PAGE_HEIGHT - 28, entry.short_title)
        canvas.setStrokeColor(colors.lightgrey)
        canvas.line(MARGIN_X, PAGE_HEIGHT - 33, PAGE_WIDTH - MARGIN_X, PAGE_HEIGHT - 33)
        canvas.drawString(MARGIN_X, 22, issuer)
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, 22, str(doc.page))
        canvas.restoreState()

    return decorate


def build_document(entry: ManifestEntry, out_dir: Path) -> Path:
    """Render one manifest entry's Markdown source to out_dir/entry.file."""
    register_font()
    pages = markdown_pages(entry.source_path.read_text(encoding="utf-8"))
    story: list[Flowable] = []
    for blocks in pages:
        story += [*fit_page(blocks), PageBreak()]
    out_path = out_dir / entry.file
    doc = BaseDocTemplate(
        str(out_path),
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        title=entry.title,
        author=entry.issuer,
        subject=entry.attribution,
        creator="policy-qa corpus.build_pdfs",
        invariant=1,
        initialFontName=FONT,
    )
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        FRAME_WIDTH,
        FRAME_HEIGHT,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate("slide", [frame], onPage=_page_decorator(entry))])
    doc.build(story[:-1])
    return out_path


def build_all(out_dir: Path = PDF_DIR) -> list[Path]:
    """Build every manifest document into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [build_document(entry, out_dir) for entry in load_manifest()]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    for path in build_all(Path(args[0]) if args else PDF_DIR):
        print(path)


if __name__ == "__main__":
    main()
