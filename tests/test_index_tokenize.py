"""fugashi tokens for BM25, and why the stock llama-index BM25 retriever is not used."""

from __future__ import annotations

from llama_index.core.schema import TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from index.bm25 import JapaneseBM25Retriever
from index.tokenize import tokenize

TEXTS = [
    "230万人を2022年度から2026年度末までの５年間で育成する。",
    "情報処理技術者試験を通じた育成を行う。",
    "自動運転バスの運行を茨城県境町で行う。",
]


def test_particles_and_symbols_are_dropped() -> None:
    tokens = tokenize("情報処理技術者試験を通じた育成。")
    assert "を" not in tokens and "。" not in tokens
    assert {"情報", "処理", "試験", "育成"} <= set(tokens)


def test_numbers_stay_whole_and_are_nfkc() -> None:
    tokens = tokenize("230万人を５年間で、約92％、約４万２千人")
    assert "230万" in tokens
    assert "5" in tokens  # full-width ５ normalised
    assert "92%" in tokens
    assert "4万2千" in tokens
    assert "230万" in tokenize("230万")  # so 230万人 matches 230万


def test_separate_numbers_are_not_glued() -> None:
    assert tokenize("地方創生2.0 12月24日")[:3] == ["地方", "創生", "2.0"]


def test_japanese_bm25_scores_where_the_stock_retriever_scores_zero() -> None:
    nodes = [TextNode(text=t, id_=str(i)) for i, t in enumerate(TEXTS)]
    stock = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=3)
    assert all(hit.score == 0 for hit in stock.retrieve("情報処理技術者試験"))
    ours = JapaneseBM25Retriever(nodes=nodes, similarity_top_k=3)
    hits = ours.retrieve("情報処理技術者試験")
    assert hits[0].node.node_id == "1" and hits[0].score > 0
    assert ours.retrieve("境町の自動運転")[0].node.node_id == "2"


def test_bm25_returns_nothing_for_words_absent_from_the_corpus() -> None:
    ours = JapaneseBM25Retriever(nodes=[TextNode(text=t, id_=str(i)) for i, t in enumerate(TEXTS)])
    assert ours.search("パスポート", k=3) == []
