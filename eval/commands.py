"""``python -m eval run|template|runs|diff …`` (also ``policy-qa eval …``; no sub-command = run).

- ``run [options]``: evaluate and keep the run (``eval.run``).
- ``template --xlsx FILE``: an empty question sheet with its headers and two example rows.
- ``runs``: the kept runs with their headline numbers.
- ``diff RUN_A RUN_B``: which questions changed between two runs, and every metric's change.
- ``train-selector [options]``: fit the evidence selector (``eval.train_selector``).
- ``table-threshold [--model DIR]``: choose its threshold for table rows (``eval.table_threshold``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eval.history import RunSummary

SUBCOMMANDS = ("run", "template", "runs", "diff", "train-selector", "table-threshold")
EXIT_BAD_INPUT = 2
USAGE = """usage: policy-qa eval run|template|runs|diff …   (python -m eval …)

  run [options]           answer a question set (.jsonl, .csv, .xlsx) and keep the run
                          (policy-qa eval run --help lists the options; run is the default)
  template --xlsx FILE    write an empty question sheet with two example rows
  runs                    list the kept runs with their headline numbers
  diff RUN_A RUN_B        questions that changed between two runs, metric changes with 95% CIs
  train-selector          fit the evidence selector on JaQuAD (make selector)
  table-threshold         choose its refusal threshold for table rows on real-PDF questions"""
RUN_HEADER = ["実行名", "質問数", "正答率", "出典の裏づけ", "拒否の再現率", "検索R@5",
              "応答p50(秒)"]


def print_runs(runs: Sequence[RunSummary]) -> None:
    """The runs as a table, one line each."""
    from eval.report import text_table

    rows = [
        [r.name, r.questions, r.accuracy, r.citation_support, r.refusal_recall, r.recall_at_5,
         r.latency_p50]
        for r in runs
    ]
    print("\n".join(text_table([RUN_HEADER, *rows])))


def _home_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", default=None,
                        help="data folder (default $POLICY_QA_HOME or ./var)")


def cmd_template(argv: list[str]) -> int:
    from eval.sheets import write_template

    parser = argparse.ArgumentParser(
        prog="policy-qa eval template", description="Write an empty question sheet."
    )
    parser.add_argument("--xlsx", type=Path, required=True, metavar="FILE")
    args = parser.parse_args(argv)
    if args.xlsx.suffix.lower() != ".xlsx":
        print(f"error: {args.xlsx}: the template is an .xlsx file", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"written: {write_template(args.xlsx)}")
    return 0


def cmd_runs(argv: list[str]) -> int:
    from eval.history import list_runs, runs_root
    from index.store import data_home

    parser = argparse.ArgumentParser(
        prog="policy-qa eval runs", description="List the kept evaluation runs."
    )
    _home_argument(parser)
    args = parser.parse_args(argv)
    root = runs_root(data_home(args.home))
    runs = list_runs(root)
    if not runs:
        print(f"no runs kept in {root} yet (policy-qa eval run)")
        return 0
    print_runs(runs)
    return 0


def cmd_diff(argv: list[str]) -> int:
    from eval.diff import diff_runs, text_report, write_diff
    from eval.history import RunNotFound, find_run, load_results, runs_root
    from index.store import data_home

    parser = argparse.ArgumentParser(
        prog="policy-qa eval diff",
        description="Compare two kept runs (a folder, its name, part of it, latest or latest~N).",
    )
    parser.add_argument("run_a", metavar="RUN_A")
    parser.add_argument("run_b", metavar="RUN_B")
    _home_argument(parser)
    args = parser.parse_args(argv)
    root = runs_root(data_home(args.home))
    try:
        a, b = (load_results(find_run(root, ref)) for ref in (args.run_a, args.run_b))
        diff = diff_runs(a, b)
    except (RunNotFound, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(text_report(diff), end="")
    print(f"written: {write_diff(diff, root / 'diffs')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a sub-command; arguments without one go to ``run``."""
    from eval.run import main as run_main

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else "run"
    rest = argv[1:] if argv and argv[0] in SUBCOMMANDS else argv
    if command == "train-selector":
        from eval.train_selector import main as train_main

        return train_main(rest)
    if command == "table-threshold":
        from eval.table_threshold import main as table_main

        return table_main(rest)
    handlers = {"run": run_main, "template": cmd_template, "runs": cmd_runs, "diff": cmd_diff}
    return handlers[command](rest)
