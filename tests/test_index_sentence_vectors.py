"""Composed sentence vectors: what a sentence's vector is made of, and what ingest stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from corpus.model import Sentence, TableRecord
from index.embedding import count_tokens, e5_backend
from index.ingest import Ingestor
from index.policy_index import PolicyIndex
from index.sentence_vectors import compose, document_parts, embedding_parts
from index.vector_cache import VectorCache
from tests.pdf_factory import Grid, Heading, Para, build_pdf


def sentence(text: str, section: tuple[str, ...], kind: str = "text") -> Sentence:
    return Sentence(page=1, section=section, start=0, end=len(text), text=text, kind=kind)


def test_a_sentence_is_embedded_with_its_heading_as_one_passage() -> None:
    parts = embedding_parts(sentence("苗を植える。", ("計画", "春の作業")))
    assert parts == ("春の作業\n苗を植える。",)
    assert embedding_parts(sentence("春の作業", ("計画", "春の作業"), "heading")) == ("春の作業",)
    assert embedding_parts(sentence("前文。", ())) == ("前文。",)


def test_a_table_row_is_made_of_its_heading_header_line_and_cells() -> None:
    row = TableRecord(
        doc_id="d",
        page=1,
        table=0,
        row=0,
        header=("町名", "", "人口"),
        cells=("北町", "", "636人"),
        label="北町",
        start=0,
        end=10,
    )
    parts = embedding_parts(sentence("北町｜人口: 636人", ("人口の表",), "table_row"), row)
    assert parts == ("人口の表", "町名｜人口", "北町｜636人")


def test_parts_are_weighted_by_their_tokens() -> None:
    vectors = {"a": np.array([1.0, 0.0]), "bbb": np.array([0.0, 1.0])}
    composed = compose([("a", "bbb"), ("bbb",)], vectors, len)
    assert np.allclose(composed[0], np.array([1.0, 3.0]) / np.sqrt(10))
    assert np.allclose(composed[1], [0.0, 1.0])


def test_a_composed_row_is_close_to_embedding_the_row_whole() -> None:
    heading, header, cells = (
        "水道事業の経営",
        "区分｜令和5年度｜令和6年度",
        "給水人口｜675人｜660人",
    )
    whole = "水道事業の経営\n給水人口｜令和5年度: 675人｜令和6年度: 660人"
    joined, *vectors = e5_backend().passage([whole, heading, header, cells])
    parts = (heading, header, cells)
    composed = compose([parts], dict(zip(parts, vectors, strict=True)), count_tokens)[0]
    assert float(composed @ joined) > 0.93
    assert float(composed @ joined) > float(np.asarray(vectors[2]) @ joined)  # cells alone


def test_ingest_stores_composed_vectors_and_embeds_each_heading_once(tmp_path: Path) -> None:
    pdf = build_pdf(
        tmp_path / "plan.pdf",
        [
            [
                Heading("水道事業の経営"),
                Para("給水人口は減少が続いている。料金の見直しを検討する。"),
                Grid([["区分", "令和5年度", "令和6年度"], ["給水人口", "675人", "660人"]]),
            ]
        ],
    )
    index = PolicyIndex(tmp_path / "home")
    ingestor = Ingestor(index, workers=1)
    assert not ingestor.ingest([pdf], progress=False).failed
    document = index.document(next(iter(index.docs)))
    assert any(s.kind == "table_row" for s in document.sentences), "the grid is read as a table"
    parts = document_parts(document)
    cache = VectorCache(index.home / "vectors.sqlite", ingestor.cache.model)
    stored = index.sentence_vectors(document.doc_id, document.sentences)
    for sentence_parts, vector in zip(parts, stored, strict=True):
        expected = compose([sentence_parts], cache.get(sentence_parts), count_tokens)[0]
        assert np.allclose(vector, expected, atol=1e-5), sentence_parts
    distinct = {text for sentence_parts in parts for text in sentence_parts}
    assert len(cache) == len(distinct) < sum(map(len, parts))  # a shared heading embedded once
