"""``python -m eval table-threshold``: the refusal threshold for questions whose likeliest
sentence is a table row, chosen on real-PDF questions and written into the selector's card.

The candidate trees are fitted on JaQuAD, which has no tables, and rate table rows low, so the
answerability of a question whose best candidate is a table row runs low too: with the model
fitted on JaQuAD alone only 74% of the tuning sets' answerable such questions were answered at
the general threshold; with the answerability model refitted on those sets too, 93% (95% at
the table threshold; the card's ``table_threshold_validation``, in-sample now). Those
questions get their own threshold, chosen like the general one (best balanced accuracy, the
same grid) but only on them: the questions of ``DOCUMENT_SETS`` over ``../shared/realpdfs``,
asked through the whole answer path with the shipped model. The later sets (realpdf_fresh4 and on)
stay held out. ``make selector`` runs it after each fit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from assistant.pipeline import Assistant
from assistant.selector import CARD_FILE, MODEL_DIR, load_selector
from eval.dataset import EvalItem, load_items
from eval.run import open_eval_index
from eval.train_selector import DOCUMENT_SETS, Scored, answered_shares, choose_threshold

ROOT = Path(__file__).resolve().parent.parent
REALPDF_DIR = ROOT.parent / "shared" / "realpdfs"


def table_topped(assistant: Assistant, items: list[EvalItem]) -> tuple[np.ndarray, np.ndarray]:
    """P(answerable) and whether it is, for each question whose likeliest candidate is a
    table row."""
    answerability, answerable = [], []
    for item in tqdm(items, desc="questions", unit="q"):
        work = assistant.start(item.question, item.history)
        assistant.run(work)
        ranked = work.ranked
        if ranked and ranked.table_topped:
            answerability.append(ranked.answerable)
            answerable.append(item.answerable)
    return np.array(answerability), np.array(answerable, dtype=bool)


def choose(
    answerability: np.ndarray, answerable: np.ndarray, general: float
) -> tuple[float, dict[str, Any]]:
    """The threshold with the best balanced accuracy, and its metrics beside the ``general``
    threshold's."""
    threshold = choose_threshold({"tables": Scored(answerability, answerable, [])})

    def at(value: float) -> dict[str, float]:
        recall, refused = answered_shares(answerability, answerable, value)
        return {
            "threshold": value,
            "answerable_answered": round(recall, 4),
            "unanswerable_refused": round(refused, 4),
            "balanced_accuracy": round((recall + refused) / 2, 4),
        }

    return threshold, {
        "questions": len(answerable),
        "unanswerable": int((~answerable).sum()),
        "chosen": at(threshold),
        "general": at(general),
    }


def write_table_threshold(folder: Path = MODEL_DIR) -> float:
    """Choose the table-row threshold for the model in ``folder`` and write it into its card."""
    index, _ = open_eval_index(None, sorted(REALPDF_DIR.glob("*.pdf")), progress=True)
    selector = load_selector(folder)
    assistant = Assistant(index, selector=selector)
    items = [i for name in DOCUMENT_SETS for i in load_items(ROOT / "eval" / f"{name}.jsonl")]
    threshold, metrics = choose(*table_topped(assistant, items), selector.threshold)
    card_file = folder / CARD_FILE.name
    card = json.loads(card_file.read_text(encoding="utf-8"))
    card["table_threshold"] = threshold
    card["table_threshold_validation"] = {"sets": list(DOCUMENT_SETS), **metrics}
    card_file.write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(metrics, indent=1))
    print(f"table-row threshold {threshold} written to {card_file}")
    return threshold


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval table-threshold", description=__doc__)
    parser.add_argument("--model", type=Path, default=MODEL_DIR, help="the selector's folder")
    args = parser.parse_args(argv)
    if not REALPDF_DIR.is_dir():
        print(f"error: {REALPDF_DIR}: no such folder (the real PDFs)", file=sys.stderr)
        return 2
    write_table_threshold(args.model)
    return 0
