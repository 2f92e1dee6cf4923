"""The selector's training rows on a small document written here: positives, and the two kinds
of negative made from an answerable question (its paragraph taken out; its answer cut out)."""

from __future__ import annotations

import pytest

from assistant.pipeline import organisation_names
from assistant.rephrase import Rephrase
from assistant.retrieve import Retrieve
from assistant.work import Turn, Work
from eval.dataset import EvalItem, GoldEvidence
from eval.train_selector import labels_for, question_rows, without_answer, without_gold_pages
from index.ingest import Ingestor
from index.policy_index import PolicyIndex

PLAN = """# あおば町水道事業計画

## 計画の概要
あおば町は老朽化した水道管の更新を進めており、計画期間は2026年度から2035年度までとする。

## 財源
更新に要する費用は総額48億円と見込み、国の交付金と水道料金の改定で賄う。

## 体制
工事の発注と進捗管理は上下水道課が担い、毎年度の実績を町議会に報告する。
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> PolicyIndex:
    folder = tmp_path_factory.mktemp("selector-docs")
    (folder / "aoba-suidou.md").write_text(PLAN, encoding="utf-8")
    index = PolicyIndex(tmp_path_factory.mktemp("selector-home"))
    assert not Ingestor(index).ingest([folder], progress=False).failed
    return index


def answerable(item_id: str, question: str, answer: str) -> EvalItem:
    gold = (GoldEvidence("aoba-suidou", 1, answer),)
    return EvalItem(item_id, "fact", question, (), (answer,), (), gold, False)


def retrieved(index: PolicyIndex, item: EvalItem) -> Work:
    names = organisation_names(index)
    work = Work(Turn(item.question))
    Rephrase(lambda: None, lambda: names).run(work)  # type: ignore[arg-type,return-value]
    Retrieve(index).run(work)
    return work


def test_a_near_miss_keeps_the_passage_and_loses_only_the_answer(index: PolicyIndex) -> None:
    item = answerable("cost", "水道管の更新費用は総額いくらですか", "48億円")
    work = retrieved(index, item)
    assert work.retrieved is not None and labels_for(item, work).any()
    near_miss = without_answer(item, work)
    assert near_miss is not None
    before, after = work.retrieved.candidates, near_miss.candidates
    assert len(after) == len(before)
    assert not any("48億円" in c.sentence.text for c in after)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b is not a]
    assert changed and all("48億円" in b.sentence.text for b, _ in changed)
    assert all(a.sentence.text == b.sentence.text.replace("48億円", "") for b, a in changed)
    assert all(a.tokens != b.tokens for b, a in changed)
    work.retrieved = near_miss
    assert not labels_for(item, work).any()


def test_no_near_miss_when_no_candidate_holds_the_answer(index: PolicyIndex) -> None:
    item = answerable("absent", "水道管の更新費用は総額いくらですか", "72億円")
    assert without_answer(item, retrieved(index, item)) is None


def test_rows_hold_both_negatives_beside_their_questions(index: PolicyIndex) -> None:
    items = [
        answerable("period", "計画期間はいつまでですか", "2035年度"),
        answerable("cost", "更新費用は総額いくらと見込んでいますか", "48億円"),
    ]
    work = retrieved(index, items[0])
    assert without_gold_pages(items[0], work) is None  # one page: nothing is left without it
    rows = question_rows(index, items, [0, 0], hard_negatives=True)
    kinds = {r.item_id: (r.answerable, int(r.labels.sum())) for r in rows}
    assert kinds["period"][0] and kinds["period"][1] >= 1
    assert kinds["cost"][0] and kinds["cost"][1] >= 1
    assert kinds["cost:without-answer"] == (False, 0)
    assert "period:without-gold" not in kinds


def test_rows_without_hard_negatives_are_the_questions_alone(index: PolicyIndex) -> None:
    items = [answerable("cost", "更新費用は総額いくらと見込んでいますか", "48億円")] * 2
    rows = question_rows(index, items, [0, 0], hard_negatives=False)
    assert [r.item_id for r in rows] == ["cost", "cost"]
    assert all(r.features.shape[0] == len(r.labels) for r in rows)
