"""The learned evidence selector, in two calibrated parts:

- P(a candidate sentence answers the question): gradient-boosted trees (scikit-learn) over
  :data:`assistant.features.FEATURES`, isotonic-calibrated;
- P(the documents answer the question at all): a logistic regression over
  :data:`assistant.features.QUESTION_FEATURES` (the best candidates' probabilities and how well
  the question is covered), fitted on questions the trees never saw, hard negatives included,
  and on the real-PDF tuning sets' questions.

Trained by ``make selector`` (eval/train_selector.py) and shipped in assistant/models/ with
the refusal thresholds (one for questions whose likeliest sentence is a table row, which JaQuAD
lacks: eval/table_threshold.py), the runner-up ratio and the validation metrics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from assistant.features import FEATURES, QUESTION_FEATURES, question_features

MODEL_DIR = Path(__file__).with_name("models")
MODEL_FILE = MODEL_DIR / "selector.joblib"
CARD_FILE = MODEL_DIR / "selector.json"


class SelectorUnavailable(RuntimeError):
    """The fitted model is missing or was fitted on other features; ``str(err)`` says which."""


@dataclass(frozen=True)
class Selector:
    candidates: Any  # fitted classifier over FEATURES (predict_proba)
    answerable: Any  # fitted classifier over QUESTION_FEATURES
    threshold: float  # refuse when P(answerable) is below this
    second_ratio: float  # the runner-up is stated too when its probability is this close
    card: dict[str, Any]  # how it was trained and what it scored
    # refuse below this when the likeliest sentence is a table row (eval/table_threshold.py)
    table_threshold: float

    def refusal_threshold(self, table_row: bool) -> float:
        """The threshold for a question whose likeliest sentence is (or is not) a table row."""
        return self.table_threshold if table_row else self.threshold

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros(0)
        return self.candidates.predict_proba(features)[:, 1]

    def answerability(self, features: np.ndarray, probabilities: np.ndarray) -> float:
        if not len(probabilities):
            return 0.0
        row = question_features(features, probabilities).reshape(1, -1)
        return float(self.answerable.predict_proba(row)[0, 1])


@cache
def load_selector(folder: Path = MODEL_DIR) -> Selector:
    """The shipped model (loaded once per process)."""
    card_file, model_file = folder / CARD_FILE.name, folder / MODEL_FILE.name
    if not card_file.exists() or not model_file.exists():
        raise SelectorUnavailable(f"no selector model in {folder} (run `make selector`)")
    card = json.loads(card_file.read_text(encoding="utf-8"))
    if (tuple(card["features"]), tuple(card["question_features"])) != (
        FEATURES,
        QUESTION_FEATURES,
    ):
        raise SelectorUnavailable(
            f"{model_file.name} was fitted on other features (run `make selector`)"
        )
    models = joblib.load(model_file)
    return Selector(
        models["candidates"],
        models["answerable"],
        float(card["threshold"]),
        float(card["second_ratio"]),
        card,
        float(card.get("table_threshold", card["threshold"])),
    )
