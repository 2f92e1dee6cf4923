"""The answer path as an ordered list of stages; follow one question through ``Assistant.stream``.

    rephrase → retrieve → table lookup → select evidence → compose → verify citations

``compose`` is extractive by default (no LLM) or generative (an LLM writes, every sentence is
verified against its sources); every other stage is shared by both modes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Sequence
from threading import Lock

from llama_index.core.llms import LLM

from assistant.compose import ComposeExtractive, ComposeGenerative, related_material
from assistant.evidence import SelectEvidence
from assistant.llm import LLMConfig, build_llm
from assistant.rephrase import Rephrase
from assistant.retrieve import Retrieve
from assistant.state import State
from assistant.tables import TableLookup
from assistant.types import Answer
from assistant.verify import VerifyCitations
from index.policy_index import PolicyIndex, SearchMode

Stage = Callable[[State], None]
MODES = ("extractive", "generative")
STREAM_PIECE = 12  # characters per streamed piece of an extractive answer


class Assistant:
    """Answers questions from the indexed documents with verified citations."""

    def __init__(
        self,
        index: PolicyIndex,
        retriever_mode: SearchMode = "hybrid",
        mode: str = "extractive",
        llm: LLM | None = None,
        llm_config: LLMConfig | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown answer mode {mode!r}: choose one of {', '.join(MODES)}")
        self.index = index
        self.mode = mode
        self._llm, self._llm_config, self._llm_lock = llm, llm_config, Lock()
        select = SelectEvidence(index)
        self.composers = {
            "extractive": ComposeExtractive(),
            "generative": ComposeGenerative(self.llm),
        }
        self.stages: list[tuple[str, Stage]] = [
            ("rephrase", Rephrase(self.llm, lambda: {r.subject for r in index.table_records()})),
            ("retrieve", Retrieve(index, mode=retriever_mode)),
            ("table_lookup", TableLookup(index, select.weights)),
            ("select_evidence", select),
            ("compose", self._compose),
            ("verify", VerifyCitations(index)),
        ]

    def llm(self) -> LLM:
        """The configured LLM, loaded on first use (``POLICY_QA_LLM_*``; default local Qwen)."""
        with self._llm_lock:
            if self._llm is None:
                self._llm = build_llm(self._llm_config or LLMConfig.from_env())
            return self._llm

    def _compose(self, state: State) -> None:
        self.composers[state.mode](state)

    def _new_state(
        self,
        question: str,
        history: Sequence[dict[str, str]],
        doc_ids: Collection[str] | None,
        mode: str | None,
    ) -> State:
        state = State(
            question=question,
            history=list(history),
            doc_ids=None if doc_ids is None else frozenset(doc_ids),
            mode=mode or self.mode,
        )
        if state.mode not in MODES:
            raise ValueError(f"unknown answer mode {state.mode!r}")
        return state

    def _run_stages(self, state: State) -> Iterator[str]:
        """Every stage in order on ``state``, yielding the answer's text as it is composed."""
        for name, stage in self.stages:
            started = time.perf_counter()
            if name == "compose" and state.mode == "generative":
                yield from self.composers["generative"].stream(state)
            else:
                stage(state)
            state.timings[name] = round(time.perf_counter() - started, 4)
            if name == "compose" and state.mode == "extractive":
                for i in range(0, len(state.answer), STREAM_PIECE):
                    yield state.answer[i : i + STREAM_PIECE]

    def stream(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        doc_ids: Collection[str] | None = None,
        mode: str | None = None,
    ) -> Iterator[str | Answer]:
        """Text pieces as they are ready, then the final :class:`Answer` with its citations.

        In generative mode the pieces are the model's tokens before verification; the final
        answer holds only the verified sentences (or the extractive fallback)."""
        state = self._new_state(question, history, doc_ids, mode)
        yield from self._run_stages(state)
        yield self._answer(state)

    def run(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        doc_ids: Collection[str] | None = None,
        mode: str | None = None,
    ) -> State:
        """Every stage in order on one question; the final state (for tests and tools)."""
        state = self._new_state(question, history, doc_ids, mode)
        for _ in self._run_stages(state):
            pass
        return state

    def ask(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        doc_ids: Collection[str] | None = None,
        mode: str | None = None,
    ) -> Answer:
        *_, answer = self.stream(question, history, doc_ids, mode)
        assert isinstance(answer, Answer)
        return answer

    def _answer(self, state: State) -> Answer:
        return Answer(
            question=state.question,
            standalone_question=state.standalone,
            answer=state.answer,
            citations=state.citations,
            refused=state.refused,
            related=related_material(state) if state.refused else [],
            mode=state.mode,
            path=state.path,
            timings=state.timings,
            outcome="refused" if state.refused else "answered",
            reason=state.refusal_reason,
        )
