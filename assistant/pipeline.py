"""The answer path as an ordered list of stages; follow one question through ``Assistant.ask``.

rephrase → retrieve → table lookup → select evidence → compose → verify citations
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from assistant.compose import ComposeExtractive, related_material
from assistant.evidence import SelectEvidence
from assistant.rephrase import Rephrase
from assistant.retrieve import Retrieve
from assistant.state import State
from assistant.tables import TableLookup
from assistant.types import Answer
from assistant.verify import VerifyCitations
from index.policy_index import PolicyIndex, SearchMode

Stage = Callable[[State], None]
STREAM_PIECE = 12  # characters per streamed piece of an extractive answer


class Assistant:
    """Answers questions from the indexed documents with verified citations."""

    def __init__(self, index: PolicyIndex, retriever_mode: SearchMode = "hybrid") -> None:
        self.index = index
        select = SelectEvidence(index)
        self.stages: list[tuple[str, Stage]] = [
            ("rephrase", Rephrase()),
            ("retrieve", Retrieve(index, mode=retriever_mode)),
            ("table_lookup", TableLookup(index, select.weights)),
            ("select_evidence", select),
            ("compose", ComposeExtractive()),
            ("verify", VerifyCitations(index)),
        ]

    def run(
        self, question: str, history: Sequence[dict[str, str]] = (), doc_id: str | None = None
    ) -> State:
        state = State(question=question, history=list(history), doc_id=doc_id)
        for name, stage in self.stages:
            started = time.perf_counter()
            stage(state)
            state.timings[name] = round(time.perf_counter() - started, 4)
        return state

    def ask(
        self, question: str, history: Sequence[dict[str, str]] = (), doc_id: str | None = None
    ) -> Answer:
        state = self.run(question, history, doc_id)
        return Answer(
            question=question,
            standalone_question=state.standalone,
            answer=state.answer,
            citations=state.citations,
            refused=state.refused,
            related=related_material(state) if state.refused else [],
            path=state.path,
            timings=state.timings,
        )

    def stream(
        self, question: str, history: Sequence[dict[str, str]] = (), doc_id: str | None = None
    ) -> Iterator[str | Answer]:
        """Text pieces as they are ready, then the final :class:`Answer` with its citations."""
        answer = self.ask(question, history, doc_id)
        for i in range(0, len(answer.answer), STREAM_PIECE):
            yield answer.answer[i : i + STREAM_PIECE]
        yield answer
