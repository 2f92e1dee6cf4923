"""The shipped documents: manifest.yaml, their Markdown sources and the built PDFs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CORPUS_DIR = Path(__file__).resolve().parent
MANIFEST_PATH = CORPUS_DIR / "manifest.yaml"
PDF_DIR = CORPUS_DIR / "pdfs"


@dataclass(frozen=True)
class ManifestEntry:
    """One shipped document as described in manifest.yaml."""

    doc_id: str
    file: str  # PDF file name in pdfs/
    source: str  # Markdown source, relative to the corpus directory
    title: str
    short_title: str  # running header
    issuer: str
    issuer_estimated: bool
    date: str
    note: str
    attribution: str

    @property
    def pdf_path(self) -> Path:
        return PDF_DIR / self.file

    @property
    def source_path(self) -> Path:
        return CORPUS_DIR / self.source


@cache
def load_manifest() -> tuple[ManifestEntry, ...]:
    """All manifest entries, in manifest order."""
    data = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    return tuple(ManifestEntry(**entry) for entry in data["documents"])


def shipped_pdfs() -> list[Path]:
    """Paths of the shipped PDFs, in manifest order."""
    return [entry.pdf_path for entry in load_manifest()]


def entry_for_file(name: str) -> ManifestEntry | None:
    """The manifest entry whose PDF has this file name, if any."""
    return next((entry for entry in load_manifest() if entry.file == name), None)
