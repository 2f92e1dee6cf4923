"""Question sets for the evaluator tests, written here about the shipped documents (none of them
comes from an eval/*.jsonl file), and writers for the same set as .jsonl, .csv and .xlsx."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook

JINZAI = "digital-jinzai"


def item(
    item_id: str,
    kind: str,
    question: str,
    any_: list[str],
    evidence: list[tuple[int, str]],
    history: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": kind,
        "question": question,
        "history": history or [],
        "any": any_,
        "all": [],
        "evidence": [{"doc_id": JINZAI, "page": p, "phrase": phrase} for p, phrase in evidence],
        "refuse": not any_,
    }


# Measured on the shipped index: the bm25 and dense retrievers disagree on the first three.
QUESTIONS = [
    item("t-kanko", "concept", "観光DXはどの柱の取組ですか", ["仕事"], [(2, "地方に仕事をつくる")]),
    item("t-kyouiku", "concept", "教育DXはどの柱の取組ですか", ["魅力的な地域"],
         [(2, "魅力的な地域をつくる")]),
    item("t-design", "concept", "サービスデザイン体制の確立はどの取組ですか",
         ["誰一人取り残されない"], [(2, "利用者視点でのサービスデザイン体制")]),
    item("t-kokudo", "ministry", "3次元のモデルを扱う研修はどの役所？", ["国土交通省"],
         [(5, "３次元モデルを活用する"), (5, "デジタル技術研修")]),
    item("t-staff", "unanswerable", "デジタル庁の職員数は何人ですか？", [], []),
    item("t-followup", "followup", "では総務省は？", ["サイバー防御演習", "サイバー防御"],
         [(5, "サイバー防御演習")],
         history=[{"role": "user", "content": "農林水産省の人材育成の取組は？"},
                  {"role": "assistant", "content": "スマート農林水産業の人材育成です。"}]),
]
JA_HEADER = ["ID", "種類", "質問", "正解", "全て含む", "根拠", "資料ID", "ページ", "回答不能",
             "履歴"]
EN_HEADER = ["id", "type", "question", "any", "all", "evidence", "doc_id", "page", "refuse",
             "history"]


def _one_or_each(values: list[Any]) -> list[Any]:
    return values[:1] if len(set(values)) == 1 else values


def sheet_row(q: dict[str, Any], refuse: Any, sep: str = "｜") -> list[Any]:
    """A question as a sheet row (``refuse`` is how the sheet writes true/false)."""
    evidence = q["evidence"]
    turns = [
        t["content"] if t["role"] == "user" else f"回答: {t['content']}" for t in q["history"]
    ]
    return [
        q["id"],
        q["type"],
        q["question"],
        sep.join(q["any"]),
        sep.join(q["all"]),
        sep.join(e["phrase"] for e in evidence),
        sep.join(_one_or_each([e["doc_id"] for e in evidence])),
        sep.join(str(p) for p in _one_or_each([e["page"] for e in evidence])),
        refuse,
        "\n".join(turns),
    ]


def write_jsonl(path: Path, questions: list[dict[str, Any]]) -> Path:
    lines = [json.dumps(q, ensure_ascii=False) for q in questions]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[list[Any]], header: list[str] = JA_HEADER) -> Path:
    """A CSV as Excel saves it: UTF-8 with a byte-order mark."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def write_xlsx(path: Path, rows: list[list[Any]], header: list[str] = EN_HEADER) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in [header, *rows]:
        sheet.append(row)
    workbook.save(path)
    return path
