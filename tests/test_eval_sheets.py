"""Question sheets (.csv, .xlsx) give the same run as the equivalent .jsonl; bad rows are one line
each, naming row and column, and the other rows still run; the template loads back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from eval.dataset import DatasetError, load_items
from eval.run import main
from eval.sheets import EXAMPLES, load_questions, write_template
from tests.eval_fixtures import (
    JA_HEADER,
    QUESTIONS,
    sheet_row,
    write_csv,
    write_jsonl,
    write_xlsx,
)
from tests.ui_fixtures import copy_index

EVAL = Path(__file__).parents[1] / "eval"
BAD_ROW = ["t-bad", "number", "何人育成しますか？", "", "", "", "", "", "いいえ", ""]
LATENCY = {"latency_p50", "latency_p95", "latency_mean", "first_piece_p50", "pieces_per_s_mean"}


@pytest.fixture(scope="module")
def home(shipped_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped data folder, for the runs this module keeps."""
    return copy_index(shipped_home, tmp_path_factory.mktemp("sheets")).home


def run_file(path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Any]:
    """Exit code, stderr and results of one run of ``path``."""
    code = main(["--questions", str(path), "--home", str(home), "--quiet", "--label", path.name])
    err = capsys.readouterr().err
    [folder] = (home / "eval-runs").glob(f"*-{path.name}")
    return code, err, json.loads((folder / f"{folder.name}.json").read_text(encoding="utf-8"))


def scores(results: dict[str, Any]) -> dict[str, Any]:
    """Everything a run measured except timings."""
    answers = {k: v for k, v in results["answers"]["ours-extractive"]["overall"].items()
               if k not in LATENCY}
    per_question = {
        q["id"]: {k: v for k, v in q["answers"]["ours-extractive"].items()
                  if k not in {"latency", "timings"}}
        for q in results["questions"]
    }
    retrieval = {name: r["overall"] for name, r in results["retrieval"].items()}
    return {"answers": answers, "questions": per_question, "retrieval": retrieval}


def test_csv_and_xlsx_sheets_score_like_the_jsonl(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jsonl = write_jsonl(tmp_path / "set.jsonl", QUESTIONS)
    rows = [sheet_row(q, "はい" if q["refuse"] else "いいえ") for q in QUESTIONS]
    csv_file = write_csv(tmp_path / "set.csv", [*rows[:2], BAD_ROW, *rows[2:]])
    xlsx_rows = [sheet_row(q, q["refuse"], sep="\n") for q in QUESTIONS]
    bad = [*BAD_ROW[:3], "5万人", *BAD_ROW[4:7], "四", *BAD_ROW[8:]]
    xlsx_file = write_xlsx(tmp_path / "set.xlsx", [*xlsx_rows[:4], bad, *xlsx_rows[4:]])
    runs = {path.suffix: run_file(path, home, capsys) for path in (jsonl, csv_file, xlsx_file)}
    assert runs[".jsonl"][:2] == (0, "")
    assert runs[".csv"][:2] == (2, (
        "error: set.csv row 4, column 正解: an answerable question needs 正解 (any) or "
        "全て含む (all)\n"
    ))
    assert runs[".xlsx"][:2] == (
        2, "error: set.xlsx row 6, column page: '四' is not a page number\n"
    )
    expected = scores(runs[".jsonl"][2])
    assert len(expected["questions"]) == len(QUESTIONS)
    for suffix in (".csv", ".xlsx"):
        assert scores(runs[suffix][2]) == expected, suffix
        assert runs[suffix][2]["run"]["questions"] == len(QUESTIONS)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["q1", "", "", "仕事", "", "", "", "", "", ""],
         "row 2, column 質問: the question is empty"),
        (["q1", "", "観光DXは？", "仕事", "", "", "", "", "たぶん", ""],
         "row 2, column 回答不能: 'たぶん' is not はい/いいえ (yes/no)"),
        (["q1", "", "観光DXは？", "仕事", "", "観光DX", "", "2", "", ""],
         "row 2, column 資料ID: no value for 1 evidence phrase(s): give one, or one per phrase"),
        (["q1", "", "観光DXは？", "仕事", "", "観光DX｜仕事", "a｜b｜c", "2", "", ""],
         "row 2, column 資料ID: 3 values for 2 evidence phrase(s): give one, or one per phrase"),
        (["q1", "", "観光DXは？", "仕事", "", "観光DX", "digital-jinzai", "0", "", ""],
         "row 2, column ページ: pages are numbered from 1"),
        (["q1", "", "観光DXは？", "仕事", "", "", "", "2", "", ""],
         "row 2, column ページ: given without an evidence phrase (根拠/evidence)"),
        (["q1", "", "観光DXは？", "仕事", "", "", "", "", "はい", ""],
         "row 2, column 正解: an unanswerable question (回答不能) takes no answers or evidence"),
    ],
)
def test_a_bad_row_is_one_line_naming_row_and_column(
    row: list[str], message: str, tmp_path: Path
) -> None:
    good = ["q2", "", "教育DXは？", "魅力的な地域", "", "", "", "", "", ""]
    found = load_questions(write_csv(tmp_path / "q.csv", [row, good]))
    assert found.errors == [f"q.csv {message}"]
    assert [i.id for i in found.items] == ["q2"]


