"""Scoring functions of the eval harness on hand-made cases with known results."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.dataset import QUESTIONS, DatasetError, EvalItem, GoldEvidence, load_items
from eval.metrics import (
    Passage,
    answer_correct,
    first_relevant_rank,
    is_relevant,
    ndcg,
    page_supported,
    percentile,
    quote_supported,
    ranking_scores,
    reciprocal_rank,
    refusal_scores,
    squash,
)

GOLD = (GoldEvidence("doc-a", 6, "約92％に当たる約44万人"),)


def item(**changes: object) -> EvalItem:
    fields: dict[str, object] = {
        "id": "t-1",
        "type": "number",
        "question": "q",
        "history": (),
        "any": ("92%",),
        "all": (),
        "evidence": GOLD,
        "refuse": False,
    }
    fields.update(changes)
    return EvalItem(**fields)  # type: ignore[arg-type]


def test_squash_applies_nfkc_and_drops_all_whitespace() -> None:
    assert squash("２３０万 人") == "230万人"
    assert squash("約92％\u3000に\n当たる") == "約92%に当たる"


def test_relevance_needs_same_doc_page_and_phrase_even_across_line_breaks() -> None:
    text = "上半期のみで目標の約92％に\n当たる約44万人を育成。"
    assert is_relevant(Passage("doc-a", 6, text), GOLD)
    assert not is_relevant(Passage("doc-a", 5, text), GOLD)
    assert not is_relevant(Passage("doc-b", 6, text), GOLD)
    assert not is_relevant(Passage("doc-a", 6, "約44万人を育成"), GOLD)


def test_ranking_scores_on_known_ranks() -> None:
    flags = [False, True, False, True]
    scores = ranking_scores(flags, relevant_total=2)
    assert scores["recall@1"] == 0.0
    assert scores["recall@5"] == 1.0
    assert scores["recall@10"] == 1.0
    assert scores["mrr@10"] == 0.5
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert scores["ndcg@10"] == pytest.approx(expected)


def test_ranking_cutoffs_and_empty_results() -> None:
    late = [False] * 10 + [True]
    assert first_relevant_rank(late) == 11
    assert ranking_scores(late, 1) == {
        "recall@1": 0.0,
        "recall@5": 0.0,
        "recall@10": 0.0,
        "mrr@10": 0.0,
        "ndcg@10": 0.0,
    }
    assert ranking_scores([], 3)["ndcg@10"] == 0.0
    assert reciprocal_rank([False, False, True]) == pytest.approx(1 / 3)


def test_ndcg_ideal_is_capped_at_k() -> None:
    assert ndcg([True] * 10, relevant_total=25) == pytest.approx(1.0)
    assert ndcg([True, False], relevant_total=0) == 0.0


def test_answer_accuracy_rules_of_the_readme() -> None:
    listed = item(any=(), all=("仕事", "人の流れ"))
    assert answer_correct(item(), "約９２％です。", refused=False)
    assert not answer_correct(item(), "約９２％です。", refused=True)
    assert not answer_correct(item(), "約44万人です。", refused=False)
    assert answer_correct(listed, "地方に仕事をつくる、人の 流れをつくる", refused=False)
    assert not answer_correct(listed, "地方に仕事をつくる", refused=False)
    both = item(any=("厚生労働省",), all=("職業訓練",))
    assert not answer_correct(both, "職業訓練です", refused=False)
    assert answer_correct(both, "厚生労働省の職業訓練です", refused=False)
    trap = item(any=(), evidence=(), refuse=True)
    assert answer_correct(trap, "", refused=True)
    assert not answer_correct(trap, "約50万人です", refused=False)


def test_citation_support_quote_level_is_stricter_than_page_level() -> None:
    on_page = Passage("doc-a", 6, "2024年度は、年度目標約48万人に対し")
    quoting = Passage("doc-a", 6, "目標の約92％に当たる約44万人を育成")
    assert page_supported(item(), [on_page]) and not quote_supported(item(), [on_page])
    assert quote_supported(item(), [on_page, quoting])
    elsewhere = Passage("doc-a", 4, "約92％に当たる約44万人")
    assert not page_supported(item(), [elsewhere]) and not quote_supported(item(), [elsewhere])


def test_refusal_precision_and_recall() -> None:
    expected = [True, True, False, False]
    assert refusal_scores(expected, [True, False, True, False]) == {
        "refusal_precision": 0.5,
        "refusal_recall": 0.5,
    }
    assert refusal_scores(expected, [False] * 4) == {
        "refusal_precision": None,
        "refusal_recall": 0.0,
    }


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([], 95) is None


def test_shipped_question_set_loads() -> None:
    items = load_items(QUESTIONS)
    assert len(items) == 113
    assert sum(i.refuse for i in items) == 15
    assert all(i.history for i in items if i.type == "followup")


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_question_files_give_one_line_messages(tmp_path: Path) -> None:
    good = {
        "id": "x-1",
        "type": "number",
        "question": "何人？",
        "history": [],
        "any": ["1人"],
        "all": [],
        "evidence": [{"doc_id": "d", "page": 1, "phrase": "1人"}],
        "refuse": False,
    }
    cases = {
        "broken.jsonl": (["{not json"], "broken.jsonl:1: invalid JSON"),
        "missing.jsonl": (
            [json.dumps({k: v for k, v in good.items() if k != "evidence"})],
            "missing.jsonl:1: missing key(s) evidence",
        ),
        "dup.jsonl": ([json.dumps(good), json.dumps(good)], "dup.jsonl:2: duplicate id"),
        "empty.jsonl": ([""], "empty.jsonl: no questions"),
    }
    for name, (lines, message) in cases.items():
        with pytest.raises(DatasetError) as err:
            load_items(_write(tmp_path / name, lines))
        assert message in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(DatasetError, match="no such file"):
        load_items(tmp_path / "absent.jsonl")


def test_limit_keeps_file_order() -> None:
    small = Path(__file__).parent / "fixtures" / "eval_small.jsonl"
    assert [i.id for i in load_items(small, limit=2)] == ["small-num", "small-ministry"]
