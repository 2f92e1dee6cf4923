"""Retrieval choices measured on question sets the retriever was not built from.

    python bench/retrieval.py --jaquad dev [--answerable 1200]
    python bench/retrieval.py --questions eval/realpdf.jsonl --corpus ../shared/realpdfs/*.pdf
    python bench/retrieval.py                      # the shipped corpus and eval/questions.jsonl

For the eval index of the set (built by ``python -m eval run`` the same way, or built here), it
prints Recall@1/5/10 and MRR@10 of: BM25 alone; dense alone with chunks ranked by their best
sentence (max-sim, what the index does), by a vector of the chunk text itself (computed here,
cached in the index folder) or by the mean of their sentence vectors; relative-score fusion at
several BM25 weights and candidate depths; and reciprocal-rank fusion. Queries are the questions
as asked (follow-ups included).

``--heading-weights 0,0.3,0.5`` adds, dense and at the index's fusion, sentence vectors that embed
the heading apart, once per section (12 % fewer tokens than ingest's "heading\nsentence" on the
real PDFs): the sentence's own vector plus w times its heading's, normalised.
``--heading-below 16,24,32`` adds ingest's vector for sentences under N e5 tokens and the
sentence's own vector (no heading) for longer ones, with the e5 tokens each variant embeds.
Several ``--questions`` files over one corpus are scored together.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chromadb.api.models.Collection import Collection as ChromaCollection  # noqa: E402

from corpus.model import Sentence  # noqa: E402
from eval.dataset import QUESTIONS, EvalItem, load_items  # noqa: E402
from eval.jaquad import eval_items, load_split, write_corpus  # noqa: E402
from eval.metrics import Passage, is_relevant, ranking_scores  # noqa: E402
from eval.run import open_eval_index  # noqa: E402
from index.embedding import e5_model  # noqa: E402
from index.ingest import sentence_embed_text  # noqa: E402
from index.policy_index import (  # noqa: E402
    CANDIDATES,
    FUSION_WEIGHTS,
    PolicyIndex,
    Ranking,
    relative_score_fusion,
    sentence_id,
)
from index.store import data_home  # noqa: E402

BM25_WEIGHTS = (0.3, 0.5, 0.6, 0.7, 0.8, 0.9)
DEPTHS = (20, 50, 100)
RRF_K = 60
TOP = 10


def stored_vectors(collection: ChromaCollection, ids: Sequence[str]) -> np.ndarray:
    """Vectors of ``ids`` as stored in a Chroma collection, in that order."""
    by_id: dict[str, np.ndarray] = {}
    for start in range(0, len(ids), 5000):
        got = collection.get(ids=list(ids[start : start + 5000]), include=["embeddings"])
        by_id.update(zip(got["ids"], got["embeddings"], strict=True))
    return np.array([by_id[i] for i in ids], dtype=np.float32)


def cached_passages(index: PolicyIndex, texts: Sequence[str], name: str) -> dict[str, np.ndarray]:
    """Passage vectors of ``texts``, cached on disk in the index folder as ``bench-NAME.json``."""
    cache_path = index.home / f"bench-{name}.json"
    cache: dict[str, list[float]] = (
        json.loads(cache_path.read_text()) if cache_path.exists() else {}
    )
    missing = [t for t in dict.fromkeys(texts) if t not in cache]
    for start in range(0, len(missing), 32):
        batch = missing[start : start + 32]
        cache.update(zip(batch, index.embed_model.get_text_embedding_batch(batch), strict=True))
    if missing:
        cache_path.write_text(json.dumps(cache))
    return {t: np.asarray(cache[t], dtype=np.float32) for t in texts}


def chunk_text_vectors(index: PolicyIndex, ids: Sequence[str]) -> np.ndarray:
    """Each chunk's own text embedded as a passage (section path first), as ingest did before
    dense search used sentences."""
    chunks = {c.id: c for c in index.chunks()}
    texts = {i: f"{chunks[i].metadata['section']}\n{chunks[i].text}" for i in ids}
    vectors = cached_passages(index, list(texts.values()), "chunk-vectors")
    return np.array([vectors[texts[i]] for i in ids], dtype=np.float32)


def sentences_of(index: PolicyIndex, flat: Sequence[str]) -> list[Sentence]:
    """The stored sentences with ids ``flat``, in that order."""
    by_id = {
        sentence_id(stored.document.doc_id, s): s
        for stored in index.docs.values()
        for s in stored.document.sentences
    }
    return [by_id[i] for i in flat]


def heading_apart(index: PolicyIndex, flat: Sequence[str], weights: list[float]) -> dict:
    """Vectors of the sentences ``flat`` (ids): for each weight w, normalise(e(sentence) +
    w e(heading)), the heading being the innermost section title (none when it is the sentence)."""
    sentences = sentences_of(index, flat)
    headings = [s.section[-1] if s.section and s.section[-1] != s.text else "" for s in sentences]
    parts = dict.fromkeys([s.text for s in sentences] + [h for h in headings if h])
    vector_of = cached_passages(index, list(parts), "parts")
    own = np.array([vector_of[s.text] for s in sentences], dtype=np.float32)
    context = np.array(
        [vector_of[h] if h else np.zeros(own.shape[1], dtype=np.float32) for h in headings]
    )
    variants = {}
    for weight in weights:
        mixed = own + weight * context
        variants[f"heading apart w={weight}"] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return variants


def heading_below(
    index: PolicyIndex, flat: Sequence[str], stored: np.ndarray, limits: list[int]
) -> dict:
    """For each limit N: the stored ("heading\nsentence") vector of the sentences ``flat`` under
    N e5 tokens, the sentence's own vector for the rest; prints the tokens each embeds."""
    sentences = sentences_of(index, flat)
    own = cached_passages(index, [s.text for s in sentences], "parts")
    model = e5_model()
    tokens = {s.text: model.token_count(s.text) for s in sentences}
    joint = {sentence_embed_text(s) for s in sentences}
    print(f"tokens embedded, ingest: {sum(model.token_count(t) for t in joint)}")
    variants = {}
    for limit in limits:
        short = np.array([tokens[s.text] < limit for s in sentences])
        own_rows = np.array([own[s.text] for s in sentences], dtype=np.float32)
        variants[f"heading below {limit} tokens"] = np.where(short[:, None], stored, own_rows)
        texts = {sentence_embed_text(s) if tokens[s.text] < limit else s.text for s in sentences}
        print(f"tokens embedded, heading below {limit}: {sum(model.token_count(t) for t in texts)}")
    return variants


