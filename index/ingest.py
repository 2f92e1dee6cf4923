"""Ingest files: extract → chunk → tokenise → embed (cached) → store; incremental by hash.

Extraction and embedding run in worker processes (index/workers.py), the rest here."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from tqdm import tqdm

from corpus.manifest import shipped_pdfs
from corpus.model import ExtractedDocument, Sentence
from index.chunking import chunk_document
from index.embedding import backend_name, count_tokens, e5_backend
from index.policy_index import PolicyIndex
from index.registry import StoredDocument
from index.tokenize import chunk_tokens
from index.vector_cache import VectorCache
from index.workers import embed_all, ingest_executor, timed_extract_task, worker_count

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md")
STAGES = ("extract", "chunk", "tokenize", "embed", "store")


@dataclass
class FileResult:
    path: str
    status: str  # "added" | "replaced" | "unchanged" | "failed"
    message: str = ""
    doc_id: str = ""
    pages: int = 0
    chunks: int = 0


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]


def _unchanged_result(path: Path, stored: StoredDocument) -> FileResult:
    document = stored.document
    return FileResult(
        str(path),
        "unchanged",
        doc_id=document.doc_id,
        pages=len(document.pages),
        chunks=len(stored.chunks),
    )


def _same_document(stored: ExtractedDocument, new: ExtractedDocument) -> bool:
    return (stored.content_hash, stored.title) == (new.content_hash, new.title)


def sentence_embed_text(sentence: Sentence) -> str:
    """A sentence with its innermost section heading, so short bullets keep their context."""
    heading = sentence.section[-1] if sentence.section else ""
    return sentence.text if heading in ("", sentence.text) else f"{heading}\n{sentence.text}"


def expand_paths(paths: Iterable[Path | str]) -> tuple[list[Path], list[FileResult]]:
    """Files to ingest (folders searched recursively) and one failure per missing path."""
    files: list[Path] = []
    missing: list[FileResult] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
            )
        elif path.exists():
            files.append(path)
        else:
            missing.append(FileResult(str(path), "failed", f"{path}: no such file or folder"))
    return files, missing


@dataclass(frozen=True)
class Progress:
    """Where a run stands: pages stored of all pages found, and the file just finished."""

    pages_done: int
    pages_total: int
    files_done: int
    files_total: int
    file: str
    seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.pages_done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the rate so far (None before the first page is stored)."""
        rate = self.pages_per_second
        return (self.pages_total - self.pages_done) / rate if rate > 0 else None


ProgressCallback = Callable[[Progress], None]


def page_count(path: Path) -> int:
    """Pages of a PDF without extracting it (1 for text files and unreadable PDFs)."""
    if path.suffix.lower() != ".pdf":
        return 1
    try:
        document = pdfium.PdfDocument(path)
    except (pdfium.PdfiumError, OSError):
        return 1
    try:
        return max(len(document), 1)
    finally:
        document.close()


