"""Shared pytest fixtures.

Corpus fixtures are prefixed ``corpus_``. The index fixtures (shipped_index, shipped_home,
chroma_server) were reconstructed from their uses after this file was accidentally overwritten;
their owner should check them against the originals.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest

from corpus.extract import extract_document
from corpus.manifest import load_manifest
from corpus.model import ExtractedDocument
from index.ingest import open_index
from index.policy_index import PolicyIndex


@pytest.fixture(scope="session")
def corpus_documents() -> dict[str, ExtractedDocument]:
    """The shipped PDFs, extracted once per test session, by doc_id."""
    return {entry.doc_id: extract_document(entry.pdf_path) for entry in load_manifest()}


@pytest.fixture(scope="session")
def corpus_source_documents() -> dict[str, ExtractedDocument]:
    """The shipped documents' Markdown sources, ingested as .md files, by doc_id."""
    return {entry.doc_id: extract_document(entry.source_path) for entry in load_manifest()}


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory: pytest.TempPathFactory) -> PolicyIndex:
    """An index of the shipped corpus in a session data folder (built once)."""
    return open_index(tmp_path_factory.mktemp("shipped-home"))


@pytest.fixture(scope="session")
def shipped_home(shipped_index: PolicyIndex) -> Path:
    """The data folder of ``shipped_index`` (copy it before changing anything)."""
    return shipped_index.home


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real Chroma server (``chroma run``) on a free local port, for the session."""
    host, port = "127.0.0.1", _free_port()
    chroma = Path(sys.executable).parent / "chroma"
    path = tmp_path_factory.mktemp("chroma-server")
    command = [str(chroma), "run", "--path", str(path), "--host", host, "--port", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            chromadb.HttpClient(host=host, port=port).heartbeat()
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"chroma server did not start on {host}:{port}")
            time.sleep(0.2)
    yield host, port
    proc.terminate()
    proc.wait(timeout=30)
