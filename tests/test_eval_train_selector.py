"""Training the evidence selector: a question about a name no document mentions, the
refusal threshold for table rows, and the answerability model's real-PDF questions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from assistant.features import FEATURES
from eval.table_threshold import choose
from eval.train_selector import Models, Rows, cross_fitted, fit_answerable, main, swapped


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


def _rows(group: int, answerable: list[bool], signal: list[float]) -> list[Rows]:
    """One-candidate questions whose first feature carries ``signal``."""
    rows = []
    for number, (label, value) in enumerate(zip(answerable, signal, strict=True)):
        features = np.full((1, len(FEATURES)), 0.1 * (number % 3))
        features[0, 0] = value
        rows.append(Rows(f"{group}-{number}", group, features, np.array([label]), label))
    return rows


def _candidates() -> LogisticRegression:
    """A real (tiny) candidate model: P(answers) rises with the first feature."""
    x = np.zeros((40, len(FEATURES)))
    x[:, 0] = np.linspace(0, 1, 40)
    return LogisticRegression().fit(x, x[:, 0] > 0.5)


def _p(model: object, value: float, candidates: LogisticRegression) -> float:
    """P(answerable) of a one-candidate question whose first feature is ``value``."""
    return Models(candidates, model).answerability(_rows(0, [True], [value])[0])


def test_the_real_pdf_questions_weigh_as_much_as_the_document_weight_says() -> None:
    # JaQuAD: a high first feature means answerable; the documents say the opposite
    candidates = _candidates()
    jaquad = _rows(1, [False, True] * 20, [0.1, 0.9] * 20)
    documents = _rows(2, [True, False] * 5, [0.1, 0.9] * 5)
    light = fit_answerable(candidates, jaquad, documents, weight=0.1)
    heavy = fit_answerable(candidates, jaquad, documents, weight=10.0)
    assert _p(light, 0.9, candidates) > 0.5 > _p(light, 0.1, candidates)
    assert _p(heavy, 0.1, candidates) > 0.5 > _p(heavy, 0.9, candidates)


def test_each_real_pdf_set_is_scored_by_a_model_fitted_without_it() -> None:
    candidates = _candidates()
    jaquad = _rows(1, [False, True] * 20, [0.1, 0.9] * 20)
    first = _rows(2, [False, True] * 5, [0.1, 0.9] * 5)
    second = _rows(3, [True, False] * 5, [0.1, 0.9] * 5)
    flipped = [replace(r, answerable=not r.answerable) for r in first]
    before = cross_fitted(candidates, jaquad, {"a": first, "b": second}, 10.0)
    after = cross_fitted(candidates, jaquad, {"a": flipped, "b": second}, 10.0)
    assert np.array_equal(before["a"].answerability, after["a"].answerability)
    assert not np.allclose(before["b"].answerability, after["b"].answerability)


def test_keeping_the_candidates_of_a_folder_without_a_model_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["--keep-candidates", "--out", str(tmp_path)])
    assert ended.value.code == 2
    assert f"--keep-candidates: no selector model in {tmp_path}" in capsys.readouterr().err
