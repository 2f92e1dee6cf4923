"""Stage — select: the evidence the answer states, from the ranked candidates.

A fact or concept question gets its best sentence (and the runner-up when nearly as likely);
one asking for no kind of fact (「…はどういう仕事？」) takes it from under a heading it names;
a list question, or a best candidate that is a heading, gets what that heading, lead-in
sentence or table holds (corpus/outline.py); an ordinal (「3つ目」) picks one item, and a
numbered item (「行動目標の3-2」) the sentence labelled with its number. A page
title over sub-headings only holds the page's contents: it answers only a list question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from assistant.features import TermWeights
from assistant.question import Focus, Question
from assistant.stage import Stage
from assistant.work import Candidate, Outcome, Selection, Work
from corpus.japanese import fold, has_content
from corpus.model import ExtractedDocument, Sentence, TableRecord
from corpus.outline import (
    children,
    enumerates_inline,
    enumeration_after,
    heading_of,
    is_page_title,
    own_section,
)
from corpus.tables import FIELD_SEPARATOR, HEADER_SEPARATOR, is_value
from index.policy_index import PolicyIndex
from index.tokenize import token_set

CELL_MARGIN = 1.5  # a column is "the one asked about" when it matches this many times the next
MAX_LIST_ITEMS = 12
LIST_ANCHORS = 10  # candidates looked at for the heading or lead-in of a list
NAMED_SHARE = 0.5  # a heading this much of whose words the question uses is the one asked about
NAMED_WORDS = 2  # and, to be what a question is about, at least this many (not one 【事例】)


def table_record(document: ExtractedDocument, row: Sentence) -> TableRecord | None:
    return next((t for t in document.tables if t.page == row.page and t.start == row.start), None)


def cell_view(question: Question, record: TableRecord, weights: TermWeights) -> str | None:
    """The row as 「label｜header: cell」 for the cells the question is about: the one whose
    header and text it names (clearly more than any other), and, when it asks for a kind of
    fact (a figure, a date, a place…), the best-named cells holding that kind; None when no cell
    stands out, or the named cell is named by its text only and no cell holds a kind asked for
    (the whole row is stated then). In a table of values, the row's header cells and the cells
    the question picked it by are stated too. Placeholder cells (「－」) hold nothing and are
    left out."""
    wanted = set(question.tokens)
    cells = [
        (h, c)
        for h, c in zip(record.header, record.cells, strict=False)
        if has_content(c) and c != record.label
    ]
    scored = sorted(  # best named first; of equally named cells, the first column
        ((weights.share(wanted, token_set(f"{h} {c}")), i) for i, (h, c) in enumerate(cells)),
        key=lambda pair: (-pair[0], pair[1]),
    )
    named = [i for share, i in scored[:1] if share > 0]
    if named and len(scored) > 1 and scored[0][0] < CELL_MARGIN * scored[1][0]:
        named = []
    # A cell named by its text alone is the row's key, not the value (「区分: 大学卒」 would
    # hide the salary); one whose column the question names is the value asked for, even in a
    # unit the question did not foresee (「平均年齢はいくつ」: 46.2歳). So for a question that
    # looks for no kind of fact too (「古い倉庫を改装している自治体は」: its 地域). Measured 12-10:
    # shipped +1, fresh4 +2, fresh10 +1, nothing lost on any set, JaQuAD-RAG dev unchanged.
    by_column = [i for i in named if weights.share(wanted, token_set(cells[i][0])) > 0]
    kind = []
    if question.expects and question.focus not in (Focus.REASON, Focus.LIST, Focus.GENERAL):
        holding = [
            (share, i) for share, i in scored if question.expects.search(squeezed(cells[i][1]))
        ]
        if not holding and not by_column:
            return None
        kind = [i for share, i in holding if share == holding[0][0]]
    elif not by_column:
        return None
    shown = sorted(set(named + kind))
    if not shown:
        return None
    # In a table of values, the text cells before a row's first value are its row header
    # (「区分: 大学卒」 of 教育職), and a cell whose text the question names is the key it picked
    # the row by (「区分: ６級」): stated with the value, so that the answer says which row it is.
    values = [i for i, (_, c) in enumerate(cells) if is_value(c)]
    if values:
        keys = {i for i, (_, c) in enumerate(cells) if weights.share(wanted, token_set(c)) > 0}
        shown = sorted(set(shown) | set(range(values[0])) | keys)
    parts = [f"{h}{HEADER_SEPARATOR}{c}" if h else c for h, c in (cells[i] for i in shown)]
    return FIELD_SEPARATOR.join(([record.label] if record.label else []) + parts)


def squeezed(text: str) -> str:
    """The folded text without spaces: a cell's 「211,300 円」 holds the figure 211300円."""
    return "".join(fold(text).split())


