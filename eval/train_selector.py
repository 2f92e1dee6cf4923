"""``python -m eval train-selector`` (``make selector``): fit the evidence selector.

1. Training data: the first ``--articles`` articles of JaQuAD train become an index (every 10th
   held out, as in the JaQuAD task); each question runs the answer path's rephrase and retrieve
   stages, and every retrieved sentence is a row of features, positive when it holds a gold
   answer span on the gold paragraph's page. Held-out articles' questions give all-negative rows.
2. A gradient-boosted tree model is fitted on 80% of the training articles and calibrated
   (isotonic) on the other 20%.
3. Validation: JaQuAD dev (the same sample ``python -m eval run --jaquad dev`` asks) and the
   realpdf set. The refusal threshold is the one that maximises balanced accuracy there (the
   mean, over the two sets, of answerable questions answered and unanswerable ones refused).
4. assistant/models/selector.joblib and selector.json (features, threshold, metrics).

JaQuAD is read from ``../shared/data/jaquad`` and the real PDFs from ``../shared/realpdfs``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import roc_auc_score
from tqdm import tqdm

from assistant.features import FEATURES, TermWeights, candidate_features
from assistant.pipeline import organisation_names
from assistant.rephrase import Rephrase
from assistant.retrieve import Retrieve
from assistant.selector import CARD_FILE, MODEL_FILE
from assistant.work import Turn, Work
from eval.dataset import EvalItem, load_items
from eval.jaquad import all_items, data_dir, eval_items, load_split, write_corpus
from eval.metrics import squash
from eval.run import open_eval_index
from index.policy_index import PolicyIndex
from index.store import data_home

ROOT = Path(__file__).resolve().parent.parent
REALPDF_QUESTIONS = ROOT / "eval" / "realpdf.jsonl"
REALPDF_DIR = ROOT.parent / "shared" / "realpdfs"
CALIBRATION_SHARE = 0.2
SEED = 0


@dataclass
class Rows:
    """The candidates of one question: features, labels, and whether it is answerable."""

    item_id: str
    group: int  # article (JaQuAD) or document set, for grouped splits
    features: np.ndarray
    labels: np.ndarray
    answerable: bool


def labels_for(item: EvalItem, work: Work) -> np.ndarray:
    """1 for a candidate on a gold page that holds a gold phrase or answer key."""
    assert work.retrieved is not None
    pages = {(g.doc_id, g.page) for g in item.evidence}
    keys = [squash(k) for k in (*item.any, *item.all, *(g.phrase for g in item.evidence))]
    return np.array(
        [
            (c.document.doc_id, c.sentence.page) in pages
            and any(key in squash(c.sentence.text) for key in keys)
            for c in work.retrieved.candidates
        ],
        dtype=np.int8,
    )


def question_rows(index: PolicyIndex, items: list[EvalItem], groups: list[int]) -> list[Rows]:
    """Rephrase and retrieve each question, then its candidates' features and labels."""
    weights = TermWeights(index)
    names = organisation_names(index)
    rephrase = Rephrase(lambda: None, lambda: names)  # type: ignore[arg-type,return-value]
    retrieve = Retrieve(index)
    rows = []
    for item, group in tqdm(list(zip(items, groups, strict=True)), desc="features", unit="q"):
        work = Work(Turn(item.question, tuple(item.history)))
        rephrase.run(work)
        retrieve.run(work)
        assert work.query is not None and work.retrieved is not None
        rows.append(
            Rows(
                item.id,
                group,
                candidate_features(work.query, work.retrieved, weights),
                labels_for(item, work),
                item.answerable,
            )
        )
    return rows


def cached_rows(
    path: Path, index: PolicyIndex, items: list[EvalItem], groups: list[int]
) -> list[Rows]:
    """``question_rows``, kept in ``path`` for the same features, questions and index."""
    digest = hashlib.sha256(
        json.dumps([FEATURES, [i.id for i in items], index.home.name]).encode()
    ).hexdigest()[:16]
    cache = path.with_name(f"{path.stem}-{digest}.joblib")
    if cache.exists():
        return joblib.load(cache)
    rows = question_rows(index, items, groups)
    joblib.dump(rows, cache)
    return rows


def stack(rows: list[Rows]) -> tuple[np.ndarray, np.ndarray]:
    kept = [r for r in rows if len(r.labels)]
    return np.vstack([r.features for r in kept]), np.concatenate([r.labels for r in kept])


