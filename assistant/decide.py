"""Stage — decide: refuse when even the best candidate is unlikely to answer.

The threshold on the calibrated probability was chosen on validation sets with unanswerable
questions (JaQuAD dev held-out articles, the realpdf set): see assistant/models/selector.json.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.selector import Selector
from assistant.stage import Stage
from assistant.work import Outcome, Refusal, Refused, Work


class Decide(Stage):
    name = "decide"

    def __init__(self, selector: Callable[[], Selector]) -> None:
        self.selector = selector

    def run(self, work: Work) -> Outcome | None:
        assert work.ranked is not None
        threshold = self.selector().threshold
        if work.ranked.best < threshold:
            return Refused(
                Refusal.LOW_CONFIDENCE,
                f"best sentence {work.ranked.best:.2f} < threshold {threshold:.2f}",
            )
        return None
