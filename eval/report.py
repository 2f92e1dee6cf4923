"""Write a run's results: JSON and a Markdown report with PNG plots."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from eval.baselines import ANSWER_BASELINES
from eval.summary import RANKING_KEYS

SNIPPET = 60  # characters of an answer shown in the failure table
PLOTS = ("accuracy", "retrieval", "latency")


class RunClock(Protocol):
    phases: dict[str, float]

    def total(self) -> float: ...


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(rows: Sequence[Sequence[Any]]) -> list[str]:
    """Rows (the first is the header) as aligned plain-text lines."""
    cells = [[fmt(cell) for cell in row] for row in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(cells[0]))]
    return [
        "  ".join(c + " " * (w - display_width(c)) for c, w in zip(row, widths, strict=True))
        .rstrip()
        for row in cells
    ]


def cell_text(text: str, limit: int = SNIPPET) -> str:
    flat = " ".join(text.split()).replace("|", "／")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def our_systems(results: dict[str, Any]) -> list[str]:
    return [name for name in results["answers"] if name.startswith("ours-")]


def baseline_systems(results: dict[str, Any]) -> list[str]:
    return [name for name in ANSWER_BASELINES if name in results["answers"]]


def document_list(doc_ids: Sequence[str], shown: int = 8) -> str:
    more = f" and {len(doc_ids) - shown} more" if len(doc_ids) > shown else ""
    return ", ".join(doc_ids[:shown]) + more


# ---- sections -------------------------------------------------------------------------------
def main_table(results: dict[str, Any]) -> list[str]:
    retriever = f"ours-{results['run']['retriever']}"
    rows: list[list[Any]] = []
    for name in our_systems(results) + baseline_systems(results):
        ranked_by = retriever if name.startswith("ours-") else name
        ranking = results["retrieval"].get(ranked_by, {}).get("overall", {})
        answer = results["answers"][name]["overall"]
        label = f"{name} ({results['run']['retriever']})" if name.startswith("ours-") else name
        rows.append([
            label,
            *(ranking.get(key) for key in RANKING_KEYS),
            answer["accuracy"],
            answer["accuracy_answerable"],
            answer["citation_support"],
            answer["citation_support_page"],
            answer["refusal_precision"],
            answer["refusal_recall"],
            answer["answer_chars_p50"],
            answer["answer_chars_p50_nonlist"],
        ])
    header = ["system", "R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "accuracy",
              "accuracy (answerable)", "citation support (quote)", "citation support (page)",
              "refusal P", "refusal R", "answer chars (median)",
              "non-list answer chars (median)"]
    return table(header, rows)


def retriever_table(results: dict[str, Any]) -> list[str]:
    rows = [
        [name, m["overall"]["n"], *(m["overall"][k] for k in RANKING_KEYS),
         m["overall"]["gold_in_a_chunk"], *results["passages"][name].values()]
        for name, m in results["retrieval"].items()
        if ":" not in name
    ]
    header = ["retriever", "n", *RANKING_KEYS, "gold phrase inside one chunk", "passages",
              "passage chars (median)"]
    return table(header, rows)


def followup_table(results: dict[str, Any]) -> list[str]:
    rows = []
    for name, metrics in results["retrieval"].items():
        raw = results["retrieval"].get(f"{name}:raw-followup")
        standalone = metrics["by_type"].get("followup")
        if raw is None or standalone is None:
            continue
        rows.append([name, raw["overall"]["n"]] + [
            value
            for key in ("recall@1", "recall@5", "mrr@10")
            for value in (raw["overall"][key], standalone[key])
        ])
    if not rows:
        return ["No follow-up questions in this run.", ""]
    header = ["retriever", "n", "R@1 raw", "R@1 standalone", "R@5 raw", "R@5 standalone",
              "MRR@10 raw", "MRR@10 standalone"]
    return table(header, rows)


def per_type_table(results: dict[str, Any], key: str) -> list[str]:
    systems = our_systems(results) + baseline_systems(results)
    first = results["answers"][systems[0]]["by_type"]
    rows = [
        [kind, first[kind]["n"], *(results["answers"][s]["by_type"][kind][key] for s in systems)]
        for kind in first
    ]
    return table(["type", "n", *systems], rows)


def retrieval_per_type_table(results: dict[str, Any], key: str) -> list[str]:
    names = [name for name in results["retrieval"] if ":" not in name]
    kinds = [k for k, m in results["retrieval"][names[0]]["by_type"].items() if m["n"]]
    rows = [
        [kind, results["retrieval"][names[0]]["by_type"][kind]["n"],
         *(results["retrieval"][n]["by_type"][kind][key] for n in names)]
        for kind in kinds
    ]
    return table(["type", "n", *names], rows)


def latency_tables(results: dict[str, Any]) -> list[str]:
    systems = our_systems(results)
    overall = [
        [s, *(results["answers"][s]["overall"][k] for k in
              ("latency_p50", "latency_p95", "latency_mean", "first_piece_p50",
               "pieces_per_s_mean"))]
        for s in systems
    ]
    header = ["system", "p50 s", "p95 s", "mean s", "first piece p50 s", "pieces/s",
              "answer paths"]
    for row, system in zip(overall, systems, strict=True):
        paths = results["answers"][system]["overall"]["paths"]
        row.append(", ".join(f"{path} {count}" for path, count in paths.items()))
    lines = table(header, overall)
    kinds = list(results["answers"][systems[0]]["by_type"])
    rows = [
        [kind, *(results["answers"][s]["by_type"][kind][k] for s in systems
                 for k in ("latency_p50", "latency_p95"))]
        for kind in kinds
    ]
    header = ["type", *(f"{s} {p}" for s in systems for p in ("p50 s", "p95 s"))]
    return lines + table(header, rows)


def failure_table(results: dict[str, Any], system: str) -> list[str]:
    rows = []
    for q in results["questions"]:
        record = q["answers"][system]
        if record["correct"]:
            continue
        expected = "refuse" if q["refuse_expected"] else " / ".join(
            q["expected_all"] + [("any: " + ", ".join(q["expected_any"]))] * bool(q["expected_any"])
        )
        answer = "(refused)" if record["refused"] else cell_text(record["answer"])
        rows.append([q["id"], q["type"], cell_text(q["standalone"], 40), expected, answer])
    if not rows:
        return ["None.", ""]
    return table(["id", "type", "standalone question", "expected", "answer"], rows)


DEFINITIONS = """\
- **Relevant passage**: same doc_id and page as a gold evidence entry, and its text contains that
  entry's phrase (NFKC, whitespace removed). Unanswerable items are left out of retrieval metrics.
