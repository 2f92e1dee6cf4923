"""Stage — rank: each candidate's calibrated probability of answering, best first, the
probability that the documents answer the question at all, and the names asked about that no
document mentions (a feature of both, and part of a refusal's reason). A table row the question
names with a year column it names (「令和7年度の使用料収入は」) comes first of all: that cell is the
value asked for, however the model, fitted on JaQuAD's sentences, rates a long row. Measured
with `python -m eval run` (12-07): tuning sets +5 −0, held-out fresh4 +2, fresh5/6/7 +1 each,
fresh8 ±0, none −; shipped and JaQuAD-RAG dev (no year columns, no tables) unchanged."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.features import LIKELIEST, TermWeights, candidate_features
from assistant.question import Focus, Question, named_words
from assistant.select import squeezed, table_record
from assistant.selector import Selector
from assistant.stage import Stage
from assistant.work import Candidate, Outcome, Ranked, Work
from corpus.japanese import fold
from corpus.tables import is_figure, is_value
from index.tokenize import named_kinds

BRACKETED = re.compile(r"[(（][^)）]*[)）]")
# A list marker before a row label (ア使用料収入, 1.人件費): a katakana letter, or a number with its
# dot or bracket, right before a kanji.
LABEL_MARKER = re.compile(r"^(?:[ア-ン]|[0-9]+[.)])(?=[一-龥])")
# A column headed by a year, folded (平成30年度 → 2018年度, H28 → 2016).
YEAR_COLUMN = re.compile(r"((?:19|20)\d{2})(?:年度|年)?")
YEAR_IN_TEXT = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")  # no year asked, no year column named
NAME_LENGTH = 2  # a row name shorter than this names nothing by itself


def name_core(text: str) -> str:
    """A row name or column header as a question would say it: folded, without spaces,
    bracketed notes (債残高(X)) or a list marker, and of a multi-row header the lowest level."""
    core = BRACKETED.sub("", squeezed(text.split(" / ")[-1]))
    return LABEL_MARKER.sub("", core)


def names_cell(question: Question, candidate: Candidate) -> bool:
    """Whether the candidate is a table row the question names (its label or a text cell, such
    as ア使用料収入) with a filled column headed by a year the question names (令和7年度)."""
    if candidate.sentence.kind != "table_row":
        return False
    record = table_record(candidate.document, candidate.sentence)
    if record is None:
        return False
    asked = squeezed(question.text)
    names = (name_core(c) for c in (record.label, *record.cells) if not is_value(c))
    years = (
        year.group(1)
        for header, cell in zip(record.header, record.cells, strict=False)
        if is_figure(cell) and (year := YEAR_COLUMN.fullmatch(name_core(header)))
    )
    asked_years = set(YEAR_IN_TEXT.findall(asked))
    return any(len(n) >= NAME_LENGTH and n in asked for n in names) and any(
        y in asked_years for y in years
    )


def named_cell_first(question: Question, ranked: list[Candidate]) -> list[Candidate]:
    """``ranked`` with the likeliest table row the question names by row and year moved first
    (a list question reads whole tables: left as it is)."""
    if question.focus is Focus.LIST or not YEAR_IN_TEXT.search(squeezed(question.text)):
        return ranked
    for i, c in enumerate(ranked):
        if names_cell(question, c):
            return [c, *ranked[:i], *ranked[i + 1 :]]
    return ranked


# A person or place asked for is also one fugashi reads as such (人名, 地名) that the question
# does not name (山田太郎, ブラジル): JaQuAD-RAG dev +6 −1, on the selector's training articles
# +6 −1, no real-PDF answer changed (12-11).
NAMED_KIND = {Focus.PERSON: "person", Focus.PLACE: "place"}


def expected_first(question: Question, ranked: list[Candidate]) -> list[Candidate]:
    """``ranked`` with the likeliest of the first :data:`LIKELIEST` sentences that holds the
    kind of fact asked for (a figure, a date, a law, a person or place…) moved first, when the
    likeliest of all holds none: the model, fitted on whole sentences, often rates one that
    merely repeats the question's words above the one with the answer. A reason or list
    question is left as it is (a list is read whole; moving a sentence with 「ため」 first
    for a reason question changed no answer's correctness on any set, 12-11)."""
    expects = question.expects
    if not expects or question.focus in (Focus.REASON, Focus.LIST) or not ranked:
        return ranked
    kind = NAMED_KIND.get(question.focus)
    asked = named_kinds(question.text)[kind] if kind else frozenset()

    def holds(c: Candidate) -> bool:
        """Whether the sentence holds a fact of the kind asked that the question does not
        already state (「10月上旬」 repeated from 「何年の10月上旬」 is no year)."""
        text = fold(c.sentence.text)
        new = any(m.group() not in question.text for m in expects.finditer(text))
        return new or bool(kind and named_kinds(text)[kind] - asked)

    if holds(ranked[0]):
        return ranked
    for i, c in enumerate(ranked[1:LIKELIEST], start=1):
        if holds(c):
            return [c, *ranked[:i], *ranked[i + 1 :]]
    return ranked


class Rank(Stage):
    name = "rank"

    def __init__(
        self, selector: Callable[[], Selector], weights: Callable[[], TermWeights]
    ) -> None:
        self.selector = selector
        self.weights = weights

    def run(self, work: Work) -> Outcome | None:
        assert work.query is not None and work.retrieved is not None
        candidates = work.retrieved.candidates
        selector = self.selector()
        features = candidate_features(work.query.facts, work.retrieved, self.weights())
        probabilities = selector.probabilities(features)
        for candidate, p in zip(candidates, probabilities, strict=True):
            candidate.probability = float(p)
        question, asked = work.query.facts, work.query.judged
        likeliest = sorted(candidates, key=lambda c: -c.probability)
        if asked is not work.query.facts:  # answerable: the follow-up with its context
            features = candidate_features(asked, work.retrieved, self.weights())
            probabilities = selector.probabilities(features)
        work.ranked = Ranked(
            named_cell_first(question, expected_first(question, likeliest)),
            selector.answerability(features, probabilities),
            self.weights().unmentioned(named_words(asked)),
        )
        return None
