"""Scoring: relevance of retrieved passages, ranking metrics, answer checks, refusal, latency.

Ranking metrics are written here because llama-index's NDCG does not cap the ideal DCG at k and
its metrics raise on an empty result list (BM25 returns none when no query token matches).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from eval.dataset import EvalItem, GoldEvidence

WHITESPACE = re.compile(r"\s+")
CUTOFFS = (1, 5, 10)
DEPTH = 10  # ranks looked at by MRR@10 and nDCG@10


def squash(text: str) -> str:
    """NFKC, then every whitespace character removed (the comparison form of eval/README.md)."""
    return WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Passage:
    """A retrieved or cited piece of text with its location."""

    doc_id: str
    page: int
    text: str


def supports(passage: Passage, gold: GoldEvidence) -> bool:
    """Same document and page, and the text contains the gold phrase."""
    return (
        passage.doc_id == gold.doc_id
        and passage.page == gold.page
        and squash(gold.phrase) in squash(passage.text)
    )


def is_relevant(passage: Passage, evidence: Iterable[GoldEvidence]) -> bool:
    return any(supports(passage, gold) for gold in evidence)


def relevance_flags(ranked: Sequence[Passage], evidence: Sequence[GoldEvidence]) -> list[bool]:
    return [is_relevant(p, evidence) for p in ranked]


def first_relevant_rank(flags: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant passage, None when none was retrieved."""
    return next((rank for rank, hit in enumerate(flags, start=1) if hit), None)


def recall_at(flags: Sequence[bool], k: int) -> float:
    """1 when a relevant passage is in the top ``k`` (any gold location counts), else 0."""
    return float(any(flags[:k]))


def reciprocal_rank(flags: Sequence[bool], k: int = DEPTH) -> float:
    rank = first_relevant_rank(flags[:k])
    return 1.0 / rank if rank else 0.0


def ndcg(flags: Sequence[bool], relevant_total: int, k: int = DEPTH) -> float:
    """Binary-relevance nDCG@k; the ideal list has min(relevant_total, k) relevant passages."""
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(relevant_total, k) + 1))
    if not ideal:
        return 0.0
    gained = sum(1.0 / math.log2(i + 1) for i, hit in enumerate(flags[:k], start=1) if hit)
    return gained / ideal


def ranking_scores(flags: Sequence[bool], relevant_total: int) -> dict[str, float]:
    """Recall@1/5/10, MRR@10 and nDCG@10 of one ranked list."""
    scores = {f"recall@{k}": recall_at(flags, k) for k in CUTOFFS}
    scores["mrr@10"] = reciprocal_rank(flags)
    scores["ndcg@10"] = ndcg(flags, relevant_total)
    return scores


def answer_correct(item: EvalItem, answer: str, refused: bool) -> bool:
    """eval/README.md: refusals are right only for ``refuse`` items; else every ``all`` string
    and at least one ``any`` string (if given) must occur in the answer."""
    if item.refuse or refused:
        return item.refuse and refused
    text = squash(answer)
    has_all = all(squash(key) in text for key in item.all)
    has_any = not item.any or any(squash(key) in text for key in item.any)
    return has_all and has_any


def quote_supported(item: EvalItem, citations: Sequence[Passage]) -> bool:
    """A citation on a gold page whose quote contains that page's gold phrase."""
    return any(is_relevant(c, item.evidence) for c in citations)


def page_supported(item: EvalItem, citations: Sequence[Passage]) -> bool:
    """A citation on a gold (doc_id, page), whatever it quotes."""
    gold_pages = {(g.doc_id, g.page) for g in item.evidence}
    return any((c.doc_id, c.page) in gold_pages for c in citations)


def refusal_scores(
    refuse_expected: Sequence[bool], refused: Sequence[bool]
) -> dict[str, float | None]:
    """Precision and recall of refusing (positive = refused; relevant = ``refuse: true``)."""
    pairs = list(zip(refuse_expected, refused, strict=True))
    true_pos = sum(1 for want, did in pairs if want and did)
    predicted = sum(1 for _, did in pairs if did)
    relevant = sum(1 for want, _ in pairs if want)
    return {
        "refusal_precision": true_pos / predicted if predicted else None,
        "refusal_recall": true_pos / relevant if relevant else None,
    }


def mean(values: Sequence[float | bool]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation), None for no values."""
    return float(np.percentile(values, q)) if len(values) else None
