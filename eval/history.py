"""Run history: every run is kept in ``$POLICY_QA_HOME/eval-runs/<stamp>-<label>/``.

A run folder holds ``<name>.json`` (results), ``<name>.md`` and ``<name>.html`` (reports), the
plots, ``<name>.xlsx`` (the per-question table) and ``config.json`` (what was evaluated; also in
the results as ``run.config``). Nothing is ever deleted; ``--out DIR`` copies a run's files (not
config.json) and ``latest.md`` into DIR as well.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.dataset import QUESTIONS
from eval.html_report import write_html, write_xlsx
from eval.report import RunClock, write_results

RUNS = "eval-runs"
CONFIG = "config.json"
REPO = Path(__file__).resolve().parents[1]
UNSAFE = re.compile(r"[^\w.-]+")


class RunNotFound(ValueError):
    """A run reference that names no kept run, or more than one; ``str(err)`` says which."""


def runs_root(home: Path) -> Path:
    """Where the runs of the data folder ``home`` are kept."""
    return home / RUNS


def git_commit() -> str | None:
    """The checked-out commit, with ``+dirty`` when tracked files changed; None outside git."""
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True, timeout=10
        )
        return done.stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def run_config(results: dict[str, Any]) -> dict[str, Any]:
    """What a run evaluated: mode, retriever, model, question file, documents, code version."""
    run = results["run"]
    questions = Path(run["questions_file"])
    return {
        "mode": run["mode"],
        "retriever": run["retriever"],
        "model": run.get("llm") or {"backend": "none", "model": "extractive (no LLM)"},
        "embedding": run["embedding"],
        "questions_file": run["questions_file"],
        "questions_sha256": (
            hashlib.sha256(questions.read_bytes()).hexdigest() if questions.is_file() else None
        ),
        "questions": run["questions"],
        "corpus": run["corpus"],
        "documents_sha256": run["documents_sha256"],
        "git_commit": git_commit(),
        "command": run["command"],
    }


def default_label(results: dict[str, Any]) -> str:
    """``<mode>-<retriever>``, with the question file's name unless it is the shipped set."""
    run = results["run"]
    label = f"{run['mode']}-{run['retriever']}"
    questions = Path(run["questions_file"])
    if questions.resolve() != QUESTIONS.resolve():
        label += f"-{questions.stem}"
    return label


def _new_folder(root: Path, label: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = f"{stamp}-{UNSAFE.sub('_', label).strip('_') or 'run'}"
    for n in range(1, 1000):
        folder = root / (base if n == 1 else f"{base}-{n}")
        try:
            folder.mkdir(parents=True)
        except FileExistsError:
            continue
        return folder
    raise RuntimeError(f"{root}: too many runs named {base}")


def save_run(
    results: dict[str, Any],
    clock: RunClock,
    root: Path,
    label: str | None = None,
    out: Path | None = None,
) -> Path:
    """Write a run into a new folder under ``root`` (and copy its files into ``out``)."""
    folder = _new_folder(root, label or default_label(results))
    results["run"]["name"] = folder.name
    results["run"]["stamp"] = folder.name[:15]
    config = run_config(results)
    results["run"]["config"] = config
    write_results(results, folder, clock)
    write_html(results, folder / f"{folder.name}.html")
    write_xlsx(results, folder / f"{folder.name}.xlsx")
    (folder / CONFIG).write_text(json.dumps(config, ensure_ascii=False, indent=1), "utf-8")
    if out is not None:
        copy_run(folder, out)
    return folder


def copy_run(folder: Path, out: Path) -> None:
    """The run's files in ``out`` (not config.json: the results hold it as ``run.config``),
    and its Markdown report also as ``latest.md``."""
    out.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.name != CONFIG:
            shutil.copyfile(path, out / path.name)
    shutil.copyfile(folder / f"{folder.name}.md", out / "latest.md")


@dataclass(frozen=True)
class RunSummary:
    """A kept run and its headline numbers (None where the run has no such number)."""

    name: str
    folder: Path
    questions_file: str
    questions: int
    mode: str
    retriever: str
    accuracy: float | None
    citation_support: float | None
    refusal_recall: float | None
    recall_at_5: float | None
    latency_p50: float | None

    @property
    def html(self) -> Path:
        return self.folder / f"{self.name}.html"

    @property
    def xlsx(self) -> Path:
        return self.folder / f"{self.name}.xlsx"


def load_results(folder: Path) -> dict[str, Any]:
    """A kept run's results JSON."""
    return json.loads((folder / f"{folder.name}.json").read_text(encoding="utf-8"))


def summary(folder: Path) -> RunSummary:
    results = load_results(folder)
    run = results["run"]
    system = f"ours-{run['mode']}" if run["mode"] != "both" else "ours-extractive"
    answers = results["answers"].get(system, {}).get("overall", {})
    ranking = results["retrieval"].get(f"ours-{run['retriever']}", {}).get("overall", {})
    return RunSummary(
        name=folder.name,
        folder=folder,
        questions_file=run["questions_file"],
        questions=run["questions"],
        mode=run["mode"],
        retriever=run["retriever"],
        accuracy=answers.get("accuracy"),
        citation_support=answers.get("citation_support"),
        refusal_recall=answers.get("refusal_recall"),
        recall_at_5=ranking.get("recall@5"),
        latency_p50=answers.get("latency_p50"),
    )


def list_runs(root: Path) -> list[RunSummary]:
    """Every kept run under ``root``, oldest first (folders without results are skipped)."""
    if not root.is_dir():
        return []
    folders = sorted(
        p for p in root.iterdir() if p.is_dir() and (p / f"{p.name}.json").is_file()
    )
    return [summary(folder) for folder in folders]


def find_run(root: Path, ref: str) -> Path:
    """A run by folder path, full name, ``latest``, ``latest~N`` or a part of its name that
    names one run only."""
    if Path(ref).is_dir() and (Path(ref) / f"{Path(ref).name}.json").is_file():
        return Path(ref)
    runs = [s.folder for s in list_runs(root)]
    back = re.fullmatch(r"latest(?:~(\d+))?", ref)
    if back:
        steps = int(back.group(1) or 0)
        if steps >= len(runs):
            raise RunNotFound(f"{ref}: only {len(runs)} run(s) kept in {root}")
        return runs[-1 - steps]
    exact = [f for f in runs if f.name == ref]
    matches = exact or [f for f in runs if ref in f.name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise RunNotFound(f"{ref}: no such run in {root} (see `policy-qa eval runs`)")
    names = ", ".join(f.name for f in matches[:4])
    raise RunNotFound(f"{ref}: names {len(matches)} runs ({names}…); give more of the name")
