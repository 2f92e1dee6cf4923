"""The answer path as an ordered list of stages; follow one question through ``Assistant.stream``.

    rephrase → retrieve → rank → decide → select → compose → verify

Every stage has one interface (assistant/stage.py): it reads what the stages before it made
from the :class:`Work`, adds its own product, and stops the run with an outcome — answered,
refused (with its reason) or failed. ``compose`` is extractive by default (no LLM) or
generative; every other stage is shared by both modes.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Generator, Iterator, Sequence
from dataclasses import replace
from threading import Lock

from llama_index.core.llms import LLM

from assistant.compose import ComposeExtractive, ComposeGenerative, related_material
from assistant.decide import Decide
from assistant.features import TermWeights
from assistant.llm import LLMConfig, build_llm
from assistant.question import MINISTRY
from assistant.rank import Rank
from assistant.rephrase import Rephrase
from assistant.retrieve import Retrieve
from assistant.select import Select
from assistant.selector import Selector, load_selector
from assistant.stage import Stage
from assistant.types import FAILURE, REFUSAL, Answer
from assistant.verify import VerifyCitations
from assistant.work import Failed, Outcome, Refusal, Refused, Turn, Work
from index.policy_index import PolicyIndex, SearchMode

MODES = ("extractive", "generative")


def organisation_names(index: PolicyIndex) -> frozenset[str]:
    """The ministries and agencies the indexed documents name (to expand 経産省 and the like)."""
    return frozenset(name for chunk in index.chunks() for name in MINISTRY.findall(chunk.text))


class Compose(Stage):
    """The composer of the turn's mode."""

    name = "compose"

    def __init__(self, composers: dict[str, Stage]) -> None:
        self.composers = composers

    def stream(self, work: Work) -> Generator[str, None, Outcome | None]:
        return (yield from self.composers[work.turn.mode].stream(work))


class Assistant:
    """Answers questions from the indexed documents with verified citations."""

    def __init__(
        self,
        index: PolicyIndex,
        retriever_mode: SearchMode = "hybrid",
        mode: str = "extractive",
        llm: LLM | None = None,
        llm_config: LLMConfig | None = None,
        selector: Selector | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown answer mode {mode!r}: choose one of {', '.join(MODES)}")
        self.index = index
        self.mode = mode
        self._llm, self._llm_config, self._llm_lock = llm, llm_config, Lock()
        self._selector = selector
        self._derived: tuple[int, TermWeights, frozenset[str]] | None = None
        self.stages: list[Stage] = [
            Rephrase(self.llm, lambda: self._index_facts()[1]),
            Retrieve(index, mode=retriever_mode),
            Rank(self.selector, lambda: self._index_facts()[0]),
            Decide(self.selector),
            Select(index, lambda: self.selector().second_ratio, lambda: self._index_facts()[0]),
            Compose({"extractive": ComposeExtractive(), "generative": ComposeGenerative(self.llm)}),
            VerifyCitations(index),
        ]

    def llm(self) -> LLM:
        """The configured LLM, loaded on first use (``POLICY_QA_LLM_*``; default local Qwen)."""
        with self._llm_lock:
            if self._llm is None:
                self._llm = build_llm(self._llm_config or LLMConfig.from_env())
            return self._llm

    def selector(self) -> Selector:
        if self._selector is None:
            self._selector = load_selector()
        return self._selector

    def _index_facts(self) -> tuple[TermWeights, frozenset[str]]:
        """Term weights and organisation names of the index, remade after it changes."""
        version = self.index.version
        if self._derived is None or self._derived[0] != version:
            self._derived = (version, TermWeights(self.index), organisation_names(self.index))
        return self._derived[1], self._derived[2]

    def _run(self, work: Work) -> Generator[str, None, Outcome]:
        """The stages on the question, and, when the documents do not answer it as it stands
        but it was asked in a conversation, on it read as a follow-up of the last question: a
        follow-up need not say so (「逆に、使えないのは？」). Measured (12-09) against reading it
        once: real-PDF follow-ups (eval/realpdf_followups.jsonl) 0.525 → 0.550, tuning sets
        +1 −0, fresh4–10 unchanged, JaQuAD conversations dev +5 −1 and train +8 −2 (each −: an
        unanswerable follow-up answered)."""
        outcome = yield from self._stages(work)
        query = work.query
        refused = isinstance(outcome, Refused) and outcome.reason is Refusal.LOW_CONFIDENCE
        if not (refused and work.turn.history and query and query.rewrite == "as-is"):
            return outcome
        again = Work(replace(work.turn, as_followup=True))
        second = yield from self._stages(again)
        if second.kind != "answered":
            return outcome
        work.take(again)
        return second

    def _stages(self, work: Work) -> Generator[str, None, Outcome]:
        """Every stage in order until one returns an outcome; an exception is a failure."""
        if not work.turn.question.strip():
            return Refused(Refusal.EMPTY_QUESTION, "the question is empty")
        for stage in self.stages:
            started = time.perf_counter()
            try:
                outcome = yield from stage.stream(work)
            except Exception as err:  # never a traceback to the user: the run says what failed
                outcome = Failed(stage.name, f"{type(err).__name__}: {err}")
            work.timings[stage.name] = round(time.perf_counter() - started, 4)
            if outcome is not None:
                return outcome
        return Failed("verify", "no stage ended the run")

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
        work = self.start(question, history, doc_ids, mode)
        outcome = yield from self._run(work)
        answer = self._answer(work, outcome)
        if outcome.kind != "answered":
            yield answer.answer
        yield answer

    def start(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        doc_ids: Collection[str] | None = None,
        mode: str | None = None,
    ) -> Work:
        mode = mode or self.mode
        if mode not in MODES:
            raise ValueError(f"unknown answer mode {mode!r}")
        return Work(
            Turn(
                question,
                tuple(history),
                None if doc_ids is None else frozenset(doc_ids),
                mode,
            )
        )

    def run(self, work: Work) -> Outcome:
        """Every stage in order on ``work``; its outcome (for tests and tools)."""
        runner = self._run(work)
        while True:
            try:
                next(runner)
            except StopIteration as stop:
                return stop.value

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

    def _answer(self, work: Work, outcome: Outcome) -> Answer:
        draft = work.draft if outcome.kind == "answered" else None
        if isinstance(outcome, Refused):
            reason = f"{outcome.reason.value}: {outcome.detail}"
        elif isinstance(outcome, Failed):
            reason = f"{outcome.stage} failed: {outcome.error}"
        else:
            reason = ""
        return Answer(
            question=work.turn.question,
            standalone_question=work.query.standalone if work.query else work.turn.question,
            answer=draft.text if draft else FAILURE if outcome.kind == "failed" else REFUSAL,
            citations=draft.citations if draft else [],
            refused=outcome.kind != "answered",
            related=[] if draft else related_material(work),
            mode=work.turn.mode,
            path=draft.path if draft else work.turn.mode,
            timings=work.timings,
            outcome=outcome.kind,
            reason=reason,
        )