class Ingestor:
    """Feeds files into a :class:`PolicyIndex`: ``workers`` processes extract the files ahead
    and embed each distinct text at most once; this process chunks, tokenises and stores."""

    def __init__(self, index: PolicyIndex, workers: int | None = None) -> None:
        self.index = index
        self.workers = workers or worker_count()
        self.cache = VectorCache(index.home / "vectors.sqlite", backend_name(e5_backend()))

    def ingest(
        self,
        paths: Iterable[Path | str],
        rebuild: bool = False,
        progress: bool = True,
        *,
        ocr: bool = False,
        title: str = "",
        on_progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Ingest files and folders; ``ocr`` reads scanned PDF pages, ``title`` names the
        document (it replaces the title found in the file; use it for one file at a time).

        ``progress`` draws a page bar (pages/s, ETA) on stderr; ``on_progress`` is told after
        every file. Seconds per stage: extraction is summed over the workers, the other stages
        are this process's wall time (embedding: waiting for the workers' vectors)."""
        report = IngestReport()
        files, missing = expand_paths(paths)
        report.results.extend(missing)
        if rebuild:
            self.index.clear()
        pages = {path: page_count(path) for path in files}
        total = sum(pages.values())
        bar = tqdm(total=total, desc="ingest", unit="page", disable=not progress)
        started, pages_done = time.perf_counter(), 0
        try:
            with ingest_executor(self.workers) as executor:
                extracted = self._extracted(executor, files, ocr, title, report.seconds)
                for done, (path, outcome) in enumerate(extracted, start=1):
                    report.results.append(self._store(path, outcome, executor, report.seconds))
                    pages_done += pages[path]
                    bar.update(pages[path])
                    if on_progress:
                        seconds = time.perf_counter() - started
                        on_progress(
                            Progress(pages_done, total, done, len(files), path.name, seconds)
                        )
        finally:  # once per run: the lexical index is rebuilt from every document
            bar.close()
            clock = time.perf_counter()
            self.index.refresh_lexical()
            report.seconds["store"] += time.perf_counter() - clock
        return report

    def _extracted(
        self,
        executor: Executor,
        files: list[Path],
        ocr: bool,
        title: str,
        seconds: dict[str, float],
    ) -> Iterator[tuple[Path, FileResult | ExtractedDocument]]:
        """Each file's extraction (or its result when it needs none), in order; up to one file
        per worker is extracted ahead while the current one is embedded."""
        ahead: deque[tuple[Path, Future | FileResult]] = deque()
        queue = iter(files)

        def look_ahead() -> None:
            while len(ahead) <= self.workers and (path := next(queue, None)) is not None:
                ahead.append(
                    (path, self._unchanged(path, title) or self._submit(executor, path, ocr, title))
                )

        look_ahead()
        while ahead:
            path, pending = ahead.popleft()
            look_ahead()
            if isinstance(pending, FileResult):
                yield path, pending
                continue
            outcome, took = pending.result()
            seconds["extract"] += took
            if isinstance(outcome, str):
                yield path, FileResult(str(path), "failed", outcome)
            else:
                yield path, outcome

    @staticmethod
    def _submit(executor: Executor, path: Path, ocr: bool, title: str) -> Future:
        return executor.submit(timed_extract_task, path, {"title": title}, ocr)

    def _unchanged(self, path: Path, title: str) -> FileResult | None:
        """A file already indexed with the same bytes (and title) is skipped before extraction."""
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None  # extraction reports the reason
        for stored in self.index.docs.values():
            document = stored.document
            same_title = not title or document.title == title
            same = document.source == path.name and document.content_hash == digest
            if same and same_title and not stored.stale:
                self._keep_copy(path, document.doc_id, replace=False)
                return _unchanged_result(path, stored)
        return None

    def _keep_copy(self, path: Path, doc_id: str, replace: bool = True) -> None:
        """Keep the PDF as ``files/<doc_id>.pdf`` (for page images); other sources keep none.

        ``replace=False``: the document is unchanged, so only a missing copy is made."""
        copy = self.index.pdf_copy(doc_id)
        if path.suffix.lower() != ".pdf":
            copy.unlink(missing_ok=True)
        elif replace or not copy.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy.with_suffix(".tmp"))
            copy.with_suffix(".tmp").replace(copy)

    def _vectors(self, executor: Executor, texts: list[str]) -> np.ndarray:
        """A vector per text: cached ones read, each distinct new text embedded once."""
        known = self.cache.get(texts)
        new = [t for t in dict.fromkeys(texts) if t not in known]
        if new:
            fresh = embed_all(executor, new, self.workers)
            self.cache.put(new, fresh)
            known.update(zip(new, fresh, strict=True))
        return np.array([known[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)

    def _store(
        self,
        path: Path,
        outcome: FileResult | ExtractedDocument,
        executor: Executor,
        seconds: dict[str, float],
    ) -> FileResult:
        if isinstance(outcome, FileResult):
            return outcome
        document = outcome
        previous = self.index.docs.get(document.doc_id)
        if previous and not previous.stale and _same_document(previous.document, document):
            return _unchanged_result(path, previous)

        clock = time.perf_counter()
        nodes = chunk_document(document, count_tokens)
        seconds["chunk"] += time.perf_counter() - clock

        clock = time.perf_counter()
        tokens = [chunk_tokens(n.metadata["section"], n.text) for n in nodes]
        seconds["tokenize"] += time.perf_counter() - clock

        clock = time.perf_counter()
        sentence_texts = [sentence_embed_text(s) for s in document.sentences]
        sentence_vectors = self._vectors(executor, sentence_texts)
        seconds["embed"] += time.perf_counter() - clock

        clock = time.perf_counter()
        self._keep_copy(path, document.doc_id)  # before the registry entry that commits it
        self.index.put_document(document, nodes, tokens, sentence_vectors)
        seconds["store"] += time.perf_counter() - clock
        return FileResult(
            str(path),
            "replaced" if previous else "added",
            doc_id=document.doc_id,
            pages=len(document.pages),
            chunks=len(nodes),
        )


def open_index(home: Path | str | None = None, progress: bool = False) -> PolicyIndex:
    """Open the index; an empty one is first built from the shipped corpus, and shipped
    documents of an older build are made again."""
    index = PolicyIndex(home)
    shipped = {path.name for path in shipped_pdfs()}
    if index.is_empty or any(d.stale and d.document.source in shipped for d in index.docs.values()):
        Ingestor(index).ingest(shipped_pdfs(), progress=progress)
    return index
