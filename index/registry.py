"""The document registry: one JSON file per ingested document, written atomically.

A document's file is the commit point of its ingest: vectors written before it that it does not
list are removed on the next open, so a killed ingest never leaves a half-indexed document.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.model import ExtractedDocument

# How documents are made (extraction, chunking, vectors): bump it when one of them changes, and
# documents of an older build are ingested again from their files.
BUILD_VERSION = 20


@dataclass
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]
    tokens: list[str]


@dataclass
class StoredDocument:
    document: ExtractedDocument
    chunks: list[StoredChunk]
    tokenizer: int = 1  # index.tokenize.TOKENIZER_VERSION the chunk tokens were made with
    build: int = 1  # BUILD_VERSION the document was ingested with

    @property
    def stale(self) -> bool:
        return self.build != BUILD_VERSION


class Registry:
    """Reads and writes ``<home>/docs/<doc_id>.json``."""

    def __init__(self, home: Path) -> None:
        self.folder = home / "docs"
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, doc_id: str) -> Path:
        return self.folder / f"{doc_id}.json"

    def load_all(self) -> dict[str, StoredDocument]:
        docs = {}
        for path in sorted(self.folder.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            docs[data["document"]["doc_id"]] = StoredDocument(
                document=ExtractedDocument.from_json(data["document"]),
                chunks=[StoredChunk(**c) for c in data["chunks"]],
                tokenizer=data.get("tokenizer", 1),
                build=data.get("build", 1),
            )
        return docs

    def save(self, stored: StoredDocument) -> None:
        path = self._path(stored.document.doc_id)
        tmp = path.with_suffix(".tmp")
        payload = {
            "document": stored.document.to_json(),
            "chunks": [vars(c) for c in stored.chunks],
            "tokenizer": stored.tokenizer,
            "build": stored.build,
        }
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def remove(self, doc_id: str) -> None:
        self._path(doc_id).unlink(missing_ok=True)

    def clear(self) -> None:
        for path in self.folder.glob("*.json"):
            path.unlink()
