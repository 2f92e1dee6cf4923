"""Stage — decide: refuse when the documents are unlikely to answer the question.

The threshold on the calibrated probability was chosen on validation sets with unanswerable
questions (JaQuAD dev held-out articles, the realpdf set): see assistant/models/selector.json.
A list question is still answered when one of its likeliest candidates is, or sits under, a
heading it names (select.named_list): no single sentence of a list need look like an answer.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.select import named_list, wants_list
from assistant.selector import Selector
from assistant.stage import Stage
from assistant.work import Outcome, Refusal, Refused, Work

# Where a low-confidence reason lists the names asked about that no document mentions.
UNMENTIONED = "; not in the documents: "


class Decide(Stage):
    name = "decide"

    def __init__(self, selector: Callable[[], Selector]) -> None:
        self.selector = selector

    def run(self, work: Work) -> Outcome | None:
        assert work.ranked is not None
        threshold = self.selector().threshold
        assert work.query is not None
        question, ranked = work.query.facts, work.ranked
        listed = wants_list(question) and named_list(question, ranked.candidates)
        if ranked.answerable < threshold and not listed:
            unmentioned = (
                f"{UNMENTIONED}{'、'.join(ranked.unmentioned)}" if ranked.unmentioned else ""
            )
            return Refused(
                Refusal.LOW_CONFIDENCE,
                f"answerable {ranked.answerable:.2f} < threshold {threshold:.2f}{unmentioned}",
            )
        return None
