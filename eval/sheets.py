"""Question sets from spreadsheets: .csv and .xlsx sheets beside the JSON-lines format.

One row per question under a header row (Japanese or English names, see ``COLUMNS``). A bad row
is reported as one line naming its row and column and left out; the other rows still run.
"""

from __future__ import annotations

import csv
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException

from eval.dataset import DatasetError, EvalItem, load_items, parse_item

# key → (Japanese header, English header, other accepted spellings)
COLUMNS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "id": ("ID", "id", ("番号",)),
    "type": ("種類", "type", ("種別",)),
    "question": ("質問", "question", ()),
    "any": ("正解", "any", ("いずれか",)),
    "all": ("全て含む", "all", ("すべて含む",)),
    "phrase": ("根拠", "evidence", ("phrase",)),
    "doc_id": ("資料ID", "doc_id", ("資料",)),
    "page": ("ページ", "page", ()),
    "refuse": ("回答不能", "refuse", ()),
    "history": ("履歴", "history", ()),
}
SEPARATORS = re.compile(r"[｜|\n]")  # between several values in one cell
ASSISTANT_TURN = re.compile(r"^(?:回答|assistant)\s*[:：]\s*", re.IGNORECASE)
YES = frozenset({"はい", "yes", "y", "true", "1", "○", "◯", "✓"})
NO = frozenset({"", "いいえ", "no", "n", "false", "0", "×", "-"})
UNSUPPORTED = {".xls": "an old .xls workbook", ".ods": "an .ods spreadsheet"}
EXAMPLES: list[dict[str, Any]] = [  # the template's own examples, about a made-up document
    {
        "id": "ex-1",
        "type": "number",
        "question": "（例）サンプル計画では図書館を何館整備しますか？",
        "any": "3館｜三館",
        "all": "",
        "phrase": "図書館を3館整備",
        "doc_id": "sample-plan",
        "page": 2,
        "refuse": "いいえ",
        "history": "",
    },
    {
        "id": "ex-2",
        "type": "followup",
        "question": "（例）では完成はいつですか？",
        "any": "2030年度",
        "all": "",
        "phrase": "2030年度までに完成",
        "doc_id": "sample-plan",
        "page": 2,
        "refuse": "いいえ",
        "history": "（例）サンプル計画では図書館を何館整備しますか？",
    },
]
HELP = [  # the template's second sheet: what goes in each column
    ("ID", "任意。質問ごとに一意の記号（例: q-01）。比較（eval diff）は ID で質問を対応づけます。"),
    ("種類", "任意。集計の区分（number, date, list など自由）。"
             "空なら general / followup / unanswerable。"),
    ("質問", "必須。利用者が入力する形の質問文。"),
    ("正解", "回答にどれか一つ含まれれば正解となる語句。複数は「｜」か改行で区切ります。"),
    ("全て含む", "回答にすべて含まれなければならない語句（列挙の質問など）。区切りは同じ。"),
    ("根拠", "根拠となる資料の文の一部（5〜25文字程度）。複数は「｜」か改行で区切ります。"),
    ("資料ID", "根拠の資料ID（policy-qa docs で表示）。"
               "一つなら全ての根拠に、根拠と同数なら順に対応。"),
    ("ページ", "根拠のページ番号。資料IDと同じく一つか、根拠と同数。"),
    ("回答不能", "資料に答えがない質問は「はい」。このとき正解・全て含む・根拠は空にします。"),
    ("履歴", "追加質問の前の会話。利用者の発言を「｜」か改行で区切り、回答は先頭に「回答:」。"),
]


