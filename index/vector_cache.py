"""Passage vectors by text, kept across runs in SQLite, so a text is embedded once ever.

Our own small store rather than llama-index's SimpleKVStore: that one is a JSON file rewritten
whole on every save (384 floats as text per entry), which grows with the corpus; here a run
appends only its new rows, in one transaction."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np


def text_key(model: str, text: str) -> str:
    """The cache key of ``text`` embedded by ``model`` (vectors of two models never mix)."""
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


class VectorCache:
    """``model``'s vectors of passages under ``path``; safe to open from several processes."""

    def __init__(self, path: Path, model: str) -> None:
        self.path = path
        self.model = model
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One connection per operation, committed on success and always closed."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            with db:
                yield db
        finally:
            db.close()

    def get(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``texts``, by text."""
        by_key = {text_key(self.model, t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        keys = list(by_key)
        with self._connect() as db:
            for start in range(0, len(keys), 500):
                batch = keys[start : start + 500]
                marks = ",".join("?" * len(batch))
                rows = db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch)
                for key, blob in rows:
                    found[by_key[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [
            (text_key(self.model, t), np.asarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def __len__(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
