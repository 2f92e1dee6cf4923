"""Load an evaluation question file (the JSON-lines format described in eval/README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUESTIONS = Path(__file__).with_name("questions.jsonl")
KEYS = ("id", "type", "question", "history", "any", "all", "evidence", "refuse")
ROLES = frozenset({"user", "assistant"})


class DatasetError(ValueError):
    """A question file that cannot be used; ``str(err)`` names the file, line and problem."""


@dataclass(frozen=True)
class GoldEvidence:
    doc_id: str
    page: int
    phrase: str


@dataclass(frozen=True)
class EvalItem:
    id: str
    type: str
    question: str
    history: tuple[dict[str, str], ...]
    any: tuple[str, ...]
    all: tuple[str, ...]
    evidence: tuple[GoldEvidence, ...]
    refuse: bool

    @property
    def answerable(self) -> bool:
        return not self.refuse


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"'{key}' must be a list of non-empty strings")
    return tuple(value)


def _history(value: Any) -> tuple[dict[str, str], ...]:
    if not isinstance(value, list) or not all(
        isinstance(t, dict)
        and t.get("role") in ROLES
        and isinstance(t.get("content"), str)
        for t in value
    ):
        raise ValueError("'history' must be a list of {role: user|assistant, content: str}")
    return tuple({"role": t["role"], "content": t["content"]} for t in value)


def _evidence(value: Any) -> tuple[GoldEvidence, ...]:
    if not isinstance(value, list):
        raise ValueError("'evidence' must be a list")
    try:
        gold = tuple(
            GoldEvidence(str(e["doc_id"]), int(e["page"]), str(e["phrase"])) for e in value
        )
    except (TypeError, KeyError, ValueError) as err:
        raise ValueError("each evidence entry needs doc_id, page (int) and phrase") from err
    if any(not e.phrase for e in gold):
        raise ValueError("an evidence phrase is empty")
    return gold


def parse_item(data: Any) -> EvalItem:
    """One question from its decoded JSON object; ValueError says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    missing = [k for k in KEYS if k not in data]
    if missing:
        raise ValueError(f"missing key(s) {', '.join(missing)}")
    if not isinstance(data["question"], str) or not data["question"].strip():
        raise ValueError("'question' must be a non-empty string")
    if not isinstance(data["refuse"], bool):
        raise ValueError("'refuse' must be true or false")
    item = EvalItem(
        id=str(data["id"]),
        type=str(data["type"]),
        question=data["question"],
        history=_history(data["history"]),
        any=_strings(data["any"], "any"),
        all=_strings(data["all"], "all"),
        evidence=_evidence(data["evidence"]),
        refuse=data["refuse"],
    )
    if item.answerable and not (item.any or item.all):
        raise ValueError("an answerable item needs 'any' or 'all' key strings")
    return item


def load_items(path: Path | str = QUESTIONS, limit: int | None = None) -> list[EvalItem]:
    """The items of ``path`` in file order (the first ``limit`` when given)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as err:
        raise DatasetError(f"{path}: no such file") from err
    except (IsADirectoryError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: not a UTF-8 JSON-lines file") from err
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = parse_item(json.loads(line))
        except json.JSONDecodeError as err:
            raise DatasetError(f"{path}:{number}: invalid JSON ({err.msg})") from err
        except ValueError as err:
            raise DatasetError(f"{path}:{number}: {err}") from err
        if item.id in seen:
            raise DatasetError(f"{path}:{number}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise DatasetError(f"{path}: no questions")
    return items[:limit] if limit else items
