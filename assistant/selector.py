"""The learned evidence selector: P(a candidate sentence answers the question), calibrated.

A gradient-boosted tree model (scikit-learn) over :data:`assistant.features.FEATURES`, trained
on JaQuAD train by ``make selector`` (eval/train_selector.py) and shipped in assistant/models/
with its refusal threshold and validation metrics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from assistant.features import FEATURES

MODEL_DIR = Path(__file__).with_name("models")
MODEL_FILE = MODEL_DIR / "selector.joblib"
CARD_FILE = MODEL_DIR / "selector.json"


class SelectorUnavailable(RuntimeError):
    """The fitted model is missing or was fitted on other features; ``str(err)`` says which."""


@dataclass(frozen=True)
class Selector:
    model: Any  # a fitted classifier with predict_proba
    threshold: float  # refuse when the best candidate's probability is below this
    card: dict[str, Any]  # how it was trained and what it scored

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros(0)
        return self.model.predict_proba(features)[:, 1]


@cache
def load_selector(folder: Path = MODEL_DIR) -> Selector:
    """The shipped model (loaded once per process)."""
    card_file, model_file = folder / CARD_FILE.name, folder / MODEL_FILE.name
    if not card_file.exists() or not model_file.exists():
        raise SelectorUnavailable(f"no selector model in {folder} (run `make selector`)")
    card = json.loads(card_file.read_text(encoding="utf-8"))
    if tuple(card["features"]) != FEATURES:
        raise SelectorUnavailable(
            f"{model_file.name} was fitted on other features (run `make selector`)"
        )
    return Selector(joblib.load(model_file), float(card["threshold"]), card)
