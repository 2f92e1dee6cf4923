"""Aggregate per-question results into metrics, overall and per question type."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from eval.answers import AnswerRecord
from eval.dataset import EvalItem
from eval.metrics import mean, percentile, refusal_scores
from eval.retrieval import RetrievalResult

RANKING_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
Row = TypeVar("Row", AnswerRecord, RetrievalResult)
Metrics = dict[str, Any]


def question_types(items: Sequence[EvalItem]) -> list[str]:
    """Types in order of first appearance."""
    return list(dict.fromkeys(item.type for item in items))


def _defined(values: Sequence[Any]) -> list[Any]:
    return [v for v in values if v is not None]


def _rounded(value: float | None) -> int | None:
    return None if value is None else round(value)


def answer_metrics(pairs: Sequence[tuple[EvalItem, AnswerRecord]]) -> Metrics:
    answerable = [(i, r) for i, r in pairs if i.answerable]
    latencies = _defined([r.latency for _, r in pairs])
    return {
        "n": len(pairs),
        "accuracy": mean([r.correct for _, r in pairs]),
        "accuracy_answerable": mean([r.correct for _, r in answerable]),
        "citation_support": mean([bool(r.quote_supported) for _, r in answerable]),
        "citation_support_page": mean([bool(r.page_supported) for _, r in answerable]),
        "refused_rate": mean([r.refused for _, r in pairs]),
        "answer_chars_p50": _rounded(
            percentile([len(r.answer) for _, r in pairs if not r.refused], 50)
        ),
        "answer_chars_p50_nonlist": _rounded(
            percentile([len(r.answer) for i, r in pairs if not r.refused and i.type != "list"], 50)
        ),
        **refusal_scores([i.refuse for i, _ in pairs], [r.refused for _, r in pairs]),
        "latency_p50": percentile(latencies, 50),
        "latency_p95": percentile(latencies, 95),
        "latency_mean": mean(latencies),
        "first_piece_p50": percentile(_defined([r.first_piece for _, r in pairs]), 50),
        "pieces_per_s_mean": mean(_defined([r.pieces_per_s for _, r in pairs])),
        "paths": dict(Counter(r.path for _, r in pairs if r.path)),
    }


def retrieval_metrics(pairs: Sequence[tuple[EvalItem, RetrievalResult]]) -> Metrics:
    """Means over answerable items (unanswerable ones have no gold evidence)."""
    scored = [r for i, r in pairs if i.answerable]
    metrics: Metrics = {"n": len(scored)}
    for key in RANKING_KEYS:
        metrics[key] = mean([r.scores[key] for r in scored])
    metrics["gold_in_a_chunk"] = mean([r.relevant_total > 0 for r in scored])
    return metrics


def _by_type(
    items: Sequence[EvalItem],
    rows: Sequence[Row],
    metric: Callable[[Sequence[tuple[EvalItem, Row]]], Metrics],
) -> Metrics:
    by_id = {item.id: item for item in items}
    pairs = [(by_id[row.item_id], row) for row in rows]
    return {
        "overall": metric(pairs),
        "by_type": {
            kind: metric([(i, r) for i, r in pairs if i.type == kind])
            for kind in question_types(items)
            if any(i.type == kind for i, _ in pairs)
        },
    }


def summarize_answers(items: Sequence[EvalItem], records: Sequence[AnswerRecord]) -> Metrics:
    return _by_type(items, records, answer_metrics)


def summarize_retrieval(items: Sequence[EvalItem], results: Sequence[RetrievalResult]) -> Metrics:
    return _by_type(items, results, retrieval_metrics)