def chunk_sentences(index: PolicyIndex) -> dict[str, list[str]]:
    """Each chunk's sentence ids (a sentence belongs to the chunk that holds its start)."""
    owners: dict[str, list[str]] = {}
    for stored in index.docs.values():
        doc_id = stored.document.doc_id
        for sentence in stored.document.sentences:
            start = sentence.start
            chunk = index.chunk_containing(doc_id, sentence.page, start, start + 1)
            if chunk:
                owners.setdefault(chunk.id, []).append(sentence_id(doc_id, sentence))
    return owners


def max_sim(
    matrix: np.ndarray, owner: np.ndarray, ids: Sequence[str], queries: list[np.ndarray], k: int
) -> list[Ranking]:
    """Chunks ranked by their best sentence's similarity (``owner``: each row's chunk)."""
    ranked: list[Ranking] = []
    for query in queries:
        best = np.full(len(ids), -1.0, dtype=np.float32)
        np.maximum.at(best, owner, matrix @ query)
        order = np.argsort(-best)[:k]
        ranked.append([(ids[i], float(best[i])) for i in order])
    return ranked


def dense_ranking(vectors: np.ndarray, ids: Sequence[str], query: np.ndarray, k: int) -> Ranking:
    scores = vectors @ query
    order = np.argsort(-scores)[:k]
    return [(ids[i], float(scores[i])) for i in order]


def rrf(rankings: list[Ranking], k: int = RRF_K) -> Ranking:
    totals: dict[str, float] = {}
    for ranking in rankings:
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            totals[chunk_id] = totals.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return sorted(totals.items(), key=lambda item: -item[1])


