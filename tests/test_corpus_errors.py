"""Bad input: each case raises ExtractionError with one line naming the file and the reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from corpus.build_pdfs import FONT, register_font
from corpus.extract import extract_document
from corpus.manifest import shipped_pdfs
from corpus.model import ExtractionError


def _shipped_bytes() -> bytes:
    return shipped_pdfs()[0].read_bytes()


def corrupt(path: Path) -> None:
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")


def truncated(path: Path) -> None:
    data = _shipped_bytes()
    path.write_bytes(data[: len(data) // 2])


def encrypted(path: Path) -> None:
    register_font()
    canvas = Canvas(str(path), encrypt="secret")
    canvas.setFont(FONT, 12)
    canvas.drawString(72, 720, "秘密の文書")
    canvas.save()


def image_only(path: Path) -> None:
    scan = path.with_suffix(".png")
    Image.new("RGB", (400, 300), "white").save(scan)
    canvas = Canvas(str(path))
    canvas.rect(72, 72, 300, 200)
    canvas.drawImage(str(scan), 72, 400, 200, 150)
    canvas.save()


def empty(path: Path) -> None:
    path.write_bytes(b"")


def text_named_pdf(path: Path) -> None:
    path.write_text("これはPDFではありません。", encoding="utf-8")


def unsupported(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 not a document we read")


def binary_txt(path: Path) -> None:
    path.write_bytes(b"\x00\x01\x02 binary")


def missing(path: Path) -> None:
    del path


def directory(path: Path) -> None:
    path.mkdir()


CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("corrupt.pdf", corrupt, "corrupt PDF"),
    ("truncated.pdf", truncated, "truncated PDF"),
    ("encrypted.pdf", encrypted, "encrypted PDF"),
    ("scanned.pdf", image_only, "no text layer"),
    ("empty.pdf", empty, "empty"),
    ("notes.pdf", text_named_pdf, "not a PDF"),
    ("slides.docx", unsupported, "unsupported file type"),
    ("blob.txt", binary_txt, "binary"),
    ("absent.pdf", missing, "not found"),
    ("folder.pdf", directory, "not a regular file"),
]


@pytest.mark.parametrize(("name", "make", "reason"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_one_line_error_naming_the_file(
    tmp_path: Path, name: str, make: Callable[[Path], None], reason: str
) -> None:
    path = tmp_path / name
    make(path)
    with pytest.raises(ExtractionError) as caught:
        extract_document(path)
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert reason in message
    assert "\n" not in message