def _key(header: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", header)).lower()


ALIASES = {
    _key(name): key
    for key, (japanese, english, others) in COLUMNS.items()
    for name in (japanese, english, *others)
}


@dataclass
class QuestionSet:
    """The usable questions of a file, one-line errors for the rows left out, and warnings."""

    items: list[EvalItem]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class CellError(ValueError):
    """A cell that cannot be used; ``key`` names its column."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _text(value: Any) -> str:
    """A cell as text, as written (whole-number floats without ".0")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _values(value: Any) -> list[str]:
    return [part.strip() for part in SEPARATORS.split(_text(value)) if part.strip()]


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _key(_text(value))
    if text in YES | NO:
        return text in YES
    raise CellError("refuse", f"{text!r} is not はい/いいえ (yes/no)")


def _pages(value: Any) -> list[int]:
    parts = [_key(p) for p in _values(value)]
    if not all(p.removeprefix("p.").removeprefix("p").isdigit() for p in parts):
        raise CellError("page", f"{_text(value)!r} is not a page number")
    pages = [int(p.removeprefix("p.").removeprefix("p")) for p in parts]
    if 0 in pages:
        raise CellError("page", "pages are numbered from 1")
    return pages


def _spread(key: str, values: list[Any], count: int) -> list[Any]:
    """One value for every evidence phrase, or one per phrase."""
    if len(values) == count:
        return values
    if len(values) == 1:
        return values * count
    what = "no value" if not values else f"{len(values)} values"
    raise CellError(key, f"{what} for {count} evidence phrase(s): give one, or one per phrase")


def _evidence(cells: dict[str, Any]) -> list[dict[str, Any]]:
    phrases = _values(cells.get("phrase"))
    doc_ids = _values(cells.get("doc_id"))
    pages = _pages(cells.get("page"))
    if not phrases:
        if doc_ids or pages:
            key = "doc_id" if doc_ids else "page"
            raise CellError(key, "given without an evidence phrase (根拠/evidence)")
        return []
    doc_ids = _spread("doc_id", doc_ids, len(phrases))
    pages = _spread("page", pages, len(phrases))
    return [
        {"doc_id": d, "page": p, "phrase": phrase}
        for phrase, d, p in zip(phrases, doc_ids, pages, strict=True)
    ]


def _history(value: Any) -> list[dict[str, str]]:
    turns = []
    for part in _values(value):
        role = "assistant" if ASSISTANT_TURN.match(part) else "user"
        turns.append({"role": role, "content": ASSISTANT_TURN.sub("", part)})
    return turns


def row_item(cells: dict[str, Any], row: int) -> EvalItem:
    """One question from a row's cells (by column key); CellError names the bad column."""
    question = _text(cells.get("question"))
    if not question:
        raise CellError("question", "the question is empty")
    refuse = _flag(cells.get("refuse"))
    history = _history(cells.get("history"))
    any_, all_ = _values(cells.get("any")), _values(cells.get("all"))
    evidence = _evidence(cells)
    if refuse and (any_ or all_ or evidence):
        key = "any" if any_ else "all" if all_ else "phrase"
        raise CellError(key, "an unanswerable question (回答不能) takes no answers or evidence")
    if not refuse and not (any_ or all_):
        raise CellError("any", "an answerable question needs 正解 (any) or 全て含む (all)")
    default_type = "unanswerable" if refuse else "followup" if history else "general"
    return parse_item({
        "id": _text(cells.get("id")) or f"row-{row}",
        "type": _text(cells.get("type")) or default_type,
        "question": question,
        "history": history,
        "any": any_,
        "all": all_,
        "evidence": evidence,
        "refuse": refuse,
    })


def _header(path: Path, number: int, cells: Sequence[Any]) -> tuple[dict[int, str], list[str]]:
    """Column position → key, and a warning per unknown column."""
    columns: dict[int, str] = {}
    warnings = []
    for position, cell in enumerate(cells):
        name = _text(cell)
        key = ALIASES.get(_key(name))
        if key is None:
            if name:
                warnings.append(f"{path.name}: column {name!r} is not a known column (ignored)")
            continue
        if key in columns.values():
            raise DatasetError(f"{path.name} row {number}: column {name!r} appears twice")
        columns[position] = key
    if "question" not in columns.values():
        raise DatasetError(f"{path.name} row {number}: the header has no 質問/question column")
    return columns, warnings


def parse_rows(path: Path, rows: Iterable[tuple[int, Sequence[Any]]]) -> QuestionSet:
    """Questions from ``(row number, cells)``: the first non-empty row is the header."""
    columns: dict[int, str] | None = None
    names: dict[str, str] = {}
    found = QuestionSet([])
    seen: set[str] = set()
    for number, cells in rows:
        if all(_text(c) == "" for c in cells):
            continue
        if columns is None:
            columns, found.warnings = _header(path, number, cells)
            names = {key: _text(cells[pos]) for pos, key in columns.items()}
            continue
        by_key = {key: cells[pos] for pos, key in columns.items() if pos < len(cells)}
        try:
            item = row_item(by_key, number)
            if item.id in seen:
                raise CellError("id", f"duplicate id {item.id!r}")
        except CellError as err:
            column = names.get(err.key) or "/".join(COLUMNS[err.key][:2])
            found.errors.append(f"{path.name} row {number}, column {column}: {err}")
            continue
        except ValueError as err:  # parse_item's own checks
            found.errors.append(f"{path.name} row {number}: {err}")
            continue
        seen.add(item.id)
        found.items.append(item)
    if columns is None:
        raise DatasetError(f"{path.name}: the sheet is empty")
    return found


def csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The records of a CSV file (UTF-8 with or without BOM, else Shift_JIS as Excel saves it)."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = path.read_text(encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DatasetError(f"{path}: not UTF-8 or Shift_JIS text")
    return list(enumerate(csv.reader(text.splitlines(keepends=True)), start=1))


def xlsx_rows(path: Path) -> list[tuple[int, tuple[Any, ...]]]:
    """The rows of the workbook's first sheet (cached values of formulas)."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as err:
        raise DatasetError(f"{path}: not a readable .xlsx workbook") from err
    try:
        sheet = workbook.worksheets[0]
        return list(enumerate(sheet.iter_rows(values_only=True), start=1))
    finally:
        workbook.close()


def load_questions(path: Path | str, limit: int | None = None) -> QuestionSet:
    """The questions of a .jsonl, .csv or .xlsx file (the first ``limit`` usable ones)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED:
        raise DatasetError(f"{path}: {UNSUPPORTED[suffix]} cannot be read; save it as .xlsx")
    if suffix not in {".csv", ".xlsx", ".xlsm"}:
        return QuestionSet(load_items(path, limit))
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    found = parse_rows(path, csv_rows(path) if suffix == ".csv" else xlsx_rows(path))
    if not found.items:
        first = f"; first: {found.errors[0]}" if found.errors else ""
        raise DatasetError(f"{path}: no usable questions ({len(found.errors)} bad rows{first})")
    found.items = found.items[:limit] if limit else found.items
    return found


def write_template(path: Path) -> Path:
    """An empty question sheet: the header row, two example rows and a sheet of instructions."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "質問"
    keys = list(COLUMNS)
    sheet.append([COLUMNS[k][0] for k in keys])
    for example in EXAMPLES:
        sheet.append([example[k] for k in keys])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    widths = {"question": 48, "any": 18, "all": 18, "phrase": 24, "history": 40}
    for column, key in zip(sheet.iter_cols(max_row=1), keys, strict=True):
        sheet.column_dimensions[column[0].column_letter].width = widths.get(key, 12)
        for cell in column:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("説明")
    notes.append(["列", "書き方"])
    for row in HELP:
        notes.append(list(row))
    notes.append(["", "見出しは英語（id, type, question, any, all, evidence, doc_id, page, "
                      "refuse, history）でも構いません。例の2行は消してから使ってください。"])
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 100
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
