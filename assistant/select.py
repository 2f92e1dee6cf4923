"""Stage — select: the evidence the answer states, from the ranked candidates.

A fact or concept question gets its best sentence (and the runner-up when nearly as likely);
a list question, or a best candidate that is a heading, gets what that heading, lead-in
sentence or table holds (corpus/outline.py); an ordinal (「3つ目」) picks one item.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.question import Focus, Question
from assistant.stage import Stage
from assistant.work import Candidate, Outcome, Selection, Work
from corpus.model import ExtractedDocument, Sentence
from corpus.outline import children, enumeration_after, heading_of, own_section
from index.policy_index import PolicyIndex
from index.tokenize import token_set

SECOND_RATIO = 0.8  # runner-up kept when this close to the best (chosen on validation sets)
MAX_LIST_ITEMS = 12
NAMED_SHARE = 0.5  # a heading this much of whose words the question uses is the one asked about


def asked_values(question: Question, text: str) -> list[str]:
    """The figures, dates or names in ``text`` (as written there) of the kind the question
    asks for."""
    if not question.expects or question.focus in (Focus.REASON, Focus.LIST, Focus.GENERAL):
        return []
    return list(dict.fromkeys(m.group(0) for m in question.expects.finditer(text)))


class Select(Stage):
    name = "select"

    def __init__(self, index: PolicyIndex, threshold: Callable[[], float]) -> None:
        self.index = index
        self.threshold = threshold

    def run(self, work: Work) -> Outcome | None:
        assert work.query is not None and work.ranked is not None
        question, ranked = work.query.facts, work.ranked.candidates
        best = ranked[0]
        lead, items = None, []
        if question.focus is Focus.LIST or best.sentence.kind == "heading":
            lead, items = self._list(question, best)
            if question.ordinal and question.ordinal <= len(items):
                lead, items = None, [items[question.ordinal - 1]]
        chosen = ([lead] if lead else []) + (items or self._best(ranked))
        evidence = [c.evidence() for c in chosen]
        work.selection = Selection(
            evidence=evidence,
            as_list=len(items) > 1,
            headed=lead is not None and bool(items),
            marks={i: v for i, e in enumerate(evidence) if (v := asked_values(question, e.text))},
        )
        return None

    def _best(self, ranked: list[Candidate]) -> list[Candidate]:
        """The best candidate, and the runner-up when nearly as likely and likely enough."""
        best, *rest = ranked
        runner_up = rest[:1]
        return [best] + [
            c
            for c in runner_up
            if c.probability >= max(SECOND_RATIO * best.probability, self.threshold())
        ]

    def _list(
        self, question: Question, best: Candidate
    ) -> tuple[Candidate | None, list[Candidate]]:
        """What introduces the list and its items: a table's rows, a heading's children, the
        lines a lead-in sentence enumerates, or the section of a heading the question names."""
        document, sentence = best.document, best.sentence
        if sentence.kind == "table_row":
            return None, self._candidates(document, self._table_rows(document, sentence))
        if sentence.kind == "heading":
            return best, self._candidates(document, children(document, sentence))
        if enumerated := enumeration_after(document, sentence):
            return best, self._candidates(document, enumerated)
        heading = heading_of(document, sentence.page, sentence.section)
        if heading and self._names(question, heading):
            return self._candidate(document, heading), self._candidates(
                document, children(document, heading)
            )
        return None, []

    @staticmethod
    def _names(question: Question, heading: Sentence) -> bool:
        words = token_set(own_section(heading)[-1])
        return bool(words) and len(words & set(question.tokens)) / len(words) >= NAMED_SHARE

    @staticmethod
    def _table_rows(document: ExtractedDocument, row: Sentence) -> list[Sentence]:
        """Every row of the table ``row`` belongs to."""
        record = next(
            (t for t in document.tables if t.page == row.page and t.start == row.start), None
        )
        if record is None:
            return [row]
        spans = {
            (t.start, t.end)
            for t in document.tables
            if t.page == record.page and t.table == record.table
        }
        return [
            s
            for s in document.sentences
            if s.page == row.page and s.kind == "table_row" and (s.start, s.end) in spans
        ]

    def _candidates(
        self, document: ExtractedDocument, sentences: list[Sentence]
    ) -> list[Candidate]:
        return [self._candidate(document, s) for s in sentences[:MAX_LIST_ITEMS]]

    def _candidate(self, document: ExtractedDocument, sentence: Sentence) -> Candidate:
        chunk = self.index.chunk_containing(
            document.doc_id, sentence.page, sentence.start, sentence.end
        )
        return Candidate(
            document=document,
            sentence=sentence,
            chunk_id=chunk.id if chunk else "",
            chunk_text=chunk.text if chunk else sentence.text,
            chunk_rank=0,
            chunk_score=0.0,
            tokens=token_set(sentence.text),
            heading_tokens=token_set(" ".join(sentence.section)),
        )
