"""Stage 3a — answer "who does what" from the table rows kept at ingest.

Subjects (ministries, municipalities) and measures come from the records themselves, so a new
table in a new document works the same way; nothing here knows any ministry or place by name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from assistant.evidence import MIN_COVERAGE, TermWeights
from assistant.question import MINISTRY, PLACE, Focus, Question
from assistant.state import State
from assistant.types import Evidence
from corpus.model import TableRecord
from index.policy_index import PolicyIndex
from index.tokenize import normalize, token_set

TIE_RATIO = 0.9
Table = list[TableRecord]
LEADS = {Focus.MINISTRY: "担当は{}です。", Focus.PLACE: "{}の取組です。"}
EXCEPT = re.compile(r"以外|を除")  # 「経済産業省以外の省庁は？」 asks for the other rows


def subject_kind(table: Table) -> Focus | None:
    """What a table's subject column names: ministries, places, or neither."""
    for focus, pattern in ((Focus.MINISTRY, MINISTRY), (Focus.PLACE, PLACE)):
        if all(pattern.search(normalize(r.subject) + " ") for r in table):
            return focus
    return None


def subject_header(table: Table) -> str:
    first = table[0]
    return next(
        (h for h, c in zip(first.header, first.cells, strict=False) if c == first.subject), ""
    )


def names_subject(question: Question, subject: str) -> bool:
    """The question names the subject in full, or a place by its tail (京都市 → 京都府京都市)."""
    subject = normalize(subject)
    return subject in question.text or any(
        len(place) >= 3 and subject.endswith(place) for place in question.places
    )


def other_cells(record: TableRecord) -> str:
    return " ".join(c for c in record.cells if c != record.subject)


class TableLookup:
    """Measure → responsible subject, subject → all its measures (or the others' with
    「…以外」), or a whole table as a list."""

    def __init__(self, index: PolicyIndex, weights: Callable[[], TermWeights]) -> None:
        self.index = index
        self.weights = weights

    def tables(self, doc_ids: frozenset[str] | None) -> list[Table]:
        grouped: dict[tuple[str, int, int], Table] = defaultdict(list)
        for record in self.index.table_records():
            if record.subject and (doc_ids is None or record.doc_id in doc_ids):
                grouped[(record.doc_id, record.page, record.table)].append(record)
        return list(grouped.values())

    def __call__(self, state: State) -> None:
        question = state.facts
        assert question is not None
        tables = self.tables(state.doc_ids)
        if question.focus in (Focus.NUMBER, Focus.DATE, Focus.PERSON):  # not what rows hold
            return
        named = [r for t in tables for r in t if names_subject(question, r.subject)]
        # 「どこ」 can ask for a ministry or a place: tables of either kind may answer it.
        who_or_where = (Focus.MINISTRY, Focus.PLACE)
        asked_kind = [
            t for t in tables if question.focus in who_or_where and subject_kind(t) in who_or_where
        ]
        if named and EXCEPT.search(question.text):
            chosen = [r for t in tables if set(t) & set(named) for r in t if r not in named]
        elif named:
            chosen = named
        elif asked_kind:
            chosen = self._best_rows(question, [r for t in asked_kind for r in t])
            if chosen:
                subjects = "、".join(dict.fromkeys(r.subject for r in chosen))
                kind = (
                    subject_kind([r for t in asked_kind for r in t if r in chosen])
                    or question.focus
                )
                state.lead = LEADS[kind].format(subjects)
        elif question.focus is Focus.LIST:
            chosen = [r for t in tables if self._lists_table(question, t) for r in t]
        else:
            return
        state.as_list = len(chosen) > 1
        state.evidence = [self._evidence(r) for r in chosen]

    def _best_rows(self, question: Question, rows: Table) -> Table:
        weights = self.weights()
        wanted = set(question.tokens) - set().union(*(token_set(" ".join(r.header)) for r in rows))
        if not wanted:
            return []
        scored = [(weights.share(wanted, token_set(other_cells(r))), r) for r in rows]
        best = max(score for score, _ in scored)
        if best < MIN_COVERAGE:
            return []
        return [r for score, r in scored if score >= TIE_RATIO * best]

    def _lists_table(self, question: Question, table: Table) -> bool:
        """A list question about the table's subjects: 「各省庁の…」「省庁ごとに…」 for a
        担当省庁 column."""
        return any(
            re.search(f"(各|全){word}|{word}(ごと|別)", question.text)
            for word in token_set(subject_header(table))
        )

    def _evidence(self, record: TableRecord) -> Evidence:
        document = self.index.document(record.doc_id)
        page = document.page(record.page)
        chunk = self.index.chunk_containing(record.doc_id, record.page, record.start, record.end)
        row_text = page.text[record.start : record.end]
        return Evidence(
            doc_id=record.doc_id,
            title=document.title,
            source=document.source,
            page=record.page,
            section=" > ".join(s for s in (page.title, record.subject) if s),
            text=row_text,
            start=record.start,
            end=record.end,
            chunk_id=chunk.id if chunk else "",
            chunk_text=chunk.text if chunk else row_text,
        )