def named_share(question: Question, heading: Sentence, least: int = 1) -> float:
    """The share of a heading's words the question uses when it names the heading (uses most
    of its words, and at least ``least`` of them), else 0."""
    words = token_set(own_section(heading)[-1])
    used = len(words & set(question.tokens))
    share = used / len(words) if words else 0.0
    return share if used >= least and share >= NAMED_SHARE else 0.0


def names_heading(question: Question, heading: Sentence, least: int = 1) -> bool:
    """Whether the question names a heading (the one it asks about): see :func:`named_share`."""
    return named_share(question, heading, least) > 0


def heads_contents(candidate: Candidate) -> bool:
    """A page title over sub-headings only: what it holds is the page's contents, no answer
    to a question that does not ask for a list (「音威子府村の…について」 over 別紙３, １総括…)."""
    sentence = candidate.sentence
    if not is_page_title(sentence):
        return False
    under = children(candidate.document, sentence)
    return bool(under) and all(s.kind == "heading" for s in under)


def in_named_section(question: Question, ranked: list[Candidate]) -> list[Candidate]:
    """``ranked`` with the likeliest sentence under the heading the question names most fully
    moved first, when it names no fewer of the question's entities than the likeliest of all:
    「データ整備員はどういう仕事？」 is answered from the section データ整備員, not from a
    sentence elsewhere that mentions it with more of the question's words. A heading the
    question quotes whole (「データガバナンス」の定義, a glossary entry) comes before one whose
    words it merely uses (3. データガバナンスの推進), and one whose words it uses all before one
    whose words it uses in part ((2) 分析人材 before 2. 人材の定義と区分)."""
    entities = (*question.years, *question.places, *question.ministries, *question.names)

    quoted = {fold(q) for q in question.quoted}

    def named(c: Candidate) -> tuple[int, float]:
        """(2, ·) under a heading the question quotes whole (「データガバナンス」), (1, share of
        its words used) under one whose words it uses, else (0, 0)."""
        s = c.sentence
        heading = heading_of(c.document, s.page, s.section) if s.kind != "heading" else None
        if heading is None:
            return 0, 0.0
        if fold(heading.text) in quoted:
            return 2, 1.0
        share = named_share(question, heading, NAMED_WORDS)
        return (1, share) if share else (0, 0.0)

    def entities_named(c: Candidate) -> int:
        context = fold(" ".join((c.sentence.text, *c.sentence.section)))
        return sum(e in context for e in entities)

    floor = entities_named(ranked[0])
    levels = [named(c) if entities_named(c) >= floor else (0, 0.0) for c in ranked]
    inside = max(range(len(ranked)), key=lambda i: (levels[i], -i))
    if not inside or not levels[inside][0]:
        return ranked
    return [ranked[inside], *ranked[:inside], *ranked[inside + 1 :]]


def labels_item(number: str, text: str) -> bool:
    """Whether ``text`` labels an item with ``number``: it opens the sentence or is followed by a
    space (「3-2 AIマネジメントの…」, 「…の検証5-2 社外ステークホルダーの…」), not a range
    (「3-4倍」) or a longer number (「3-21」)."""
    digits = "[-‐−]".join(re.split(r"[-‐−]", number))
    return bool(re.search(rf"(?<![\d\-‐−.]){digits}(?:\s|$)|^{digits}(?![\d\-‐−])", text))


def numbered_item_first(question: Question, ranked: list[Candidate]) -> list[Candidate]:
    """``ranked`` with the likeliest sentence that labels the item the question numbers
    (「行動目標の3-2は？」) moved first: the item's text rarely repeats the question's words.
    Measured with `python -m eval run` (12-07): tuning sets +2 −0, held-out fresh4 +1 −0 and
    fresh5–8 unchanged; no JaQuAD dev question numbers an item."""
    for i, c in enumerate(ranked):
        text = unicodedata.normalize("NFKC", c.sentence.text)  # fold drops 「5-2 社外」's space
        if any(labels_item(n, text) for n in question.item_numbers):
            return [c, *ranked[:i], *ranked[i + 1 :]]
    return ranked


def wants_list(question: Question) -> bool:
    return question.focus is Focus.LIST or question.ordinal is not None


def named_list(question: Question, ranked: list[Candidate]) -> bool:
    """Whether one of the likeliest candidates is, or sits under, a heading the question names:
    a list question is then answered from that section even when no single sentence is likely."""
    for c in ranked[:LIST_ANCHORS]:
        s = c.sentence
        heading = s if s.kind == "heading" else heading_of(c.document, s.page, s.section)
        if heading and names_heading(question, heading):
            return True
    return False


