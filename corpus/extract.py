"""Turn a PDF, .txt or .md file into an ``ExtractedDocument`` (pages, sentences, tables)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from corpus.manifest import entry_for_file
from corpus.model import ExtractedDocument, ExtractionError, Page, Sentence, TableRecord
from corpus.ocr import OcrUnavailable, check_available, ocr_page
from corpus.pdflayout import LaidOutPage, OcrReader, pdf_pages
from corpus.plaintext import markdown_pages, text_pages
from corpus.sections import assemble_page, page_title

TEXT_SUFFIXES = {".txt": text_pages, ".md": markdown_pages, ".markdown": markdown_pages}
SUPPORTED = ".pdf, .txt, .md"
META_KEYS = ("title", "issuer", "date", "attribution")
_PDF_TAIL = 2048  # bytes at the end of a PDF that must hold its %%EOF marker
COVER_PAGES = 3  # the document title is looked for on the first pages that have text
# PDF Title metadata that names no document: software placeholders, file names, identifiers.
_PLACEHOLDER_TITLE = re.compile(
    r"^(?:untitled|無題|タイトルなし|PowerPoint プレゼンテーション|スライド\s*\d*"
    r"|(?:microsoft\s*)?(?:word|powerpoint|excel)\s*-\s.*|.*\.(?:docx?|pptx?|xlsx?|pdf|txt|rtf)"
    r"|[\w.\-]*[\d_][\w.\-]*|(?:資料|別紙|別添|参考|付録|添付)\s*[\d０-９\-－]*)$",
    re.IGNORECASE | re.ASCII,
)


def extract_document(
    path: str | Path,
    doc_id: str | None = None,
    meta: Mapping[str, str] | None = None,
    ocr: bool = False,
) -> ExtractedDocument:
    """Extract one file; ``meta`` (title, issuer, date, attribution) overrides found metadata,
    ``ocr`` reads scanned PDF pages with Tesseract.

    Raises ExtractionError with a one-line "<file name>: <reason>" message for unusable input.
    """
    path = Path(path)
    data = _read_bytes(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        pages, embedded_title = _read_pdf(path, data, ocr)
    elif suffix in TEXT_SUFFIXES:
        blocks = TEXT_SUFFIXES[suffix](_decode(path, data))
        pages, embedded_title = [LaidOutPage(page, ()) for page in blocks], ""
    else:
        raise ExtractionError(
            f"{path.name}: unsupported file type '{suffix}' (expected {SUPPORTED})"
        )
    if not any(page.blocks for page in pages):
        raise ExtractionError(f"{path.name}: no text found")
    return _document(path, data, pages, embedded_title, doc_id, dict(meta or {}))


def default_doc_id(path: Path) -> str:
    """ASCII slug of the file stem, or "doc-" + a sha256 prefix of the name for other stems."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    if path.stem.isascii() and slug:
        return slug
    return "doc-" + hashlib.sha256(path.name.encode("utf-8")).hexdigest()[:12]


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ExtractionError(f"{path.name}: file not found ({path})")
    if not path.is_file():
        raise ExtractionError(f"{path.name}: not a regular file")
    data = path.read_bytes()
    if not data.strip():
        raise ExtractionError(f"{path.name}: file is empty")
    return data


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data:
        raise ExtractionError(f"{path.name}: binary data, not text")
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExtractionError(f"{path.name}: text is neither UTF-8 nor Shift_JIS")


def _read_pdf(path: Path, data: bytes, ocr: bool) -> tuple[list[LaidOutPage], str]:
    if b"%PDF-" not in data[:1024]:
        raise ExtractionError(f"{path.name}: not a PDF (no %PDF header)")
    if b"%%EOF" not in data[-_PDF_TAIL:]:
        raise ExtractionError(f"{path.name}: truncated PDF (no %%EOF marker at the end)")
    reader: OcrReader | None = None
    if ocr:
        try:
            check_available()
        except OcrUnavailable as err:
            raise ExtractionError(f"{path.name}: {err}") from None
        reader = lambda index: ocr_page(path, index)  # noqa: E731
    try:
        with pdfplumber.open(path) as pdf:
            return _pdf_content(path, pdf, reader)
    except ExtractionError:
        raise
    except (PDFPasswordIncorrect, PdfminerException) as err:
        if _is_password_error(err):
            raise ExtractionError(f"{path.name}: encrypted PDF (password required)") from None
        raise ExtractionError(f"{path.name}: corrupt PDF ({_reason(err)})") from None
    except Exception as err:  # pdfminer raises many unrelated types on malformed files
        raise ExtractionError(f"{path.name}: corrupt PDF ({_reason(err)})") from None


