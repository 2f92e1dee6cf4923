"""The evaluation tab: upload a question sheet, run it against the server's own index with a
progress bar, download the HTML and Excel reports; every kept run is listed with its numbers.

API (``gradio_client``): ``/eval`` (a sheet → status HTML, report files, the run list) and
``/eval_runs`` (the run list).
"""

from __future__ import annotations

import shutil
import tempfile
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from eval.commands import RUN_HEADER
from eval.dataset import DatasetError
from eval.history import RunSummary, list_runs, runs_root, save_run, summary
from eval.html_report import headline
from eval.report import fmt
from eval.run import Clock, build_parser, evaluate
from eval.sheets import load_questions, write_template
from index.policy_index import PolicyIndex

SHEET_TYPES = [".xlsx", ".csv", ".jsonl"]
TRACK = gr.Progress(track_tqdm=True)  # the harness's tqdm bars become the tab's progress bar
INTRO = (
    "質問シート（Excel・CSV）をアップロードして「評価を実行」を押すと、このサーバーに登録済みの"
    "資料で全ての質問に答え、正答率や出典の裏づけを集計します。結果はHTMLとExcelのレポートで"
    "ダウンロードできます。シートの書き方はひな形の「説明」シートを参照してください。"
)


def run_rows(runs: list[RunSummary]) -> list[list[Any]]:
    """The run list, newest first, one row per run."""
    return [
        [r.name, r.questions, *(fmt(v) for v in (r.accuracy, r.citation_support,
                                                  r.refusal_recall, r.recall_at_5,
                                                  r.latency_p50))]
        for r in reversed(runs)
    ]


def _downloads(run: RunSummary) -> list[str]:
    """Copies of a run's HTML and xlsx reports in a fresh temporary folder (Gradio serves files
    from there wherever the data folder is)."""
    folder = Path(tempfile.mkdtemp(prefix="pqa-eval-"))
    return [str(shutil.copy(path, folder / path.name)) for path in (run.html, run.xlsx)]


def _status(results: dict[str, Any], problems: list[str], name: str) -> str:
    system = next(s for s in results["answers"] if s.startswith("ours-"))
    cells = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(fmt(value))}</td></tr>"
        for label, value in headline(results, system)
    )
    skipped = "".join(f"<li>{escape(line)}</li>" for line in problems)
    warning = (
        f'<div class="pqa-eval-problems"><p>読み込めなかった行（評価から除外）:</p>'
        f"<ul>{skipped}</ul></div>"
        if problems else ""
    )
    return (
        f'<div class="pqa-eval-done"><p>評価が終わりました: {escape(name)}</p>'
        f'<table class="pqa-eval-headline">{cells}</table>{warning}</div>'
    )


class EvalTab:
    """The tab's handlers, bound to the server's index."""

    def __init__(self, index: PolicyIndex) -> None:
        self.index = index
        self.root = runs_root(index.home)

    def runs(self) -> list[list[Any]]:
        return run_rows(list_runs(self.root))

    def run(
        self, sheet: str | None, progress: gr.Progress = TRACK
    ) -> tuple[str, list[str], list[list[Any]]]:
        """Evaluate an uploaded sheet: status (headline numbers, rows left out), the reports,
        and the new run list."""
        if not sheet:
            raise gr.Error("質問シート（.xlsx / .csv / .jsonl）を選択してください。")
        path = Path(sheet)
        progress(0, desc=f"{path.name} を読み込んでいます")
        try:
            found = load_questions(path)
        except DatasetError as err:
            raise gr.Error(str(err).replace(str(path), path.name)) from err
        args = build_parser().parse_args(["--questions", str(path), "--home", str(self.index.home)])
        clock = Clock()
        results = evaluate(args, found.items, clock, opened=(self.index, []))
        results["run"]["command"] = f"評価タブ（{path.name}）"
        results["run"]["corpus"] = "サーバーの索引"
        folder = save_run(results, clock, self.root)
        return _status(results, found.errors, folder.name), _downloads(summary(folder)), self.runs()

    def select(self, event: gr.SelectData) -> list[str]:
        """The reports of the run whose row was clicked."""
        name = event.row_value[0]
        run = next((r for r in list_runs(self.root) if r.name == name), None)
        if run is None:
            raise gr.Error(f"{name}: この実行は見つかりません。")
        return _downloads(run)


def add_eval_tab(index: PolicyIndex) -> None:
    """The 評価 tab, inside the Blocks being built."""
    handlers = EvalTab(index)
    template = write_template(Path(tempfile.mkdtemp(prefix="pqa-template-")) / "質問シート.xlsx")
    with gr.Tab("評価", id="eval", elem_id="pqa-eval-tab"):
        gr.Markdown(INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=280):
                sheet = gr.File(
                    label="質問シート（.xlsx / .csv / .jsonl）",
                    file_types=SHEET_TYPES,
                    elem_id="pqa-eval-sheet",
                )
                start = gr.Button("評価を実行", variant="primary", elem_id="pqa-eval-run")
                gr.DownloadButton("質問シートのひな形（Excel）", value=str(template), size="sm")
            with gr.Column(scale=3, min_width=320):
                status = gr.HTML(elem_id="pqa-eval-status")
                reports = gr.File(
                    label="レポート（HTML・Excel）",
                    file_count="multiple",
                    interactive=False,
                    elem_id="pqa-eval-reports",
                )
        runs = gr.Dataframe(
            value=handlers.runs,
            headers=RUN_HEADER,
            label="これまでの評価（行をクリックするとそのレポート）",
            interactive=False,
            wrap=True,
            elem_id="pqa-eval-runs",
        )
    start.click(
        handlers.run,
        [sheet],
        [status, reports, runs],
        api_name="eval",
        concurrency_limit=1,
        concurrency_id="eval",
    )
    runs.select(handlers.select, None, reports, api_visibility="private")
    refresh = gr.Button(visible=False)
    refresh.click(handlers.runs, None, runs, api_name="eval_runs")
