"""Query → expected page/section checks over the shipped corpus, in every search mode, and the
lookup of a section by its heading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corpus.japanese import fold
from index.ingest import Ingestor
from index.policy_index import PolicyIndex, sentence_chunks, sentence_id

DJ, CS = "digital-jinzai", "chihou-sousei-2"

# (query, doc_id, page, phrase the top chunk must contain)
HYBRID_TOP1 = [
    ("デジタル推進人材の育成目標", DJ, 4, "230万人を2022年度から2026年度末までの"),
    ("年間45万人 体制構築目標", DJ, 4, "年間45万人"),
    ("デジタル人材の都市圏への偏在", DJ, 4, "都市圏への偏在"),
    (
        "数理・データサイエンス・AI教育プログラム認定制度",
        DJ,
        5,
        "数理・データサイエンス・AI教育プログラム",
    ),
    ("情報処理技術者試験", DJ, 5, "情報処理技術者試験"),
    ("サイバー防御演習", DJ, 5, "サイバー防御演習"),
    ("３次元モデル 研修", DJ, 5, "3次元モデル"),
    ("2023年度 約51万人を育成", DJ, 6, "約51万人"),
    ("IT技術者における女性の割合", DJ, 6, "21%"),
    ("自動運転バスの運行", DJ, 3, "自動運転バス"),
    ("遠隔合同授業 三島村", DJ, 3, "三島村"),
    ("会津若松市", DJ, 3, "会津若松市"),
    ("マイナンバーカードの普及促進", DJ, 2, "マイナンバーカードの普及促進"),
    ("転職なき移住", DJ, 2, "転職なき移住"),
    ("５か年の新たな総合戦略", DJ, 1, "2023年度から2027年度まで"),
    ("ワンストップ型相談体制", DJ, 1, "ワンストップ型相談体制"),
    ("新しい地方経済・生活環境創生本部決定", CS, 1, "新しい地方経済・生活環境創生本部"),
    ("堺屋太一", CS, 1, "堺屋太一"),
    ("若者・女性の地方離れ", CS, 2, "地方離れ"),
    ("インバウンドの増加", CS, 2, "インバウンドの増加"),
    ("適切な定量的KPI", CS, 3, "定量的"),
    ("ドローン配送", CS, 4, "ドローン配送"),
    ("国民的な機運の向上", CS, 4, "国民的な機運"),
    ("極端に一極集中の国", CS, 1, "日本と韓国"),
]


@pytest.mark.parametrize(("query", "doc_id", "page", "phrase"), HYBRID_TOP1)
def test_hybrid_ranks_expected_chunk_first(
    shipped_index: PolicyIndex, query: str, doc_id: str, page: int, phrase: str
) -> None:
    top = shipped_index.search(query, k=5, mode="hybrid")[0]
    assert (top.doc_id, top.page) == (doc_id, page), top
    assert fold(phrase) in fold(top.text)


def test_table_row_chunk_carries_ministry_section(shipped_index: PolicyIndex) -> None:
    hits = shipped_index.search("公的職業訓練 デジタル分野", k=3, mode="hybrid")
    assert hits[0].page == 5
    assert "各省庁の取組" in hits[0].section


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_every_mode_finds_the_target_in_top3(shipped_index: PolicyIndex, mode: str) -> None:
    hits = shipped_index.search("デジタル推進人材を何人育成するか", k=3, mode=mode)
    assert any("230万人" in h.text for h in hits), [h.text[:40] for h in hits]


def test_document_filter_limits_results(shipped_index: PolicyIndex) -> None:
    both = {d.doc_id for d in shipped_index.documents()}
    for mode in ("bm25", "dense", "hybrid"):
        hits = shipped_index.search("人口減少", k=10, mode=mode, doc_ids=[CS])
        assert hits and {h.doc_id for h in hits} == {CS}
        wide = shipped_index.search("地方", k=20, mode=mode, doc_ids=both)
        assert {h.doc_id for h in wide} == both
        assert shipped_index.search("人口減少", k=10, mode=mode, doc_ids=[]) == []


def test_hits_are_page_text_slices(shipped_index: PolicyIndex) -> None:
    for hit in shipped_index.search("地方創生", k=10, mode="hybrid"):
        page = shipped_index.document(hit.doc_id).page(hit.page)
        assert page.text[hit.start : hit.end] == hit.text


def test_unknown_mode_is_rejected(shipped_index: PolicyIndex) -> None:
    with pytest.raises(ValueError, match="unknown search mode"):
        shipped_index.search("地方", mode="fuzzy")  # type: ignore[arg-type]


def test_vectors_the_registry_does_not_list_yet_are_skipped(shipped_index: PolicyIndex) -> None:
    """An ingest in another process writes vectors before its registry file (the commit point)."""
    query = "自動運転バスの運行"
    vector = shipped_index.embed_model.get_query_embedding(query)
    in_flight = "in-flight:p1:0-10"
    shipped_index.sentence_collection.add(
        ids=[in_flight],
        embeddings=[vector],
        metadatas=[{"doc_id": "in-flight", "page": 1, "start": 0, "end": 10}],
    )
    try:
        hits = shipped_index.search(query, k=5, mode="dense")
        assert hits and all(h.doc_id in shipped_index.docs for h in hits)
    finally:
        shipped_index.sentence_collection.delete(ids=[in_flight])


def test_dense_search_ranks_a_chunk_by_its_best_sentence(shipped_index: PolicyIndex) -> None:
    # A sentence's own vector as the query: its chunk's best sentence is then the sentence itself
    # (cosine 1), so the chunk that holds it comes first even for a lead-in such as 「このため、」,
    # whose text alone names no chunk.
    for stored in shipped_index.docs.values():
        doc_id = stored.document.doc_id
        for sentence in stored.document.sentences[::15]:
            vector = shipped_index.sentence_vectors(doc_id, [sentence])[0]
            hit = shipped_index.search(
                sentence.text, k=1, mode="dense", query_vector=vector.tolist()
            )[0]
            assert hit.score == pytest.approx(1.0, abs=1e-4)
            holds_it = (hit.doc_id, hit.page) == (doc_id, sentence.page) and (
                hit.start <= sentence.start < hit.end
            )
            assert holds_it or sentence.text in hit.text  # or an identical sentence elsewhere


QUERY = "地方に仕事をつくる取組"


def test_dense_search_is_exact_and_the_same_in_another_process(shipped_index: PolicyIndex) -> None:
    """Each chunk scores its best sentence's cosine computed over every stored vector, no chunk
    left out scores higher, and an index opened anew on the folder ranks alike (Chroma's HNSW
    returned other neighbours from one process to the next)."""
    vector = shipped_index.embed_model.get_query_embedding(QUERY)
    best: dict[str, float] = {}
    for stored in shipped_index.docs.values():
        owners = sentence_chunks(stored)
        sentences = stored.document.sentences
        vectors = shipped_index.sentence_vectors(stored.document.doc_id, sentences)
        cosines = vectors @ np.asarray(vector) / np.linalg.norm(vectors, axis=1)
        for sentence, cosine in zip(sentences, cosines, strict=True):
            chunk = owners[sentence_id(stored.document.doc_id, sentence)]
            best[chunk] = max(best.get(chunk, -1.0), float(cosine))
    hits = shipped_index.search(QUERY, k=5, mode="dense", query_vector=vector)
    assert [h.score for h in hits] == pytest.approx([best[h.chunk_id] for h in hits], abs=1e-5)
    others = [score for chunk, score in best.items() if chunk not in {h.chunk_id for h in hits}]
    assert max(others) <= hits[-1].score + 1e-6
    again = PolicyIndex(shipped_index.home).search(QUERY, k=5, mode="dense", query_vector=vector)
    assert [(h.chunk_id, h.score) for h in again] == [(h.chunk_id, h.score) for h in hits]


def test_a_heading_read_exactly_finds_its_sections_within_the_limit(tmp_path: Path) -> None:
    for name, town in (("a", "みどり市"), ("b", "あおば町")):
        text = f"# {town}の計画\n\n## 目的\n{town}の暮らしを守る。\n\n## 期間\n5年間とする。\n"
        (tmp_path / f"{name}.md").write_text(text, encoding="utf-8")
    index = PolicyIndex(tmp_path / "home")
    assert not Ingestor(index).ingest([tmp_path / "a.md", tmp_path / "b.md"], progress=False).failed
    both = index.headed(["目的"])
    assert {h.doc_id for h in both} == {"a", "b"} and all("暮らしを守る" in h.text for h in both)
    assert {h.doc_id for h in index.headed(["目的"], doc_ids={"b"})} == {"b"}
    assert len({h.doc_id for h in index.headed(["目的"], limit=1)}) == 1
    assert index.headed(["計画"]) == []  # no heading reads exactly 計画