def fit(rows: list[Rows]) -> tuple[Any, dict[str, Any]]:
    """Boosted trees on most articles, isotonic calibration on the rest."""
    groups = sorted({r.group for r in rows})
    rng = np.random.default_rng(SEED)
    held = set(rng.choice(groups, size=int(len(groups) * CALIBRATION_SHARE), replace=False))
    fit_x, fit_y = stack([r for r in rows if r.group not in held])
    cal_x, cal_y = stack([r for r in rows if r.group in held])
    trees = HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.05, max_leaf_nodes=31, min_samples_leaf=40, random_state=SEED
    ).fit(fit_x, fit_y)
    model = CalibratedClassifierCV(FrozenEstimator(trees), method="isotonic").fit(cal_x, cal_y)
    return model, {
        "fit_rows": len(fit_y),
        "fit_positives": int(fit_y.sum()),
        "calibration_rows": len(cal_y),
        "calibration_auc": round(float(roc_auc_score(cal_y, model.predict_proba(cal_x)[:, 1])), 4),
    }


def best_scores(model: Any, rows: list[Rows]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: P(best candidate), whether that candidate is a gold one, answerable."""
    best, hit = [], []
    for r in rows:
        p = model.predict_proba(r.features)[:, 1] if len(r.labels) else np.zeros(1)
        top = int(np.argmax(p))
        best.append(float(p[top]))
        hit.append(bool(len(r.labels) and r.labels[top]))
    return np.array(best), np.array(hit), np.array([r.answerable for r in rows])


def set_metrics(model: Any, rows: list[Rows], threshold: float) -> dict[str, Any]:
    best, hit, answerable = best_scores(model, rows)
    answered = best >= threshold
    metrics: dict[str, Any] = {
        "questions": len(rows),
        "top1_gold": round(float(hit[answerable].mean()), 4),
        "answerable_answered": round(float(answered[answerable].mean()), 4),
    }
    if (~answerable).any():
        metrics["unanswerable_refused"] = round(float((~answered[~answerable]).mean()), 4)
        metrics["auc_best_probability"] = round(float(roc_auc_score(answerable, best)), 4)
    return metrics


def choose_threshold(model: Any, sets: dict[str, list[Rows]]) -> float:
    """The threshold with the best balanced accuracy, averaged over the validation sets."""
    scored = [best_scores(model, rows) for rows in sets.values()]
    grid = np.round(np.arange(0.01, 0.9, 0.01), 2)

    def balanced(threshold: float) -> float:
        values = []
        for best, _, answerable in scored:
            answered = best >= threshold
            values += [answered[answerable].mean(), (~answered[~answerable]).mean()]
        return float(np.mean(values))

    return float(max(grid, key=balanced))


def realpdf_rows(home: str | None) -> list[Rows]:
    items = load_items(REALPDF_QUESTIONS)
    index, _ = open_eval_index(home, sorted(REALPDF_DIR.glob("*.pdf")), progress=True)
    return cached_rows(data_home(home) / "selector-realpdf", index, items, [0] * len(items))


def jaquad_rows(split: str, home: str | None, articles: int | None) -> list[Rows]:
    loaded = load_split(split)
    chosen = loaded[:articles] if articles else loaded
    files = write_corpus(chosen, data_home(home) / f"jaquad-{split}-docs")
    # dev: the sample `python -m eval run --jaquad dev` asks; train: every question
    items = eval_items(chosen, 1200, 150) if split == "dev" else all_items(chosen)
    article_of = {q.id: a.number for a in chosen for q in a.questions}
    index, _ = open_eval_index(home, files, progress=True)
    groups = [article_of[i.id] for i in items]
    return cached_rows(data_home(home) / f"selector-{split}", index, items, groups)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval train-selector", description=__doc__)
    parser.add_argument("--articles", type=int, default=150, help="JaQuAD train articles used")
    parser.add_argument("--home", default=None, help="data folder for the training indexes")
    parser.add_argument("--out", type=Path, default=MODEL_FILE.parent)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data_dir()  # a clear message now rather than after the first index is built
    train = jaquad_rows("train", args.home, args.articles)
    model, fitted = fit(train)
    validation = {"jaquad_dev": jaquad_rows("dev", args.home, None)}
    if REALPDF_DIR.is_dir():
        validation["realpdf"] = realpdf_rows(args.home)
    threshold = choose_threshold(model, validation)
    card = {
        "features": list(FEATURES),
        "threshold": threshold,
        "model": "HistGradientBoostingClassifier + isotonic CalibratedClassifierCV",
        "sklearn": sklearn.__version__,
        "command": "python -m eval train-selector " + " ".join(argv or sys.argv[2:]),
        "training": {"jaquad_train_articles": args.articles, "questions": len(train), **fitted},
        "validation": {
            name: set_metrics(model, rows, threshold) for name, rows in validation.items()
        },
        "seconds": round(time.perf_counter() - started),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, args.out / MODEL_FILE.name, compress=3)
    (args.out / CARD_FILE.name).write_text(
        json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(json.dumps(card["validation"], indent=1))
    print(f"threshold {threshold}; model written to {args.out}")
    return 0