def _pdf_content(
    path: Path, pdf: pdfplumber.PDF, ocr: OcrReader | None
) -> tuple[list[LaidOutPage], str]:
    """Laid-out pages and the metadata title of an open PDF."""
    for page in pdf.pages:
        _ = page.objects  # parse every content stream first, so parser errors count as corrupt
    title = pdf.metadata.get("Title", "")
    try:
        pages = pdf_pages(pdf, ocr)
    except Exception as err:  # layout of a parseable but unusual PDF: report, don't crash
        raise ExtractionError(f"{path.name}: cannot lay out the text ({_reason(err)})") from err
    if not pages:
        raise ExtractionError(f"{path.name}: corrupt PDF (no pages)")
    if not any(page.blocks for page in pages):
        hint = "OCR found no text" if ocr else "scanned image only? ingest with --ocr to read it"
        raise ExtractionError(f"{path.name}: no text layer ({hint})")
    title = " ".join(title.split()) if isinstance(title, str) else ""
    return pages, "" if is_placeholder_title(title, path.stem) else title


def is_placeholder_title(title: str, stem: str) -> bool:
    """Metadata titles that name no document: "Microsoft Word - x", file names, ids, 資料1."""
    return len(title) < 2 or title == stem or bool(_PLACEHOLDER_TITLE.fullmatch(title))


def _is_password_error(err: Exception) -> bool:
    cause = err.args[0] if isinstance(err, PdfminerException) and err.args else err
    return isinstance(cause, PDFPasswordIncorrect)


def _reason(err: Exception) -> str:
    detail = " ".join(str(err).split())[:120]
    return f"{type(err).__name__}: {detail}" if detail else type(err).__name__


def cover_title(pages: list[LaidOutPage]) -> str:
    """The largest text on the first page that has text (then the next ones, when that text
    is only a document label such as 「資料１」)."""
    leads = [lead for page in [p for p in pages if p.blocks][:COVER_PAGES] for lead in page.leads]
    return next((lead for lead in leads if not is_placeholder_title(lead, "")), "")


def _document(
    path: Path,
    data: bytes,
    pages: list[LaidOutPage],
    embedded_title: str,
    doc_id: str | None,
    meta: dict[str, str],
) -> ExtractedDocument:
    entry = entry_for_file(path.name) if path.suffix.lower() == ".pdf" else None
    found = {"title": "", "issuer": "", "date": "", "attribution": ""}
    if entry:
        found = {key: getattr(entry, key) for key in META_KEYS}
    first_title = next((t.text for page in pages if (t := page_title(page.blocks))), "")
    found["title"] = (
        found["title"] or embedded_title or cover_title(pages) or first_title or path.stem
    )
    found |= {key: value for key, value in meta.items() if key in META_KEYS and value}
    doc_id = doc_id or (entry.doc_id if entry else default_doc_id(path))
    all_pages: list[Page] = []
    sentences: list[Sentence] = []
    tables: list[TableRecord] = []
    carried, era = None, None
    for number, page in enumerate(pages, start=1):
        parts = assemble_page(number, page.blocks, doc_id, found["title"], carried, era)
        carried, era = parts.open_sections, parts.era
        all_pages.append(replace(parts.page, ocr=page.ocr))
        sentences += parts.sentences
        tables += parts.tables
    return ExtractedDocument(
        doc_id=doc_id,
        title=found["title"],
        source=path.name,
        content_hash=hashlib.sha256(data).hexdigest(),
        pages=all_pages,
        sentences=sentences,
        tables=tables,
        **{key: found[key] for key in ("issuer", "date", "attribution")},
    )
