"""Stage — decide: refuse when the documents are unlikely to answer the question.

The threshold on the calibrated probability was chosen on validation sets with unanswerable
questions (JaQuAD dev held-out articles, the real-PDF tuning sets): see
assistant/models/selector.json. A question whose likeliest sentence is a table row, which the
JaQuAD-trained trees never saw, has its own threshold, chosen on the real-PDF tuning sets' such
questions (eval/table_threshold.py).
A list question is still answered when one of its likeliest candidates is, or sits under, a
heading it names (select.named_list): no single sentence of a list need look like an answer.
A question that names the unit of the figure it asks for (何円, 何%, 何人, 何件…) is refused when
none of the likeliest sentences states a figure in that unit. Measured with `python -m eval run`
(12-07): 9 more unanswerable questions refused on the five tuning sets and 2 on the held-out
fresh4/fresh5 sets, no right answer lost there, no JaQuAD-RAG dev question changing. Likewise
a question asking who holds an office (「座長は誰」) is refused when none of them names a
person (fugashi's 人名): 3 more unanswerable questions refused on the tuning sets and 1 on
fresh4, no right answer lost, JaQuAD-RAG dev unchanged (97 of 107 JaQuAD train answers to such
questions are names fugashi reads as one; an answer that is a role, 「会長は市長が務める」, is
missed).
A question naming a year (2031年度, 令和6年度, 2019年上半期) is refused when the page of none
of the likeliest sentences mentions it: a figure for 2031年度 is not answered from 2022–2024's.
Measured (12-12): every answerable question naming a year had it on such a page on the tuning
and follow-up sets (35) and the held-out fresh4–10/12 (35); 2 more unanswerable questions
refused on the shipped set, 3 on the held-out ones, no answer changed on the real-PDF tuning
sets; JaQuAD-RAG dev loses 1 of 74 (asked as of one year, answered by a sentence dated a later
one).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.features import LIKELIEST
from assistant.question import UNITS, Unit
from assistant.select import named_list, squeezed, wants_list
from assistant.selector import Selector
from assistant.stage import Stage
from assistant.work import Candidate, Outcome, Refusal, Refused, Work
from corpus.japanese import fold
from index.tokenize import named_kinds

# Where a low-confidence reason lists the names asked about that no document mentions.
UNMENTIONED = "; not in the documents: "
FIGURE = re.compile(r"\d")


def states_figure(candidate: Candidate, unit: Unit) -> bool:
    """Whether the sentence states a figure in ``unit``; in a table row any figure without a
    unit of its own counts, since tables print their units in a header or caption
    (「料金(円)」, 「単位：千円」), but 「205,100 円」 is no count of people (measured 12-07:
    tuning +1 −0, fresh9 +1 −0, the other sets and JaQuAD-RAG dev unchanged)."""
    text = squeezed(candidate.sentence.text)
    if unit.figure.search(text):
        return True
    if candidate.sentence.kind != "table_row":
        return False
    for other in UNITS:
        text = other.figure.sub("", text)
    return bool(FIGURE.search(text))


def page_context(candidate: Candidate) -> str:
    """The sentence's page and its section's headings, folded (how the question holds years)."""
    page = candidate.document.page(candidate.sentence.page).text
    return fold(" ".join((*candidate.sentence.section, page)))


def names_person(candidate: Candidate) -> bool:
    """Whether fugashi reads a person's name in the sentence."""
    return bool(named_kinds(candidate.sentence.text)["person"])


class Decide(Stage):
    name = "decide"

    def __init__(self, selector: Callable[[], Selector]) -> None:
        self.selector = selector

    def run(self, work: Work) -> Outcome | None:
        assert work.ranked is not None and work.query is not None
        question, ranked = work.query.facts, work.ranked
        table_row = ranked.table_topped
        threshold = self.selector().refusal_threshold(table_row)
        listed = wants_list(question) and named_list(question, ranked.candidates)
        if ranked.answerable < threshold and not listed:
            unmentioned = (
                f"{UNMENTIONED}{'、'.join(ranked.unmentioned)}" if ranked.unmentioned else ""
            )
            return Refused(
                Refusal.LOW_CONFIDENCE,
                f"answerable {ranked.answerable:.2f} < threshold {threshold:.2f}"
                f"{' (likeliest: a table row)' if table_row else ''}{unmentioned}",
            )
        likeliest = ranked.candidates[:LIKELIEST]
        if question.unit and not any(states_figure(c, question.unit) for c in likeliest):
            return Refused(
                Refusal.NO_FIGURE,
                f"none of the {len(likeliest)} likeliest sentences states a figure in "
                f"{question.unit.name}",
            )
        contexts = [page_context(c) for c in likeliest] if question.years else []
        unmentioned_years = [y for y in question.years if not any(y in c for c in contexts)]
        if unmentioned_years:
            return Refused(
                Refusal.NO_YEAR,
                f"the pages of the {len(likeliest)} likeliest sentences do not mention "
                f"{'、'.join(unmentioned_years)}",
            )
        if question.office and not any(names_person(c) for c in likeliest):
            return Refused(
                Refusal.NO_NAME,
                f"none of the {len(likeliest)} likeliest sentences names a person",
            )
        return None
