"""Retrieval quality of bm25, dense and hybrid fusion over the shipped index.

Run: ``.venv/bin/python bench/fusion.py [--home DIR]`` (default: a fresh temp index of the shipped
PDFs). Queries: ``bench/dev_queries.jsonl`` (development set; eval/questions.jsonl is not used).
A hit is relevant when its doc_id and page match and its text contains the query's phrase.
Prints Recall@1, Recall@5 and MRR@10 for each mode, for the index's relative-score fusion at
several weights and candidate depths (module constants monkeypatched), and for reciprocal-rank
fusion at several k (computed here from the two retrievers' lists: the index no longer has it).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from index import policy_index
from index.ingest import open_index
from index.policy_index import PolicyIndex, SearchHit

QUERIES_PATH = Path(__file__).with_name("dev_queries.jsonl")
BM25_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)  # dense weight = 1 - bm25 weight
RRF_KS = (1, 5, 10, 20, 60, 100)
DEPTHS = (20, 50)
TOP = 10

Ranker = Callable[["DevQuery", list[float]], list[SearchHit]]


@dataclass(frozen=True)
class DevQuery:
    query: str
    doc_id: str
    page: int
    phrase: str


def load_dev_queries(path: Path = QUERIES_PATH) -> list[DevQuery]:
    """The development queries; a malformed line stops with a one-line message."""
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            queries.append(
                DevQuery(data["query"], data["doc_id"], int(data["page"]), data["phrase"])
            )
        except (ValueError, KeyError, TypeError) as err:
            raise SystemExit(f"{path.name}:{number}: bad query line ({err!r})") from None
    return queries


def check_labels(index: PolicyIndex, queries: list[DevQuery]) -> None:
    """Stop if a query's phrase is in no chunk of its labelled page (a labelling mistake)."""
    chunks = index.chunks()
    for q in queries:
        if not any(
            c.metadata["doc_id"] == q.doc_id and c.metadata["page"] == q.page and q.phrase in c.text
            for c in chunks
        ):
            raise SystemExit(f"{q.query!r}: phrase {q.phrase!r} not in {q.doc_id} p{q.page}")


def first_relevant(ranking: list[SearchHit], q: DevQuery) -> int | None:
    """1-based position of the first relevant hit within the top ``TOP``, else None."""
    return next(
        (
            position
            for position, h in enumerate(ranking[:TOP], start=1)
            if h.doc_id == q.doc_id and h.page == q.page and q.phrase in h.text
        ),
        None,
    )


def scores(ranks: list[int | None]) -> tuple[float, float, float]:
    """Recall@1, Recall@5 and MRR@10 of first-relevant ranks."""
    n = len(ranks)
    r1 = sum(1 for r in ranks if r == 1) / n
    r5 = sum(1 for r in ranks if r is not None and r <= 5) / n
    mrr = sum(1 / r for r in ranks if r is not None) / n
    return r1, r5, mrr


@contextmanager
def patched(**constants: object) -> Iterator[None]:
    """Temporarily set ``index.policy_index`` module constants (read by search at call time)."""
    saved = {name: getattr(policy_index, name) for name in constants}
    for name, value in constants.items():
        setattr(policy_index, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(policy_index, name, value)


def reciprocal_rank_fusion(lists: list[list[SearchHit]], k: int) -> list[SearchHit]:
    """Σ 1/(k + rank) over the lists; ties keep first-seen order (the index's former hybrid)."""
    totals: dict[str, float] = {}
    hits: dict[str, SearchHit] = {}
    for ranking in lists:
        for rank, hit in enumerate(ranking, start=1):
            totals[hit.chunk_id] = totals.get(hit.chunk_id, 0.0) + 1.0 / (k + rank)
            hits.setdefault(hit.chunk_id, hit)
    return [hits[i] for i in sorted(totals, key=lambda i: -totals[i])]


class Evaluator:
    """Runs rankers over the queries, with each query's vector embedded once."""

    def __init__(self, index: PolicyIndex, queries: list[DevQuery]) -> None:
        self.index = index
        self.queries = queries
        self.vectors = [index.embed_model.get_query_embedding(q.query) for q in queries]
        deepest = max(DEPTHS)
        self.bm25 = [index.search(q.query, k=deepest, mode="bm25") for q in queries]
        self.dense = [
            index.search(q.query, k=deepest, mode="dense", query_vector=v)
            for q, v in zip(queries, self.vectors, strict=True)
        ]

    def hybrid(self) -> list[list[SearchHit]]:
        """``PolicyIndex.search(mode="hybrid")`` with the module constants as they are now."""
        return [
            self.index.search(q.query, k=TOP, mode="hybrid", query_vector=v)
            for q, v in zip(self.queries, self.vectors, strict=True)
        ]

    def rrf(self, k: int, depth: int) -> list[list[SearchHit]]:
        return [
            reciprocal_rank_fusion([b[:depth], d[:depth]], k)
            for b, d in zip(self.bm25, self.dense, strict=True)
        ]

    def ranks(self, rankings: list[list[SearchHit]]) -> list[int | None]:
        return [first_relevant(r, q) for r, q in zip(rankings, self.queries, strict=True)]


def row(label: str, ranks: list[int | None]) -> str:
    r1, r5, mrr = scores(ranks)
    top1 = sum(1 for r in ranks if r == 1)
    found = sum(1 for r in ranks if r is not None)
    return f"{label:<36} {r1:6.3f} {top1:4d} {r5:6.3f} {mrr:7.3f} {found:5d}"


def report(index: PolicyIndex, queries: list[DevQuery]) -> None:
    ev = Evaluator(index, queries)
    weights, depth = policy_index.FUSION_WEIGHTS, policy_index.CANDIDATES
    print(f"queries: {len(queries)} ({QUERIES_PATH.name}); chunks in index: {len(index.chunks())}")
    print(f"index defaults: FUSION_WEIGHTS={weights} (bm25, dense), CANDIDATES={depth}")
    print("one query = 1/33 = 0.030 of R@1/R@5: differences of one or two queries are noise.")
    print()
    print(f"{'ranking':<36} {'R@1':>6} {'#top1':>4} {'R@5':>6} {'MRR@10':>7} {'found':>5}")
    print(row("bm25", ev.ranks(ev.bm25)))
    print(row("dense", ev.ranks(ev.dense)))
    defaults = ev.hybrid()
    print(row("hybrid (index defaults)", ev.ranks(defaults)))
    for d in DEPTHS:
        for w in BM25_WEIGHTS:
            with patched(FUSION_WEIGHTS=(w, round(1 - w, 2)), CANDIDATES=d):
                ranks = ev.ranks(ev.hybrid())
            print(row(f"relative-score w_bm25={w:.1f} depth={d}", ranks))
    for d in DEPTHS:
        for k in RRF_KS:
            print(row(f"RRF k={k:<3} depth={d}", ev.ranks(ev.rrf(k, d))))
    print()
    print("first relevant rank per query (- = not in top 10): bm25 dense hybrid(defaults) RRF60")
    rrf60 = ev.rrf(60, depth)
    for i, q in enumerate(queries):
        cells = [first_relevant(x[i], q) for x in (ev.bm25, ev.dense, defaults, rrf60)]
        print(" ".join(f"{c or '-':>3}" for c in cells), q.query)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--home", type=Path, help="index data folder (built there if empty)")
    args = parser.parse_args(argv)
    queries = load_dev_queries()
    with tempfile.TemporaryDirectory(prefix="policy-qa-fusion-") as tmp:
        index = open_index(args.home or Path(tmp))
        check_labels(index, queries)
        report(index, queries)


if __name__ == "__main__":
    main()
