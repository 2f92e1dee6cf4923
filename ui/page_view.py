"""A cited PDF page as a PNG with the quoted sentence boxed, rendered on demand and cached.

The quote is an exact substring of the *extracted* page text, which was normalised (NFKC except
full-width forms), had its wrapped lines joined and its table rows written as
``label｜header: cell…``. So the page's characters are read again — lines outside tables in
reading order, then each table row's cells — each character normalised alone and whitespace
dropped, and the quote (normalised the same way; a row's label and cells looked up one by one)
is found in that string; when an odd glyph defeats the exact match, the closest span with most
of the quote's characters is taken instead.
Boxes come from pdfplumber's character geometry; the page is rasterised with pypdfium2.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from io import BytesIO
from pathlib import Path
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

import pdfplumber
import pypdfium2
from pdfplumber.page import Page as PdfPage
from PIL import Image, ImageDraw

from assistant.types import Citation
from corpus.japanese import normalize
from corpus.tables import FIELD_SEPARATOR, HEADER_SEPARATOR
from index.policy_index import PolicyIndex

MAX_QUOTES = 10  # quotes boxed on one page image
MAX_QUOTE_CHARS = 1000  # longer quotes are refused (no sentence the assistant cites is this long)
MAX_SIDE_PX = 1400  # the rendered page's longer side
MAX_CACHED = 500  # page images kept on disk; the oldest are deleted beyond this
FUZZY_MIN = 0.8  # share of the quote's characters a fuzzy match must cover
FILL = (255, 214, 0, 80)  # translucent yellow over the quoted characters
OUTLINE = (230, 60, 0, 255)  # and a solid orange-red frame around each line of them
OUTLINE_PX = 3
PAD_PT = 1.5  # the frame sits this far outside the characters
# PDFium may not be called from two threads at once, not even for different documents.
_PDFIUM = threading.Lock()


class PageViewError(Exception):
    """A page that cannot be shown; ``str(err)`` says why in one line, ``status`` is HTTP."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Box:
    """A rectangle in PDF points, origin top-left (pdfplumber's ``x0, top, x1, bottom``)."""

    x0: float
    top: float
    x1: float
    bottom: float


Glyph = tuple[str, Box | None]  # normalised text of one character (None: a separator we added)


def _glyphs(chars: list[dict]) -> list[Glyph]:
    return [
        (text, Box(c["x0"], c["top"], c["x1"], c["bottom"]))
        for c in chars
        if (text := "".join(normalize(c["text"]).split()))
    ]


def _line_glyphs(page: PdfPage) -> list[Glyph]:
    """Characters of the lines outside tables, line by line in reading order."""
    return [
        glyph
        for line in page.extract_text_lines(return_chars=True)
        for glyph in _glyphs(line["chars"])
    ]


def _center_in(char: dict, bbox: tuple[float, float, float, float]) -> bool:
    x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def page_glyphs(page: PdfPage) -> list[Glyph]:
    """The page's characters in the order the extracted page text has them."""
    tables = page.find_tables()
    boxes = [table.bbox for table in tables]
    outside = page.filter(
        lambda obj: obj["object_type"] != "char" or not any(_center_in(obj, b) for b in boxes)
    )
    glyphs = _line_glyphs(outside)
    for table in tables:
        for row in table.rows:
            cells = [
                _line_glyphs(page.filter(lambda obj, b=bbox: _is_char_in(obj, b)))
                for bbox in row.cells
                if bbox is not None
            ]
            filled = [cell for cell in cells if cell]
            for n, cell in enumerate(filled):
                glyphs += ([(FIELD_SEPARATOR, None)] if n else []) + cell
    return glyphs


def _is_char_in(obj: dict, bbox: tuple[float, float, float, float]) -> bool:
    return obj["object_type"] == "char" and _center_in(obj, bbox)


def _skeleton(text: str) -> str:
    return "".join(normalize(text).split())


def _matched_glyphs(glyphs: list[Glyph], quote: str) -> list[int]:
    """Indices of the glyphs that spell ``quote`` (exactly, else the best fuzzy span)."""
    starts: list[int] = []
    text = ""
    for glyph, _ in glyphs:
        starts.append(len(text))
        text += glyph
    target = _skeleton(quote)
    if not target:
        return []
    found = text.find(target)
    spans = [(found, found + len(target))] if found >= 0 else _fuzzy_spans(text, target)
    return [i for i, start in enumerate(starts) if any(a <= start < b for a, b in spans)]


