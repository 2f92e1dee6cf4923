"""Compare two kept runs question by question: what went right→wrong and wrong→right, and the
change in every metric with a paired bootstrap 95% interval (so noise is not read as progress)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.html_report import citation_lines
from eval.report import our_systems, text_table

RESAMPLES = 10_000
SEED = 0
# (label, per-question value, per-question mask): the metric is sum(value·mask) / sum(mask)
METRICS = [
    ("正答率", "correct", "all"),
    ("正答率（回答可能な質問）", "correct", "answerable"),
    ("出典の裏づけ（引用）", "quote", "answerable"),
    ("出典の裏づけ（ページ）", "page", "answerable"),
    ("回答拒否の適合率", "refuse_expected", "refused"),
    ("回答拒否の再現率", "refused", "refuse_expected"),
    ("検索 R@1", "r1", "answerable"),
    ("検索 R@5", "r5", "answerable"),
    ("検索 MRR@10", "rr", "answerable"),
    ("平均応答時間（秒）", "latency", "all"),
]


@dataclass(frozen=True)
class MetricChange:
    label: str
    a: float | None
    b: float | None
    delta: float | None  # b − a
    low: float | None  # paired bootstrap 95% interval of the change
    high: float | None

    @property
    def significant(self) -> bool:
        """The interval lies on one side of zero."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


@dataclass(frozen=True)
class QuestionChange:
    id: str
    type: str
    question: str
    answer_a: str
    answer_b: str
    citations_a: list[tuple[str, str]]
    citations_b: list[tuple[str, str]]


@dataclass
class RunDiff:
    a: str
    b: str
    system_a: str
    system_b: str
    paired: int
    only_a: list[str]
    only_b: list[str]
    metrics: list[MetricChange]
    broke: list[QuestionChange]  # right → wrong
    fixed: list[QuestionChange]  # wrong → right


def pick_systems(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, str]:
    """The assistant system to compare: one both runs have, else each run's own."""
    common = [s for s in our_systems(a) if s in our_systems(b)]
    return (common[0], common[0]) if common else (our_systems(a)[0], our_systems(b)[0])


def per_question(results: dict[str, Any], system: str, ids: list[str]) -> dict[str, np.ndarray]:
    """Per-question values of ``system`` (answers) and the run's retriever, in ``ids`` order."""
    by_id = {q["id"]: q for q in results["questions"]}
    retriever = f"ours-{results['run']['retriever']}"
    columns: dict[str, list[float]] = {key: [] for key in (
        "all", "correct", "answerable", "quote", "page", "refused", "refuse_expected",
        "r1", "r5", "rr", "latency")}
    for item_id in ids:
        q = by_id[item_id]
        record = q["answers"][system]
        rank = q["retrieval"].get(retriever, {}).get("rank")
        values = {
            "all": 1.0,
            "correct": record["correct"],
            "answerable": not q["refuse_expected"],
            "quote": bool(record["quote_supported"]),
            "page": bool(record["page_supported"]),
            "refused": record["refused"],
            "refuse_expected": q["refuse_expected"],
            "r1": rank == 1,
            "r5": rank is not None and rank <= 5,
            "rr": 1 / rank if rank is not None and rank <= 10 else 0.0,
            "latency": record["latency"] or 0.0,
        }
        for key, value in values.items():
            columns[key].append(float(value))
    return {key: np.array(values) for key, values in columns.items()}


