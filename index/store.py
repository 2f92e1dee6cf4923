"""Where the index lives: the data folder and Chroma (embedded, or a server via CHROMA_HOST)."""

from __future__ import annotations

import os
from pathlib import Path

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings

LEGACY_CHUNKS = "policy_chunks"  # chunk vectors of indexes made before max-sim dense search
SENTENCES = "policy_sentences"


def data_home(home: Path | str | None = None) -> Path:
    """The data folder: ``home``, else ``$POLICY_QA_HOME``, else ``./var``."""
    path = Path(home or os.environ.get("POLICY_QA_HOME") or "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


def chroma_client(home: Path) -> ClientAPI:
    """A Chroma server client when CHROMA_HOST/CHROMA_PORT are set, else an embedded one."""
    settings = Settings(anonymized_telemetry=False, allow_reset=True)
    host, port = os.environ.get("CHROMA_HOST"), os.environ.get("CHROMA_PORT")
    if host or port:
        return chromadb.HttpClient(
            host=host or "127.0.0.1", port=int(port or 8000), settings=settings
        )
    return chromadb.PersistentClient(path=str(home / "chroma"), settings=settings)


def vector_collection(client: ClientAPI, name: str) -> Collection:
    """A cosine collection; we always supply embeddings (no default embedding function)."""
    return client.get_or_create_collection(
        name=name, embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
