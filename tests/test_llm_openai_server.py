"""The OpenAI-compatible backend against a real llama.cpp server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.llm import Backend, LLMConfig, build_llm
from assistant.local_model import GEMMA3_270M, ensure_model

pytest.importorskip("sse_starlette", reason="llama-cpp-python[server] is not installed")

ALIAS = "gemma-3-270m"
STARTUP_TIMEOUT_S = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_models(url: str, server: subprocess.Popen[bytes], log: Path) -> list[str]:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                return [m["id"] for m in json.load(response)["data"]]
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    pytest.fail(f"llama_cpp.server did not answer in {STARTUP_TIMEOUT_S:.0f}s")


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A llama.cpp OpenAI-compatible server for the tiny Gemma GGUF, stopped after the module."""
    model = ensure_model(GEMMA3_270M)
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--model_alias",
                ALIAS,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "1024",
                "--verbose",
                "False",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        assert _wait_for_models(url, server, log) == [ALIAS]
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def remote(server_url: str) -> LLM:
    return build_llm(
        LLMConfig(backend=Backend.OPENAI, model=ALIAS, base_url=server_url, max_tokens=24)
    )


MESSAGES = [
    ChatMessage(role=MessageRole.SYSTEM, content="日本語で短く答えてください。"),
    ChatMessage(role=MessageRole.USER, content="日本の首都はどこですか？"),
]


def test_chat_through_the_openai_compatible_endpoint(remote: LLM) -> None:
    assert remote.metadata.is_chat_model
    reply = remote.chat(MESSAGES)
    assert reply.message.role == MessageRole.ASSISTANT
    assert reply.message.content
    assert reply.raw.model == ALIAS
    assert reply.raw.usage.completion_tokens <= 24


def test_streaming_equals_the_whole_reply_at_temperature_zero(remote: LLM) -> None:
    streamed = [chunk.delta for chunk in remote.stream_chat(MESSAGES) if chunk.delta]
    assert len(streamed) > 1
    assert "".join(streamed) == remote.chat(MESSAGES).message.content


def test_unreachable_endpoint_fails_fast() -> None:
    closed = build_llm(
        LLMConfig(
            backend=Backend.OPENAI, model=ALIAS, base_url=f"http://127.0.0.1:{_free_port()}/v1"
        )
    )
    started = time.monotonic()
    with pytest.raises(Exception, match="Connection error"):
        closed.chat(MESSAGES)
    assert time.monotonic() - started < 30
