"""Stage — rank: each candidate's calibrated probability of answering, best first, the
probability that the documents answer the question at all, and the names asked about that no
document mentions (a feature of both, and part of a refusal's reason)."""

from __future__ import annotations

from collections.abc import Callable

from assistant.features import TermWeights, candidate_features
from assistant.question import named_words
from assistant.selector import Selector
from assistant.stage import Stage
from assistant.work import Outcome, Ranked, Work


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
        asked = work.query.facts
        if work.query.joined is not None:  # answerable: the follow-up with its context
            asked = work.query.joined
            features = candidate_features(asked, work.retrieved, self.weights())
            probabilities = selector.probabilities(features)
        work.ranked = Ranked(
            sorted(candidates, key=lambda c: -c.probability),
            selector.answerability(features, probabilities),
            self.weights().unmentioned(named_words(asked)),
        )
        return None
