"""A run's report for people who do not read Markdown: one self-contained HTML file (plots as data
URIs, a sortable table of every question, failures first) and the same table as an .xlsx."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from eval.report import fmt, our_systems, plot_files

# (label, key in the answers' "overall" metrics)
ANSWER_METRICS = [
    ("正答率", "accuracy"),
    ("正答率（回答可能な質問）", "accuracy_answerable"),
    ("出典の裏づけ（引用）", "citation_support"),
    ("出典の裏づけ（ページ）", "citation_support_page"),
    ("回答拒否の適合率", "refusal_precision"),
    ("回答拒否の再現率", "refusal_recall"),
    ("応答時間 中央値（秒）", "latency_p50"),
    ("応答時間 95%点（秒）", "latency_p95"),
]
RETRIEVAL_METRICS = [("検索 R@1", "recall@1"), ("検索 R@5", "recall@5"), ("検索 MRR@10", "mrr@10")]
PLOT_TITLES = {"accuracy": "質問の種類ごとの正答率", "retrieval": "検索方式の比較",
               "latency": "応答時間の分布"}
COLUMNS = ["結果", "ID", "種類", "質問", "期待する答え", "回答", "出典", "根拠ページ",
           "回答しなかった理由", "時間（秒）"]
MARK = {True: "✓", False: "✗", None: "–"}

STYLE = """
body { font-family: "IPAexGothic", "Hiragino Sans", "Yu Gothic", "Noto Sans JP", sans-serif;
       margin: 24px; color: #1f2328; line-height: 1.5; }
h1 { font-size: 1.5em; margin: 0 0 12px; } h2 { font-size: 1.15em; margin: 1.4em 0 0.4em; }
.top { display: flex; flex-wrap: wrap; gap: 8px 32px; align-items: flex-start; }
table { border-collapse: collapse; margin: 4px 0 12px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; vertical-align: top; text-align: left; }
th { background: #eef4fb; }
table.metrics td.num { text-align: right; font-variant-numeric: tabular-nums; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 12px; }
figure { margin: 0; } figure img { width: 100%; } figcaption { color: #57606a; }
table.questions { width: 100%; font-size: 0.88em; }
table.questions td { white-space: pre-wrap; word-break: break-word; }
table.questions th { cursor: pointer; user-select: none; position: sticky; top: 0; }
table.questions th:nth-child(1) { width: 4em; } table.questions th:nth-child(2) { width: 6em; }
table.questions th:nth-child(3) { width: 6em; } table.questions th:nth-child(4) { width: 13em; }
table.questions th:nth-child(5) { width: 8em; } table.questions th:nth-child(8) { width: 3em; }
table.questions th:nth-child(9) { width: 8em; } table.questions th:nth-child(10) { width: 4em; }
table.questions th[aria-sort="ascending"]::after { content: " ▲"; }
table.questions th[aria-sort="descending"]::after { content: " ▼"; }
tr.wrong td:first-child { background: #ffebe9; color: #a40e26; font-weight: bold; }
tr.right td:first-child { background: #dafbe1; color: #116329; }
.history { color: #57606a; font-size: 0.9em; }
.cite { margin-bottom: 4px; } .quote { color: #57606a; }
dl { display: grid; grid-template-columns: max-content minmax(0, 30em); gap: 2px 16px;
     margin: 4px 0; }
dt { color: #57606a; } dd { margin: 0; word-break: break-all; }
"""
# Click a header to sort by it (again to reverse); cells sort by data-v when they have one.
SCRIPT = """
document.querySelectorAll("table.questions").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      var body = table.tBodies[0];
      var key = function (row) {
        var cell = row.cells[col];
        return cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
      };
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
        var c = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y, "ja");
        return dir * c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def headline(results: dict[str, Any], system: str) -> list[tuple[str, Any]]:
    """(label, value) of a system's headline numbers, retrieval by the assistant's retriever."""
    answers = results["answers"][system]["overall"]
    ranking = results["retrieval"].get(f"ours-{results['run']['retriever']}", {}).get("overall", {})
    return [
        ("質問数", answers["n"]),
        *((label, answers.get(key)) for label, key in ANSWER_METRICS),
        *((label, ranking.get(key)) for label, key in RETRIEVAL_METRICS),
    ]


def expected_text(question: dict[str, Any]) -> str:
    if question["refuse_expected"]:
        return "回答不能（答えないのが正解）"
    parts = []
    if question["expected_any"]:
        parts.append("いずれか: " + "｜".join(question["expected_any"]))
    if question["expected_all"]:
        parts.append("全て: " + "｜".join(question["expected_all"]))
    return "\n".join(parts)


def citation_lines(citations: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(where, quote) per citation: ``[n] doc_id p.N section`` and the quoted sentence."""
    return [
        (f"[{c['n']}] {c['doc_id']} p.{c['page']} {c.get('section') or ''}".strip(), c["quote"])
        for c in citations
    ]


def question_rows(results: dict[str, Any], system: str) -> list[dict[str, Any]]:
    """One row per question for ``system``: wrong answers first, then in question order."""
    rows = []
    for q in results["questions"]:
        record = q["answers"][system]
        rows.append({
            "correct": record["correct"],
            "id": q["id"],
            "type": q["type"],
            "question": q["question"],
            "history": [t["content"] for t in q["history"] if t["role"] == "user"],
            "expected": expected_text(q),
            "answer": "（回答しませんでした）\n" + record["answer"]
            if record["refused"] else record["answer"],
            "citations": citation_lines(record["citations"]),
            "page_supported": record["page_supported"],
            "reason": record.get("reason", ""),
            "latency": record["latency"],
        })
    return sorted(rows, key=lambda row: row["correct"])


# ---- HTML ---------------------------------------------------------------------------------------
def _metrics_table(results: dict[str, Any], systems: list[str]) -> str:
    rows = [headline(results, s) for s in systems]
    head = "".join(f"<th>{escape(s)}</th>" for s in systems)
    body = "".join(
        f"<tr><th>{escape(label)}</th>"
        + "".join(f'<td class="num">{escape(fmt(r[i][1]))}</td>' for r in rows)
        + "</tr>"
        for i, (label, _) in enumerate(rows[0])
    )
    return f'<table class="metrics"><tr><th>指標</th>{head}</tr>{body}</table>'


def _type_table(results: dict[str, Any], systems: list[str]) -> str:
    first = results["answers"][systems[0]]["by_type"]
    head = "".join(f"<th>{escape(s)}</th>" for s in systems)
    body = "".join(
        f"<tr><td>{escape(kind)}</td><td class=\"num\">{first[kind]['n']}</td>"
        + "".join(
            f'<td class="num">{escape(fmt(results["answers"][s]["by_type"][kind]["accuracy"]))}'
            "</td>"
            for s in systems
        )
        + "</tr>"
        for kind in first
    )
    return f'<table class="metrics"><tr><th>種類</th><th>件数</th>{head}</tr>{body}</table>'


def _question_cell(row: dict[str, Any]) -> str:
    earlier = "".join(
        f'<div class="history">（前の質問）{escape(turn)}</div>' for turn in row["history"]
    )
    return f"{earlier}{escape(row['question'])}"


def _citations_cell(row: dict[str, Any]) -> str:
    return "".join(
        f'<div class="cite">{escape(where)}<br><span class="quote">「{escape(quote)}」</span></div>'
        for where, quote in row["citations"]
    )


def _question_table(rows: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    body = []
    for row in rows:
        latency = row["latency"]
        body.append(
            f'<tr class="{"right" if row["correct"] else "wrong"}">'
            f'<td data-v="{int(row["correct"])}">{"正解" if row["correct"] else "不正解"}</td>'
            f"<td>{escape(row['id'])}</td><td>{escape(row['type'])}</td>"
            f"<td>{_question_cell(row)}</td><td>{escape(row['expected'])}</td>"
            f"<td>{escape(row['answer'])}</td><td>{_citations_cell(row)}</td>"
            f"<td>{MARK[row['page_supported']]}</td><td>{escape(row['reason'])}</td>"
            f'<td data-v="{latency if latency is not None else ""}">'
            f"{'' if latency is None else f'{latency:.2f}'}</td></tr>"
        )
    return (
        f'<table class="questions"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _run_facts(results: dict[str, Any]) -> str:
    run = results["run"]
    config = run.get("config", {})
    model = config.get("model") or {}
    facts = [
        ("実行名", run.get("name", "")),
        ("質問ファイル", run["questions_file"]),
        ("質問数", run["questions"]),
        ("回答方式", run["mode"]),
        ("検索方式", run["retriever"]),
        ("モデル", f"{model.get('backend', '')} {model.get('model', '')}".strip()),
        ("資料", ", ".join(run["documents"])),
        ("コミット", config.get("git_commit") or "不明"),
        ("所要時間", f"{run.get('total_seconds', 0):.1f} 秒"),
        ("コマンド", run.get("command", "")),
    ]
    return "<dl>" + "".join(
        f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in facts
    ) + "</dl>"


def _plots(folder: Path, name: str) -> str:
    figures = []
    for kind, file in plot_files(name).items():
        path = folder / file
        if path.is_file():
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            figures.append(
                f'<figure><img alt="{escape(PLOT_TITLES[kind])}" '
                f'src="data:image/png;base64,{data}"><figcaption>{escape(PLOT_TITLES[kind])}'
                "</figcaption></figure>"
            )
    return "".join(figures)


def html_report(results: dict[str, Any], folder: Path) -> str:
    """The whole report as one HTML document (plots read from ``folder``)."""
    run = results["run"]
    systems = our_systems(results)
    tables = "".join(
        f"<h2>質問ごとの結果: {escape(s)}（不正解が先・見出しをクリックで並べ替え）</h2>"
        + _question_table(question_rows(results, s))
        for s in systems
    )
    return (
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>評価レポート {escape(run.get('name', ''))}</title><style>{STYLE}</style></head>"
        f"<body><h1>評価レポート {escape(run.get('name', ''))}</h1>"
        f'<div class="top"><section><h2>実行の条件</h2>{_run_facts(results)}</section>'
        f"<section><h2>主な指標</h2>{_metrics_table(results, systems)}</section>"
        f"<section><h2>質問の種類ごとの正答率</h2>{_type_table(results, systems)}</section></div>"
        f'<h2>グラフ</h2><div class="plots">{_plots(folder, run.get("name", ""))}</div>'
        f"{tables}<script>{SCRIPT}</script></body></html>"
    )


def write_html(results: dict[str, Any], path: Path) -> Path:
    path.write_text(html_report(results, path.parent), encoding="utf-8")
    return path


# ---- xlsx ---------------------------------------------------------------------------------------
def write_xlsx(results: dict[str, Any], path: Path) -> Path:
    """The per-question table (one sheet per system, with filters) and a summary sheet."""
    workbook = Workbook()
    overview = workbook.active
    overview.title = "概要"
    systems = our_systems(results)
    overview.append(["指標", *systems])
    for i, (label, _) in enumerate(headline(results, systems[0])):
        overview.append([label, *(headline(results, s)[i][1] for s in systems)])
    overview.column_dimensions["A"].width = 28
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrong = PatternFill("solid", fgColor="FFEBE9")
    widths = [8, 14, 12, 40, 24, 50, 50, 10, 30, 10]
    for system in systems:
        sheet = workbook.create_sheet(system[:31])
        sheet.append(COLUMNS)
        for row in question_rows(results, system):
            sheet.append([
                "正解" if row["correct"] else "不正解",
                row["id"],
                row["type"],
                "\n".join([*(f"（前の質問）{t}" for t in row["history"]), row["question"]]),
                row["expected"],
                row["answer"],
                "\n".join(f"{where}「{quote}」" for where, quote in row["citations"]),
                MARK[row["page_supported"]],
                row["reason"],
                None if row["latency"] is None else round(row["latency"], 3),
            ])
            if not row["correct"]:
                sheet.cell(sheet.max_row, 1).fill = wrong
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for column, width in zip(sheet.iter_cols(), widths, strict=True):
            sheet.column_dimensions[column[0].column_letter].width = width
            for cell in column[1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    workbook.save(path)
    return path