def _ratio(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sum(values·mask) / sum(mask) along the last axis; NaN where the mask is empty."""
    den = mask.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (values * mask).sum(axis=-1) / den, np.nan)


def metric_changes(
    a: dict[str, np.ndarray], b: dict[str, np.ndarray], resamples: int = RESAMPLES
) -> list[MetricChange]:
    """Every metric in A and B and its change, with a paired bootstrap 95% interval: the same
    resampled questions are scored in both runs."""
    n = len(a["all"])
    picks = np.random.default_rng(SEED).integers(0, n, size=(resamples, n))
    changes = []
    for label, value, mask in METRICS:
        point_a, point_b = _ratio(a[value], a[mask]), _ratio(b[value], b[mask])
        if np.isnan(point_a) or np.isnan(point_b):
            changes.append(MetricChange(label, _num(point_a), _num(point_b), None, None, None))
            continue
        deltas = _ratio(b[value][picks], b[mask][picks]) - _ratio(a[value][picks], a[mask][picks])
        low, high = np.nanpercentile(deltas, [2.5, 97.5])
        changes.append(MetricChange(
            label, float(point_a), float(point_b), float(point_b - point_a), float(low), float(high)
        ))
    return changes


def _num(value: np.floating) -> float | None:
    return None if np.isnan(value) else float(value)


def _change(qa: dict[str, Any], qb: dict[str, Any], sa: str, sb: str) -> QuestionChange:
    ra, rb = qa["answers"][sa], qb["answers"][sb]
    return QuestionChange(
        id=qa["id"],
        type=qa["type"],
        question=qa["question"],
        answer_a=ra["answer"],
        answer_b=rb["answer"],
        citations_a=citation_lines(ra["citations"]),
        citations_b=citation_lines(rb["citations"]),
    )


def diff_runs(a: dict[str, Any], b: dict[str, Any], resamples: int = RESAMPLES) -> RunDiff:
    """Run B compared with run A over the questions (by id) both answered."""
    sa, sb = pick_systems(a, b)
    qa = {q["id"]: q for q in a["questions"]}
    qb = {q["id"]: q for q in b["questions"]}
    ids = [i for i in qa if i in qb]
    if not ids:
        raise ValueError(f"{a['run']['name']} and {b['run']['name']} share no question ids")
    went: dict[tuple[bool, bool], list[QuestionChange]] = {(True, False): [], (False, True): []}
    for i in ids:
        key = (qa[i]["answers"][sa]["correct"], qb[i]["answers"][sb]["correct"])
        if key in went:
            went[key].append(_change(qa[i], qb[i], sa, sb))
    return RunDiff(
        a=a["run"]["name"],
        b=b["run"]["name"],
        system_a=f"{sa} ({a['run']['retriever']})",
        system_b=f"{sb} ({b['run']['retriever']})",
        paired=len(ids),
        only_a=[i for i in qa if i not in qb],
        only_b=[i for i in qb if i not in qa],
        metrics=metric_changes(per_question(a, sa, ids), per_question(b, sb, ids), resamples),
        broke=went[(True, False)],
        fixed=went[(False, True)],
    )


# ---- text ---------------------------------------------------------------------------------------
def _f(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def metric_rows(diff: RunDiff) -> list[list[str]]:
    return [
        [m.label, _f(m.a), _f(m.b), _f(m.delta, True),
         "–" if m.low is None else f"[{_f(m.low, True)}, {_f(m.high, True)}]",
         "＊" if m.significant else ""]
        for m in diff.metrics
    ]


METRIC_HEADER = ["指標", "A", "B", "差 (B−A)", "95%区間", "有意"]
NOTE = (f"95%区間: 同じ質問を再標本化するペア・ブートストラップ（{RESAMPLES}回）。"
        "区間が0をまたぐ差（有意の＊なし）は偶然の範囲です。")


def _answer_block(label: str, answer: str, citations: list[tuple[str, str]]) -> list[str]:
    lines = [f"  {label}: {' '.join(answer.split()) or '（空）'}"]
    lines += [f"     {where} 「{quote}」" for where, quote in citations]
    return lines


def text_report(diff: RunDiff) -> str:
    """The comparison for the terminal."""
    lines = [
        f"A: {diff.a}  {diff.system_a}",
        f"B: {diff.b}  {diff.system_b}",
        f"対になった質問: {diff.paired}（A のみ {len(diff.only_a)}、B のみ {len(diff.only_b)}）",
        "",
        *text_table([METRIC_HEADER, *metric_rows(diff)]),
        NOTE,
    ]
    for title, changes in (("正解→不正解", diff.broke), ("不正解→正解", diff.fixed)):
        lines += ["", f"{title}: {len(changes)}"]
        for c in changes:
            lines.append(f"- {c.id} [{c.type}] {c.question}")
            lines += _answer_block("A", c.answer_a, c.citations_a)
            lines += _answer_block("B", c.answer_b, c.citations_b)
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "｜")


def _cited(answer: str, citations: list[tuple[str, str]]) -> str:
    return "<br>".join(
        [_cell(answer) or "（空）", *(_cell(f"{w} 「{q}」") for w, q in citations)]
    )


def markdown_report(diff: RunDiff) -> str:
    """The comparison as Markdown, answers and citations side by side."""
    lines = [
        f"# 評価の比較: {diff.a} → {diff.b}",
        "",
        f"- A: `{diff.a}` {diff.system_a}",
        f"- B: `{diff.b}` {diff.system_b}",
        f"- 対になった質問: {diff.paired}（A のみ: {', '.join(diff.only_a) or 'なし'}; "
        f"B のみ: {', '.join(diff.only_b) or 'なし'}）",
        "",
        "| " + " | ".join(METRIC_HEADER) + " |",
        "|" + "---|" * len(METRIC_HEADER),
        *("| " + " | ".join(row) + " |" for row in metric_rows(diff)),
        "",
        NOTE,
    ]
    for title, changes in (("正解→不正解", diff.broke), ("不正解→正解", diff.fixed)):
        lines += ["", f"## {title}（{len(changes)}）", ""]
        if not changes:
            lines.append("なし。")
            continue
        lines += ["| ID | 種類 | 質問 | A の回答と出典 | B の回答と出典 |", "|---|---|---|---|---|"]
        lines += [
            f"| {c.id} | {c.type} | {_cell(c.question)} | {_cited(c.answer_a, c.citations_a)} "
            f"| {_cited(c.answer_b, c.citations_b)} |"
            for c in changes
        ]
    return "\n".join(lines) + "\n"


def write_diff(diff: RunDiff, folder: Path) -> Path:
    """``<A>__<B>.md`` and ``.json`` in ``folder``; returns the Markdown file."""
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{diff.a}__{diff.b}"
    data = {**asdict(diff), "metrics": [
        {**asdict(m), "significant": m.significant} for m in diff.metrics
    ]}
    (folder / f"{base}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    report = folder / f"{base}.md"
    report.write_text(markdown_report(diff), encoding="utf-8")
    return report
