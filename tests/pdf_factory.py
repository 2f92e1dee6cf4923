"""Real-looking PDFs for tests, drawn with reportlab from simple Python data.

Each page is a list of elements drawn top to bottom: headings (optionally letter-spaced or with a
shadow), wrapped paragraphs, two columns, a side label beside a paragraph, a boxed text, a ruled
table (multi-row headers, merged cells, units above numbers), titled tables side by side, a
contents list with dot leaders.
``build_pdf`` adds running headers, page-number footers and margin line numbers on request;
``scanned_copy`` turns any PDF into an image-only one (each page rendered by pypdfium2) for OCR.
``government_report`` builds a complete multi-page document with all of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Table as RLTable
from reportlab.platypus import TableStyle

from corpus.build_pdfs import FONT, break_lines, register_font

WIDTH, HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 72.0, 72.0, 80.0, 60.0
TEXT_WIDTH = WIDTH - LEFT - RIGHT
BODY = 10.5
LEADING = 1.7


@dataclass(frozen=True)
class Heading:
    text: str
    size: float = 16.0
    spacing: float = 0.0  # extra space after each character (letter spacing), in pt
    shadow: bool = False  # draw it twice, the second copy offset by a point (a shadow)


@dataclass(frozen=True)
class Para:
    text: str
    size: float = BODY
    indent: float = 0.0  # pt from the left text edge
    width: float = TEXT_WIDTH
    leading: float = LEADING  # line pitch in font sizes (2.0: double-spaced)


@dataclass(frozen=True)
class Columns:
    left: Sequence[str]  # paragraphs of the left column
    right: Sequence[str]


@dataclass(frozen=True)
class SideLabel:
    label: str  # printed in the left gutter beside the paragraph's first line
    text: str


@dataclass(frozen=True)
class Box:
    text: str  # a paragraph drawn inside a ruled rectangle (a slide text box)


@dataclass(frozen=True)
class Grid:
    """A ruled table: ``rows`` cell texts ("\\n" breaks a cell's lines); ``spans`` merge cells
    as (first column, first row, last column, last row)."""

    rows: Sequence[Sequence[str]]
    spans: Sequence[tuple[int, int, int, int]] = ()
    widths: Sequence[float] | None = None
    size: float = 9.0


@dataclass(frozen=True)
class Contents:
    entries: Sequence[tuple[str, int]]  # (entry, page number) joined by a dot leader
    leader: str = "…"


@dataclass(frozen=True)
class Spread:
    pieces: Sequence[tuple[float, str]]  # (pt from the left text edge, text) on one row
    size: float = BODY  # a chart's category labels print larger than the body


@dataclass(frozen=True)
class Panels:
    """Charts side by side, as on a comparison sheet: each a title above a small ruled table."""

    panels: Sequence[tuple[str, Grid]]  # (title, its table), left to right
    title_size: float = 12.0


@dataclass(frozen=True)
class Gap:
    height: float = 12.0


Element = Heading | Para | Columns | SideLabel | Box | Grid | Contents | Spread | Panels | Gap


@dataclass
class PageSpec:
    elements: Sequence[Element]
    line_numbers: bool = False  # 1, 2, 3 … in the left margin beside every text line


@dataclass
class _Cursor:
    canvas: Canvas
    y: float
    line_tops: list[float] = field(default_factory=list)  # baselines of drawn text lines

    def text(self, x: float, y: float, text: str, size: float, spacing: float = 0.0) -> None:
        self.canvas.setFont(FONT, size)
        if spacing:
            self.canvas.saveState()  # the character spacing must not outlive this line
            obj = self.canvas.beginText(x, y)
            obj.setFont(FONT, size)
            obj.setCharSpace(spacing)
            obj.textLine(text)
            self.canvas.drawText(obj)
            self.canvas.restoreState()
        else:
            self.canvas.drawString(x, y, text)
        self.line_tops.append(y)


def _wrapped(
    cursor: _Cursor, text: str, x: float, width: float, size: float, leading: float = LEADING
) -> None:
    for line in (line for part in text.split("\n") for line in break_lines(part, width, size)):
        cursor.y -= size * leading
        cursor.text(x, cursor.y, line, size)


def _draw(cursor: _Cursor, element: Element) -> None:
    canvas = cursor.canvas
    if isinstance(element, Heading):
        cursor.y -= element.size * 1.8
        if element.shadow:
            canvas.setFillColor(colors.lightgrey)
            cursor.text(LEFT + 1.2, cursor.y - 1.2, element.text, element.size, element.spacing)
            canvas.setFillColor(colors.black)
        cursor.text(LEFT, cursor.y, element.text, element.size, element.spacing)
    elif isinstance(element, Para):
        _wrapped(
            cursor,
            element.text,
            LEFT + element.indent,
            element.width,
            element.size,
            element.leading,
        )
        cursor.y -= element.size * 0.6
    elif isinstance(element, Columns):
        column = (TEXT_WIDTH - 24) / 2
        start, ends = cursor.y, []
        for x, paragraphs in ((LEFT, element.left), (LEFT + column + 24, element.right)):
            cursor.y = start
            for text in paragraphs:
                _wrapped(cursor, text, x, column, BODY)
                cursor.y -= BODY * 1.2
            ends.append(cursor.y)
        cursor.y = min(ends)
    elif isinstance(element, SideLabel):
        top = cursor.y
        _wrapped(cursor, element.text, LEFT + 70, TEXT_WIDTH - 70, BODY)
        cursor.text(LEFT, top - BODY * LEADING, element.label, BODY, spacing=3.0)
        cursor.y -= BODY * 0.6
    elif isinstance(element, Box):
        top = cursor.y - 6
        cursor.y = top
        _wrapped(cursor, element.text, LEFT + 10, TEXT_WIDTH - 20, BODY)
        cursor.y -= BODY
        canvas.rect(LEFT, cursor.y, TEXT_WIDTH, top - cursor.y + 4, stroke=1, fill=0)
        cursor.y -= BODY
    elif isinstance(element, Grid):
        _grid(cursor, element)
    elif isinstance(element, Panels):
        _panels(cursor, element)
    elif isinstance(element, Spread):
        cursor.y -= element.size * LEADING
        for x, piece in element.pieces:
            cursor.text(LEFT + x, cursor.y, piece, element.size)
    elif isinstance(element, Contents):
        for entry, page in element.entries:
            cursor.y -= BODY * LEADING
            number = str(page)
            room = TEXT_WIDTH - stringWidth(entry + number, FONT, BODY) - 8
            dots = element.leader * int(room / stringWidth(element.leader, FONT, BODY))
            cursor.text(LEFT, cursor.y, f"{entry}{dots}{number}", BODY)
    else:
        cursor.y -= element.height


def _grid(cursor: _Cursor, grid: Grid, x: float = LEFT) -> None:
    style = ParagraphStyle("cell", fontName=FONT, fontSize=grid.size, leading=grid.size * 1.3)
    cells = [
        [RLParagraph(cell.replace("\n", "<br/>"), style) if cell else "" for cell in row]
        for row in grid.rows
    ]
    table = RLTable(cells, colWidths=list(grid.widths) if grid.widths else None)
    commands: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    commands += [("SPAN", (c0, r0), (c1, r1)) for c0, r0, c1, r1 in grid.spans]
    table.setStyle(TableStyle(commands))
    _, height = table.wrapOn(cursor.canvas, TEXT_WIDTH, HEIGHT)
    cursor.y -= height + 8
    table.drawOn(cursor.canvas, x, cursor.y)
    cursor.y -= 8


def _panels(cursor: _Cursor, panels: Panels) -> None:
    width = TEXT_WIDTH / len(panels.panels)
    top = cursor.y - panels.title_size * 1.8
    ends = []
    for i, (title, grid) in enumerate(panels.panels):
        cursor.y = top
        cursor.text(LEFT + i * width, top, title, panels.title_size)
        _grid(cursor, grid, LEFT + i * width)
        ends.append(cursor.y)
    cursor.y = min(ends)


def build_pdf(
    path: Path,
    pages: Sequence[PageSpec | Sequence[Element]],
    *,
    title: str | None = None,
    running_header: str | None = None,
    page_numbers: bool = True,
) -> Path:
    """Draw the pages into ``path`` (A4 portrait, IPAex Gothic); ``title`` is the metadata title."""
    register_font()
    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    if title is not None:
        canvas.setTitle(title)
    for number, spec in enumerate(pages, start=1):
        page = spec if isinstance(spec, PageSpec) else PageSpec(list(spec))
        cursor = _Cursor(canvas, HEIGHT - TOP)
        if running_header:
            canvas.setFont(FONT, 8)
            canvas.drawString(LEFT, HEIGHT - 30, running_header)
        if page_numbers:
            canvas.setFont(FONT, 9)
            canvas.drawCentredString(WIDTH / 2, 28, f"- {number} -")
        for element in page.elements:
            _draw(cursor, element)
        if page.line_numbers:
            canvas.setFont(FONT, 8)
            for index, y in enumerate(sorted(set(cursor.line_tops), reverse=True), start=1):
                canvas.drawRightString(LEFT - 26, y, str(index))
        canvas.showPage()
    canvas.save()
    return path


def scanned_copy(source: Path, path: Path, dpi: int = 200) -> Path:
    """An image-only PDF of ``source``: each page rendered to a bitmap, no text layer."""
    document = pypdfium2.PdfDocument(str(source))
    try:
        images = [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in document]
    finally:
        document.close()
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


STAFF_TABLE = Grid(
    rows=[
        ["区 分", "職員数\nＡ", "給 与 費", "", "", ""],
        ["", "", "給 料", "職員手当", "期末・勤勉手当", "計\nＢ"],
        ["令和5年度", "人\n57", "千円\n215,644", "千円\n42,786", "千円\n87,954", "千円\n346,384"],
        ["令和4年度", "人\n55", "千円\n208,120", "千円\n40,315", "千円\n84,002", "千円\n332,437"],
    ],
    spans=[(0, 0, 0, 1), (1, 0, 1, 1), (2, 0, 5, 0)],
    widths=[70, 50, 70, 70, 90, 70],
)


def government_report(path: Path, *, title: str | None = "Microsoft Word - report_v3") -> Path:
    """A five-page municipal report: cover, contents page, line-numbered text, tables, columns."""
    cover = [
        Gap(140),
        Heading("みどり市地域交通計画", size=26),
        Heading("（令和６年度改定版）", size=18),
        Gap(200),
        Para("令和６年３月　みどり市"),
    ]
    contents = [
        Heading("目次", size=16),
        Contents([("１ 計画の目的", 3), ("２ 職員と財政の状況", 4), ("３ 今後の取組", 5)]),
    ]
    purpose = PageSpec(
        [
            Heading("１ 計画の目的", size=14),
            Para(
                "本計画は、みどり市における地域交通の維持と利便性の向上を図るため、"
                "令和６年度から令和10年度までの５年間に取り組む施策を定めるものである。"
                "市民の移動手段を確保し、高齢者の外出機会を増やすことを目指す。"
            ),
            SideLabel(
                "調査目的",
                "市民の移動の実態を把握するため、市内在住の2,000世帯を対象に"
                "交通行動調査を実施した。回答率は48.5％であった。",
            ),
        ],
        line_numbers=True,
    )
    finances = [
        Heading("２ 職 員 と 財 政 の 状 況", size=14, spacing=4.0),
        Para("(1) 職員給与費の状況（普通会計決算）"),
        STAFF_TABLE,
        Para("職員数は前年度から２人増加し、給与費の合計は346,384千円となった。"),
    ]
    plans = [
        Heading("３ 今後の取組", size=14, shadow=True),
        Columns(
            left=[
                "デマンド交通の運行区域を市内全域に拡大し、予約はスマートフォンと"
                "電話の両方で受け付ける。",
            ],
            right=[
                "路線バスの運行本数を見直し、通勤時間帯の便を増やす。"
                "あわせてバス停の待合環境を改善する。",
            ],
        ),
        Box("利用者アンケートの結果は、毎年度の交通会議で報告し、施策の見直しに反映する。"),
        Grid(
            rows=[
                ["指標", "現状値", "目標値"],
                ["デマンド交通の利用者数", "12,400人", "20,000人"],
                ["バス停の待合施設の整備率", "35％", "60％"],
            ],
            widths=[200, 100, 100],
        ),
    ]
    return build_pdf(
        path,
        [cover, contents, purpose, finances, plans],
        title=title,
        running_header="みどり市地域交通計画",
    )


def talent_plan(path: Path) -> Path:
    """A two-page plan: a numbered heading right under the title, and a section whose items
    run on over the page break."""
    first = [
        Heading("みどり市デジタル人材計画", size=18),
        Heading("1. 目的", size=13),
        Para("本計画は、市の業務を担うデジタル人材を確保し、育成することを目的とする。"),
        Para("計画期間は2025年度から2029年度までの5年間とする。"),
        Heading("2. 人材の区分", size=13),
        Para("本計画では、市のデジタル人材を次の三つの区分に分けて育成する。"),
        Para("区分ごとに研修を用意し、毎年度の受講者数を公表する。" * 6),
    ]
    second = [
        Heading("(1) 企画人材", size=12),
        Para("業務改革の企画を担う。"),
        Heading("(2) 分析人材", size=12),
        Para("統計データの分析を担う。"),
        Heading("(3) 開発人材", size=12),
        Para("庁内システムの開発を担う。"),
        Heading("3. 推進体制", size=13),
        Para("情報政策課が計画の進み具合を管理する。"),
    ]
    return build_pdf(path, [first, second])