def test_rows_without_ids_are_numbered_and_values_are_split(tmp_path: Path) -> None:
    rows = [
        ["", "", "観光DXは？", "仕事｜しごと\n職", "", "観光DX｜地方に仕事", "d",
         "p.2｜3", "×", "最初の質問\n回答：最初の答え\n次の質問"],
        ["", "", "職員数は？", "", "", "", "", "", "○", ""],
        ["", "", "教育DXは？", "", "A｜B", "", "", "", "", ""],
    ]
    blank = [""] * len(JA_HEADER)
    first, refuse, plain = load_questions(write_csv(tmp_path / "q.csv", [blank, *rows])).items
    assert (first.id, refuse.id, plain.id) == ("row-3", "row-4", "row-5")
    assert first.any == ("仕事", "しごと", "職") and first.type == "followup"
    assert [(e.doc_id, e.page, e.phrase) for e in first.evidence] == [
        ("d", 2, "観光DX"), ("d", 3, "地方に仕事")
    ]
    assert first.history == (
        {"role": "user", "content": "最初の質問"},
        {"role": "assistant", "content": "最初の答え"},
        {"role": "user", "content": "次の質問"},
    )
    assert refuse.refuse and refuse.type == "unanswerable"
    assert plain.type == "general" and plain.all == ("A", "B") and not plain.history


def test_header_problems(tmp_path: Path) -> None:
    unknown = write_csv(tmp_path / "u.csv", [["観光DXは？", "仕事", "x"]],
                        header=["question", "any", "備考"])
    found = load_questions(unknown)
    assert found.warnings == ["u.csv: column '備考' is not a known column (ignored)"]
    assert len(found.items) == 1 and not found.errors
    with pytest.raises(DatasetError, match=r"h\.csv row 1: the header has no 質問/question column"):
        load_questions(write_csv(tmp_path / "h.csv", [["仕事"]], header=["正解"]))
    with pytest.raises(DatasetError, match=r"d\.csv row 1: column 'question' appears twice"):
        load_questions(write_csv(tmp_path / "d.csv", [["a", "b"]], header=["質問", "question"]))
    only_bad = r"b\.csv: no usable questions \(1 bad rows; first: b\.csv row 2, column 正解: "
    with pytest.raises(DatasetError, match=only_bad):
        load_questions(write_csv(tmp_path / "b.csv", [BAD_ROW]))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0", "an old .xls workbook cannot be read; save it as .xlsx"),
        ("broken.xlsx", b"not a zip file", "not a readable .xlsx workbook"),
        ("sjis.csv", "質問,正解\n観光DXは？,仕事\n".encode("cp932"), None),
        ("binary.csv", b"\xff\xfe\x00\x81\x00\xff", "not UTF-8 or Shift_JIS text"),
    ],
)
def test_unreadable_files_are_one_line(
    name: str, content: bytes, message: str | None, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    if message is None:
        assert [i.question for i in load_questions(path).items] == ["観光DXは？"]
        return
    with pytest.raises(DatasetError) as raised:
        load_questions(path)
    assert str(raised.value) == f"{path}: {message}"


def test_the_template_has_headers_and_its_own_two_examples(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["質問", "説明"]
    header = [c.value for c in workbook["質問"][1]]
    assert header == JA_HEADER
    found = load_questions(path)
    assert [i.question for i in found.items] == [e["question"] for e in EXAMPLES]
    assert found.items[1].history and found.items[0].evidence and not found.errors
    asked = {i.question for f in EVAL.glob("*.jsonl") for i in load_items(f)}
    assert asked and not asked & {e["question"] for e in EXAMPLES}