- **R@k** (Recall@k): share of answerable items with a relevant passage in the top k (any gold
  location counts). **MRR@10**: mean 1/rank of the first relevant passage. **nDCG@10**: binary
  relevance; the ideal list holds min(relevant passages in the index, 10) relevant ones.
- **gold phrase inside one chunk**: share of items for which the retriever holds at least one
  relevant passage at all (a phrase split across two chunks can never be found).
- Our retrievers are queried with the assistant's standalone question (for follow-ups, the
  rewritten one); the baselines get the question as asked (they have no chat history).
- **accuracy**: eval/README.md — every `all` string and one `any` string in the answer (NFKC,
  whitespace removed) and not refused; unanswerable items are correct only when refused.
- **citation support (quote)**: a citation on a gold page whose quote contains the gold phrase;
  **(page)**: a citation on a gold doc+page. Over answerable items. A baseline's answer is its top
  passage, cited whole (so its answer and quote are a whole chunk: see the median answer
  length), and it never refuses.
- **refusal P/R**: positive = refused, relevant = `refuse: true`.
- **latency**: wall time of one answer after one warm-up question; generative mode is read through
  `stream` (first piece = time to first token; pieces/s ≈ tokens/s).
"""


def markdown(results: dict[str, Any], plots: dict[str, str]) -> str:
    run = results["run"]
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in run["seconds"].items())
    lines = [
        f"# Evaluation {run['stamp']} ({run['mode']})",
        "",
        f"- command: `{run['command']}`",
        f"- questions: {run['questions']} from `{run['questions_file']}`; corpus: "
        f"{run['corpus']} ({document_list(run['documents'])})",
        f"- assistant retriever: {run['retriever']}; "
        f"baselines: {'yes' if run['baselines'] else 'no'}",
        f"- run time: **{run['total_seconds']:.1f} s** on {run['cpus']} CPUs ({phases})",
        *([f"- LLM: {run['llm']['backend']}, {run['llm']['model']}"] if run["llm"] else []),
        "",
        "## Ours vs baselines",
        "",
        *main_table(results),
        f"![accuracy per question type]({plots['accuracy']})",
        "",
        "## Retrievers",
        "",
        *retriever_table(results),
        f"![retriever comparison]({plots['retrieval']})",
        "",
        "### Follow-ups: raw text vs the assistant's standalone question",
        "",
        *followup_table(results),
        "### Recall@5 per question type",
        "",
        *retrieval_per_type_table(results, "recall@5"),
        "## Per question type",
        "",
        "### Accuracy",
        "",
        *per_type_table(results, "accuracy"),
        "### Citation support (quote)",
        "",
        *per_type_table(results, "citation_support"),
        "### Citation support (page)",
        "",
        *per_type_table(results, "citation_support_page"),
        "### Refused (share of items)",
        "",
        *per_type_table(results, "refused_rate"),
        "## Latency",
        "",
        *latency_tables(results),
        f"![latency distribution]({plots['latency']})",
        "",
    ]
    for system in our_systems(results):
        lines += [f"## Incorrect answers: {system}", "", *failure_table(results, system)]
    return "\n".join([*lines, "## Definitions", "", DEFINITIONS])


# ---- plots ----------------------------------------------------------------------------------
def _grouped_bars(ax: Any, groups: list[str], series: dict[str, list[float]]) -> None:
    width = 0.8 / max(len(series), 1)
    for i, (label, values) in enumerate(series.items()):
        xs = [g + i * width - 0.4 + width / 2 for g in range(len(groups))]
        ax.bar(xs, values, width, label=label)
    ax.set_xticks(range(len(groups)), groups, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))


def plot_accuracy(results: dict[str, Any], path: Path) -> None:
    systems = our_systems(results) + baseline_systems(results)
    kinds = ["all", *results["answers"][systems[0]]["by_type"]]
    series = {
        s: [results["answers"][s]["overall"]["accuracy"]]
        + [m["accuracy"] for m in results["answers"][s]["by_type"].values()]
        for s in systems
    }
    fig, ax = plt.subplots(figsize=(10, 4.5))
    _grouped_bars(ax, kinds, series)
    ax.set_title("Answer accuracy per question type")
    ax.set_ylabel("accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_retrieval(results: dict[str, Any], path: Path) -> None:
    names = [n for n in results["retrieval"] if ":" not in n]
    series = {
        key: [results["retrieval"][n]["overall"][key] or 0.0 for n in names]
        for key in ("recall@1", "recall@5", "mrr@10", "ndcg@10")
    }
    fig, ax = plt.subplots(figsize=(9, 4.5))
    _grouped_bars(ax, names, series)
    ax.set_title("Retriever comparison (answerable items)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_latency(results: dict[str, Any], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8, 4))
    for system in our_systems(results):
        values = [q["answers"][system]["latency"] for q in results["questions"]]
        bars = ax.hist(values, bins=30, alpha=0.6, label=system)[2]
        color = bars[0].get_facecolor()
        for q, style in ((50, "--"), (95, ":")):
            ax.axvline(float(np.percentile(values, q)), color=color, linestyle=style,
                       label=f"{system} p{q}")
    ax.set_title("Answer latency per question (after warm-up)")
    ax.set_xlabel("seconds")
    ax.set_ylabel("questions")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---- files ----------------------------------------------------------------------------------
def plot_files(name: str) -> dict[str, str]:
    """Plot kind → file name, for the run called ``name``."""
    return {kind: f"{name}-{kind}.png" for kind in PLOTS}


def write_results(results: dict[str, Any], folder: Path, clock: RunClock) -> Path:
    """Write ``<name>.json``, the Markdown report ``<name>.md`` and its plots into ``folder``
    (``<name>`` is ``results["run"]["name"]``); returns the report."""
    base = results["run"]["name"]
    plots = plot_files(base)
    plot_accuracy(results, folder / plots["accuracy"])
    plot_retrieval(results, folder / plots["retrieval"])
    plot_latency(results, folder / plots["latency"])
    results["run"].update(seconds=dict(clock.phases), total_seconds=clock.total())
    (folder / f"{base}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    report = folder / f"{base}.md"
    report.write_text(markdown(results, plots), encoding="utf-8")
    return report
