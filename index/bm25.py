"""Lexical retrieval: llama-index's BM25Retriever fed with fugashi tokens.

The stock retriever tokenises with an English regex (every Japanese clause becomes one token, so
scores are 0) and ignores ``tokenizer=``; this subclass indexes and queries bm25s with our tokens.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import bm25s
import numpy as np
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict
from llama_index.retrievers.bm25 import BM25Retriever

from index.tokenize import tokenize


class JapaneseBM25Retriever(BM25Retriever):
    """BM25 over fugashi content-word tokens, with an optional per-query document filter."""

    def __init__(
        self,
        nodes: Sequence[BaseNode] | None = None,
        corpus_tokens: list[list[str]] | None = None,
        existing_bm25: bm25s.BM25 | None = None,
        similarity_top_k: int = 10,
        **kwargs: object,
    ) -> None:
        if existing_bm25 is None:
            nodes = list(nodes or [])
            corpus = [node_to_metadata_dict(n) | {"node_id": n.node_id} for n in nodes]
            tokens = (
                corpus_tokens
                if corpus_tokens is not None
                else [tokenize(n.get_content()) for n in nodes]
            )
            existing_bm25 = bm25s.BM25(corpus=corpus)
            existing_bm25.index(tokens, show_progress=False)
        super().__init__(
            existing_bm25=existing_bm25,
            similarity_top_k=similarity_top_k,
            skip_stemming=True,
            **kwargs,
        )
        self._doc_ids = np.array([entry.get("doc_id", "") for entry in self.corpus])
        self._rows = np.arange(len(self.corpus))

    def search(
        self, query: str, k: int, doc_ids: Collection[str] | None = None
    ) -> list[NodeWithScore]:
        """Top ``k`` chunks with a positive score, optionally within some documents."""
        return [
            NodeWithScore(node=metadata_dict_to_node(self.corpus[row]), score=score)
            for row, score in self._top(query, k, doc_ids)
        ]

    def scored_ids(
        self, query: str, k: int, doc_ids: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """Like ``search`` but only node ids and scores (no node rebuilt from its JSON)."""
        return [(self.corpus[row]["node_id"], score) for row, score in self._top(query, k, doc_ids)]

    def _top(
        self, query: str, k: int, doc_ids: Collection[str] | None
    ) -> list[tuple[int, float]]:
        """Corpus rows and scores of the best ``k`` positive-scoring chunks."""
        query_tokens = tokenize(query)
        if not query_tokens or not len(self.corpus):
            return []
        mask = np.isin(self._doc_ids, list(doc_ids)).astype(np.float32) if doc_ids else None
        rows, scores = self.bm25.retrieve(
            [query_tokens],
            corpus=self._rows,  # positions, not the stored node dicts
            k=min(k, len(self.corpus)),
            show_progress=False,
            weight_mask=mask,
            n_threads=0,  # in this thread: a one-query thread pool only adds overhead
        )
        return [
            (int(row), float(score))
            for row, score in zip(rows[0], scores[0], strict=True)
            if score > 0
        ]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.search(query_bundle.query_str, self.similarity_top_k)
