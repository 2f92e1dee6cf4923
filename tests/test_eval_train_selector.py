"""Training the evidence selector: a question about a name no document mentions, and the
refusal threshold for table rows."""

from __future__ import annotations

import numpy as np

from eval.table_threshold import choose
from eval.train_selector import swapped


def test_a_name_of_the_question_is_swapped_for_an_absent_one_of_its_kind() -> None:
    pool = {"place": ["函館"], "number": ["1872"]}
    rng = np.random.default_rng(0)
    asked = {swapped("1901年に札幌で開かれた博覧会の名前は？", pool, rng) for _ in range(20)}
    assert asked == {
        "1901年に函館で開かれた博覧会の名前は?",
        "1872年に札幌で開かれた博覧会の名前は?",
    }


def test_a_question_naming_nothing_swappable_is_left_out() -> None:
    rng = np.random.default_rng(0)
    assert swapped("博覧会の名前は？", {"place": ["函館"]}, rng) is None
    assert swapped("札幌で開かれた博覧会は？", {"person": ["山田"]}, rng) is None


def test_the_table_threshold_is_the_one_with_the_best_balanced_accuracy() -> None:
    # two unanswerable questions at 0.05 and 0.3, answerable ones from 0.35 up: any threshold
    # in (0.3, 0.35] refuses both and answers all, and the grid's first such value wins
    answerability = np.array([0.05, 0.3, 0.35, 0.5, 0.9, 0.95])
    answerable = np.array([False, False, True, True, True, True])
    threshold, metrics = choose(answerability, answerable, general=0.6)
    assert threshold == 0.31
    assert metrics["chosen"]["balanced_accuracy"] == 1.0
    assert metrics["general"] == {
        "threshold": 0.6,
        "answerable_answered": 0.5,
        "unanswerable_refused": 1.0,
        "balanced_accuracy": 0.75,
    }
