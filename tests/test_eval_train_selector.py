"""Training negatives of the evidence selector: a question about a name no document mentions."""

from __future__ import annotations

import numpy as np

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
