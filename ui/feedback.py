"""Answer feedback (👍/👎 and a comment), kept in SQLite under ``$POLICY_QA_HOME/feedback.db``.

Each operation opens its own connection (WAL journal, busy timeout), so chat users, API clients
and the command line can write at the same time. :func:`eval_item` turns an item into the
evaluation question format (eval/README.md) with the answer fields left for an evaluator to fill.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.types import Answer

RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 2000
MAX_TEXT_CHARS = 20_000  # question, answer and each history message are cut to this
BUSY_TIMEOUT_S = 10.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    history TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    refused INTEGER NOT NULL,
    mode TEXT NOT NULL,
    documents TEXT NOT NULL,
    channel TEXT NOT NULL
)
"""


class FeedbackError(ValueError):
    """Feedback that cannot be stored; ``str(err)`` says what was wrong in one line."""


@dataclass(frozen=True)
class AnswerRecord:
    """What was asked and answered: the part of a feedback item that the user did not type."""

    question: str
    history: list[dict[str, str]]
    answer: str
    citations: list[dict[str, Any]]
    refused: bool
    mode: str
    documents: list[str] | None = None  # the document filter, None for all documents

    @classmethod
    def of_answer(
        cls,
        answer: Answer,
        history: Sequence[dict[str, str]],
        documents: Sequence[str] | None = None,
    ) -> AnswerRecord:
        """``answer`` to the question asked after ``history`` (citations: where and what)."""
        keys = ("n", "doc_id", "title", "page", "section", "quote")
        return cls(
            question=answer.question,
            history=list(history),
            answer=answer.answer,
            citations=[{key: getattr(c, key) for key in keys} for c in answer.citations],
            refused=answer.refused,
            mode=answer.mode,
            documents=None if documents is None else list(documents),
        )


@dataclass(frozen=True)
class FeedbackItem:
    id: int
    created: str
    updated: str
    rating: str
    comment: str
    record: AnswerRecord
    channel: str  # "ui" | "api"

    def to_json(self) -> dict[str, Any]:
        record = self.record
        return {
            "id": self.id,
            "created": self.created,
            "updated": self.updated,
            "rating": self.rating,
            "comment": self.comment,
            "question": record.question,
            "history": record.history,
            "answer": record.answer,
            "citations": record.citations,
            "refused": record.refused,
            "mode": record.mode,
            "documents": record.documents,
            "channel": self.channel,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _rating(rating: str) -> str:
    if rating not in RATINGS:
        raise FeedbackError(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
    return rating


def _cut(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    return text[:limit]


class FeedbackStore:
    """Feedback items in one SQLite file; safe for concurrent writers and across restarts."""

    def __init__(self, home: Path) -> None:
        self.path = home / "feedback.db"
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One connection per operation, committed on success and always closed."""
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)) as db:
            db.row_factory = sqlite3.Row
            with db:
                yield db

    def add(self, record: AnswerRecord, rating: str, comment: str = "", channel: str = "ui") -> int:
        """Store one item; returns its id."""
        now = _now()
        history = [
            {"role": str(m.get("role", "")), "content": _cut(str(m.get("content", "")))}
            for m in record.history
        ]
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created, updated, rating, comment, question, history,"
                " answer, citations, refused, mode, documents, channel)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now,
                    now,
                    _rating(rating),
                    _cut(comment.strip(), MAX_COMMENT_CHARS),
                    _cut(record.question),
                    json.dumps(history, ensure_ascii=False),
                    _cut(record.answer),
                    json.dumps(record.citations, ensure_ascii=False),
                    int(record.refused),
                    record.mode,
                    json.dumps(record.documents, ensure_ascii=False),
                    channel,
                ),
            )
            return int(cursor.lastrowid or 0)

    def update(self, item_id: int, rating: str | None = None, comment: str | None = None) -> None:
        """Change an item's rating and/or comment; an unknown id is a FeedbackError."""
        sets = {"updated": _now()}
        if rating is not None:
            sets["rating"] = _rating(rating)
        if comment is not None:
            sets["comment"] = _cut(comment.strip(), MAX_COMMENT_CHARS)
        assignments = ", ".join(f"{column} = ?" for column in sets)
        with self._connect() as db:
            cursor = db.execute(
                f"UPDATE feedback SET {assignments} WHERE id = ?", (*sets.values(), item_id)
            )
            if not cursor.rowcount:
                raise FeedbackError(f"no feedback item {item_id}")

    def remove(self, item_id: int) -> None:
        """Forget an item (a 👍/👎 clicked again to take it back)."""
        with self._connect() as db:
            db.execute("DELETE FROM feedback WHERE id = ?", (item_id,))

    def items(self, rating: str | None = None) -> list[FeedbackItem]:
        """Every item, oldest first (only ``rating`` ones when given)."""
        query, args = "SELECT * FROM feedback", ()
        if rating is not None:
            query, args = query + " WHERE rating = ?", (_rating(rating),)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        return [_item(row) for row in rows]


def _item(row: sqlite3.Row) -> FeedbackItem:
    record = AnswerRecord(
        question=row["question"],
        history=json.loads(row["history"]),
        answer=row["answer"],
        citations=json.loads(row["citations"]),
        refused=bool(row["refused"]),
        mode=row["mode"],
        documents=json.loads(row["documents"]),
    )
    return FeedbackItem(
        id=row["id"],
        created=row["created"],
        updated=row["updated"],
        rating=row["rating"],
        comment=row["comment"],
        record=record,
        channel=row["channel"],
    )


def eval_item(item: FeedbackItem) -> dict[str, Any]:
    """The item as an evaluation question (eval/README.md), answer fields empty to be filled.

    ``type`` is ``followup`` when there is history, else empty for the evaluator to choose."""
    history = [turn for turn in item.record.history if turn.get("role") in {"user", "assistant"}]
    return {
        "id": f"fb-{item.id:04d}",
        "type": "followup" if history else "",
        "question": item.record.question,
        "history": history,
        "any": [],
        "all": [],
        "evidence": [],
        "refuse": False,
    }