def _fuzzy_spans(text: str, target: str) -> list[tuple[int, int]]:
    """Matching stretches of ``text`` around its longest common run with ``target``."""
    longest = SequenceMatcher(None, text, target, autojunk=False).find_longest_match()
    if not longest.size:
        return []
    low = max(0, longest.a - longest.b - len(target) // 4)
    high = min(len(text), longest.a + (len(target) - longest.b) + len(target) // 4)
    blocks = SequenceMatcher(None, text[low:high], target, autojunk=False).get_matching_blocks()
    if sum(block.size for block in blocks) < FUZZY_MIN * len(target):
        return []
    return [(low + block.a, low + block.a + block.size) for block in blocks if block.size]


def line_boxes(boxes: list[Box]) -> list[Box]:
    """Character boxes merged into one box per text line (characters that overlap vertically)."""
    lines: list[Box] = []
    for box in boxes:
        last = lines[-1] if lines else None
        middle = (box.top + box.bottom) / 2
        if last and last.top <= middle <= last.bottom:
            lines[-1] = Box(
                min(last.x0, box.x0),
                min(last.top, box.top),
                max(last.x1, box.x1),
                max(last.bottom, box.bottom),
            )
        else:
            lines.append(box)
    return lines


def quote_boxes(pdf_path: Path, page_number: int, quote: str) -> list[Box]:
    """One box per line of ``quote`` on page ``page_number`` (1-based) of the PDF, in points."""
    with pdfplumber.open(pdf_path) as pdf:
        glyphs = page_glyphs(pdf.pages[page_number - 1])
    hits = [i for part in quote_parts(quote) for i in _matched_glyphs(glyphs, part)]
    return line_boxes([box for i in sorted(set(hits)) if (box := glyphs[i][1]) is not None])


def quote_parts(quote: str) -> list[str]:
    """What of a quote is printed on the page: a table row's line (``label｜header: cell…``)
    is its label and cells, each printed in its own cell; any other quote is one piece."""
    if FIELD_SEPARATOR not in quote:
        return [quote]
    return [field.split(HEADER_SEPARATOR, 1)[-1] for field in quote.split(FIELD_SEPARATOR)]


def render_page(pdf_path: Path, page_number: int, boxes: list[Box]) -> bytes:
    """The page as PNG bytes (longer side :data:`MAX_SIDE_PX`) with ``boxes`` highlighted."""
    with _PDFIUM:
        pdf = pypdfium2.PdfDocument(pdf_path)
        try:
            page = pdf[page_number - 1]
            width, height = page.get_size()
            scale = MAX_SIDE_PX / max(width, height)
            image = page.render(scale=scale).to_pil().convert("RGBA")
            page.close()
        finally:
            pdf.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for box in boxes:
        rect = [
            (box.x0 - PAD_PT) * scale,
            (box.top - PAD_PT) * scale,
            (box.x1 + PAD_PT) * scale,
            (box.bottom + PAD_PT) * scale,
        ]
        draw.rectangle(rect, fill=FILL, outline=OUTLINE, width=OUTLINE_PX)
    out = BytesIO()
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


class PageImages:
    """Page images of the index's PDFs, cached under ``$POLICY_QA_HOME/pages/<doc_id>/``."""

    def __init__(self, index: PolicyIndex) -> None:
        self.index = index
        self.folder = index.home / "pages"
        self._lock = threading.Lock()

    def available(self, doc_id: str) -> bool:
        """True when the document is indexed and its PDF kept (not for .txt/.md sources)."""
        return doc_id in self.index.docs and self.index.pdf_copy(doc_id).is_file()

    def url(self, citations: Sequence[Citation]) -> str | None:
        """The relative URL of the first citation's page with every quote boxed (None: no PDF).

        The citations are from one page, as the citations of one source card are."""
        first = citations[0]
        quotes = [c.quote for c in citations]
        if not self.available(first.doc_id) or _too_long(quotes):
            return None
        query = urlencode([("quote", q) for q in quotes])
        return f"page/{url_quote(first.doc_id, safe='')}/{first.page}.png?{query}"

    def png(self, doc_id: str, page: int, quotes: Sequence[str] = ()) -> bytes:
        """PNG bytes of page ``page`` with ``quotes`` boxed; PageViewError names a bad request."""
        if not self.available(doc_id):
            raise PageViewError(f"no PDF page image for document {doc_id!r}")
        if _too_long(quotes):
            raise PageViewError(
                f"at most {MAX_QUOTES} quotes of {MAX_QUOTE_CHARS} characters", status=400
            )
        stored = self.index.docs[doc_id].document
        if not 1 <= page <= len(stored.pages):
            raise PageViewError(f"{doc_id} has pages 1–{len(stored.pages)}, not {page}")
        key = hashlib.sha256(
            "\n".join([stored.content_hash, str(page), *quotes]).encode()
        ).hexdigest()
        path = self.folder / doc_id / f"{key[:32]}.png"
        if path.is_file():
            return path.read_bytes()
        pdf_path = self.index.pdf_copy(doc_id)
        boxes = [box for quote in quotes for box in quote_boxes(pdf_path, page, quote)]
        data = render_page(pdf_path, page, boxes)
        self._store(path, data)
        return data

    def _store(self, path: Path, data: bytes) -> None:
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            cached = sorted(self.folder.glob("*/*.png"), key=lambda p: p.stat().st_mtime)
            for old in cached[:-MAX_CACHED]:
                old.unlink(missing_ok=True)

    def forget(self, doc_id: str) -> None:
        """Drop the cached images of a removed document."""
        with self._lock:
            shutil.rmtree(self.folder / doc_id, ignore_errors=True)


def _too_long(quotes: Sequence[str]) -> bool:
    return len(quotes) > MAX_QUOTES or any(len(q) > MAX_QUOTE_CHARS for q in quotes)
