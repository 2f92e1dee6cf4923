"""OCR for scanned pages: pypdfium2 renders the page, Tesseract (jpn) reads its lines.

Needs Debian's ``tesseract-ocr`` and ``tesseract-ocr-jpn``; geometry is returned in PDF points
from the page top, so OCR lines go through the same layout rules as a text layer's lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytesseract

from corpus.textrepair import join_lines

DPI = 300
LANGUAGE = "jpn"
MIN_CONFIDENCE = 30.0  # Tesseract word confidence (0–100) below which a word is noise
INSTALL_HINT = "install tesseract-ocr and tesseract-ocr-jpn (apt-get install tesseract-ocr-jpn)"


class OcrUnavailable(Exception):
    """Tesseract or its Japanese model is missing; ``str(err)`` says what to install."""


@dataclass(frozen=True)
class OcrLine:
    """One line read by OCR, in points from the page's top-left corner."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    paragraph: int  # Tesseract's paragraph, numbered on the page


def check_available() -> None:
    """Raise OcrUnavailable unless Tesseract with the Japanese model can run."""
    try:
        languages = pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError):
        raise OcrUnavailable(f"OCR needs Tesseract: {INSTALL_HINT}") from None
    if LANGUAGE not in languages:
        raise OcrUnavailable(f"OCR needs Tesseract's Japanese model: {INSTALL_HINT}")


def ocr_page(path: Path, index: int) -> list[OcrLine]:
    """The text lines of page ``index`` (0-based) of the PDF at ``path``, in reading order."""
    scale = DPI / 72
    document = pypdfium2.PdfDocument(str(path))
    try:
        image = document[index].render(scale=scale).to_pil()
    finally:
        document.close()
    data = pytesseract.image_to_data(
        image, lang=LANGUAGE, config="--psm 3", output_type=pytesseract.Output.DICT
    )
    words: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if word.strip() and float(data["conf"][i]) >= MIN_CONFIDENCE:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            words.setdefault(key, []).append(i)
    paragraphs = {key[:2]: n for n, key in enumerate(dict.fromkeys(k[:2] for k in words))}
    lines = []
    for key, indices in words.items():
        left = min(data["left"][i] for i in indices)
        right = max(data["left"][i] + data["width"][i] for i in indices)
        top = min(data["top"][i] for i in indices)
        bottom = max(data["top"][i] + data["height"][i] for i in indices)
        text = join_lines(data["text"][i] for i in indices)
        lines.append(
            OcrLine(
                text,
                left / scale,
                right / scale,
                top / scale,
                bottom / scale,
                paragraphs[key[:2]],
            )
        )
    return lines