def score(rankings: dict[str, list[Ranking]], items: list[EvalItem], index: PolicyIndex) -> None:
    chunks = {c.id: c for c in index.chunks()}
    print(f"{'variant':34s} {'R@1':>6s} {'R@5':>6s} {'R@10':>6s} {'MRR@10':>7s}")
    for name, per_item in rankings.items():
        totals: dict[str, list[float]] = {}
        for item, ranking in zip(items, per_item, strict=True):
            flags = [
                is_relevant(
                    Passage(
                        chunks[i].metadata["doc_id"], chunks[i].metadata["page"], chunks[i].text
                    ),
                    item.evidence,
                )
                for i, _ in ranking[:TOP]
            ]
            for key, value in ranking_scores(flags, 1).items():
                totals.setdefault(key, []).append(value)
        means = {key: float(np.mean(values)) for key, values in totals.items()}
        print(
            f"{name:34s} {means['recall@1']:6.3f} {means['recall@5']:6.3f} "
            f"{means['recall@10']:6.3f} {means['mrr@10']:7.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, nargs="+", default=[QUESTIONS])
    parser.add_argument("--corpus", type=Path, nargs="+", default=None)
    parser.add_argument("--jaquad", choices=("train", "dev"), default=None)
    parser.add_argument("--answerable", type=int, default=1200)
    parser.add_argument("--home", default=None)
    parser.add_argument("--heading-weights", default="", help="e.g. 0,0.3,0.5 (see above)")
    parser.add_argument("--heading-below", default="", help="e.g. 16,24,32 (see above)")
    args = parser.parse_args()
    if args.jaquad:
        articles = load_split(args.jaquad)
        args.corpus = write_corpus(articles, data_home(args.home) / f"jaquad-{args.jaquad}-docs")
        items = eval_items(articles, args.answerable, 0)
    else:
        items = [item for path in args.questions for item in load_items(path)]
    items = [item for item in items if item.answerable]
    index, _ = open_eval_index(args.home, args.corpus, progress=True)
    ids = [c.id for c in index.chunks()]
    queries = [np.asarray(index.embed_model.get_query_embedding(i.question)) for i in items]
    owners = chunk_sentences(index)
    flat = [s for i in ids for s in owners.get(i, [])]
    owner = np.array([n for n, i in enumerate(ids) for _ in owners.get(i, [])])
    matrix = stored_vectors(index.sentence_collection, flat)
    means = np.zeros((len(ids), matrix.shape[1]), dtype=np.float32)
    np.add.at(means, owner, matrix)
    means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-9)
    vectors = {"chunk": chunk_text_vectors(index, ids), "mean": means}
    bm25 = [index._lexical(item.question, max(DEPTHS), None) for item in items]
    rankings: dict[str, list[Ranking]] = {"bm25": bm25}
    dense_by_kind = {
        kind: [dense_ranking(chunk_vectors, ids, q, max(DEPTHS)) for q in queries]
        for kind, chunk_vectors in vectors.items()
    }
    dense_by_kind["max-sim"] = max_sim(matrix, owner, ids, queries, max(DEPTHS))
    for kind, dense in dense_by_kind.items():
        rankings[f"dense ({kind})"] = dense
        for depth in DEPTHS:
            for weight in BM25_WEIGHTS:
                rankings[f"fusion {kind} w_bm25={weight} depth={depth}"] = [
                    relative_score_fusion([b[:depth], d[:depth]], (weight, 1 - weight))
                    for b, d in zip(bm25, dense, strict=True)
                ]
        rankings[f"rrf {kind} k={RRF_K} depth=50"] = [
            rrf([b[:50], d[:50]]) for b, d in zip(bm25, dense, strict=True)
        ]
    weights = [float(w) for w in args.heading_weights.split(",") if w.strip()]
    limits = [int(n) for n in args.heading_below.split(",") if n.strip()]
    variants = heading_apart(index, flat, weights) | heading_below(index, flat, matrix, limits)
    for kind, variant in variants.items():
        dense = max_sim(variant, owner, ids, queries, CANDIDATES)
        rankings[f"dense max-sim {kind}"] = dense
        rankings[f"fusion max-sim {kind}"] = [
            relative_score_fusion([b[:CANDIDATES], d], FUSION_WEIGHTS)
            for b, d in zip(bm25, dense, strict=True)
        ]
    print(f"{len(items)} answerable questions, {len(ids)} chunks, load {os.getloadavg()[0]:.2f}")
    score(rankings, items, index)


if __name__ == "__main__":
    main()