def asked_values(question: Question, text: str) -> list[str]:
    """The figures, dates or names in ``text`` (as written there) of the kind the question
    asks for (matched on the NFKC form, so ３１．０％ counts as 31.0%)."""
    if not question.expects or question.focus in (Focus.REASON, Focus.LIST, Focus.GENERAL):
        return []
    width = "".join(
        unicodedata.normalize("NFKC", c) if len(unicodedata.normalize("NFKC", c)) == 1 else c
        for c in text
    )
    return list(
        dict.fromkeys(text[m.start() : m.end()] for m in question.expects.finditer(width.lower()))
    )


class Select(Stage):
    name = "select"

    def __init__(
        self,
        index: PolicyIndex,
        second_ratio: Callable[[], float],
        weights: Callable[[], TermWeights],
    ) -> None:
        self.index = index
        self.second_ratio = second_ratio  # chosen on validation sets: assistant/models/
        self.weights = weights

    def run(self, work: Work) -> Outcome | None:
        assert work.query is not None and work.ranked is not None
        question, ranked = work.query.facts, work.ranked.candidates
        best = ranked[0]
        lead: Candidate | None = None
        items: list[Candidate] = []
        if wants_list(question):
            # the likeliest candidate that introduces a list, unless the likeliest of all
            # numbers the items itself
            if not enumerates_inline(best.sentence):
                lead, items = self.likeliest_list(question, ranked[:LIST_ANCHORS])
        elif best.sentence.kind == "heading" and not heads_contents(best):
            lead, items = self._list(question, best)
        if items and question.ordinal and question.ordinal <= len(items):
            lead, items = None, [items[question.ordinal - 1]]
        if not items and question.focus is Focus.GENERAL:
            ranked = in_named_section(question, ranked)
        if not items and question.item_numbers:
            ranked = numbered_item_first(question, ranked)
        chosen = [lead, *items] if lead and items else items or self._best(ranked)
        evidence = [c.evidence() for c in chosen]
        shown = {} if items else self._cells(question, chosen)
        work.selection = Selection(
            evidence=evidence,
            as_list=len(items) > 1,
            headed=lead is not None and bool(items),
            marks={i: v for i, e in enumerate(evidence) if (v := asked_values(question, e.text))},
            shown=shown,
        )
        return None

    def _cells(self, question: Question, chosen: list[Candidate]) -> dict[int, str]:
        """Table rows among the chosen evidence, shown as the cell the question asks about."""
        shown = {}
        for i, c in enumerate(chosen):
            record = (
                table_record(c.document, c.sentence) if c.sentence.kind == "table_row" else None
            )
            if record and (view := cell_view(question, record, self.weights())):
                shown[i] = view
        return shown

    def _best(self, ranked: list[Candidate]) -> list[Candidate]:
        """The best candidate, and the runner-up when nearly as likely; a runner-up that
        repeats the best one's text (a line printed twice) says nothing more and is passed over,
        as is a page title over sub-headings (the page's contents)."""
        best, *rest = [c for c in ranked if not heads_contents(c)] or ranked
        others = [c for c in rest if fold(c.sentence.text) != fold(best.sentence.text)]
        return [best] + [
            c for c in others[:1] if c.probability >= self.second_ratio() * best.probability
        ]

    def likeliest_list(
        self, question: Question, anchors: list[Candidate]
    ) -> tuple[Candidate | None, list[Candidate]]:
        """The list of the likeliest anchor; when that anchor is a heading, the list under the
        heading among them that the question names most fully, if it names any (2. 人材の区分,
        not 1. 目的, for 「人材の区分は？」). Measured: tuning +3 −0, held-out +4 −0."""
        lists = [found for c in anchors if len((found := self._list(question, c))[1]) > 1]
        if not lists or lists[0][0] is None or lists[0][0].sentence.kind != "heading":
            return lists[0] if lists else (None, [])
        shares = [
            named_share(question, lead.sentence, NAMED_WORDS)
            if lead and lead.sentence.kind == "heading"
            else 0.0
            for lead, _ in lists
        ]
        best = max(range(len(lists)), key=lambda i: (shares[i], -i))
        return lists[best] if shares[best] else lists[0]

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
        if heading and names_heading(question, heading):
            return self._candidate(document, heading), self._candidates(
                document, children(document, heading)
            )
        return None, []

    @staticmethod
    def _table_rows(document: ExtractedDocument, row: Sentence) -> list[Sentence]:
        """Every row of the table ``row`` belongs to."""
        record = table_record(document, row)
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
