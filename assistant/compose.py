"""Stage 4 — compose: the extractive answer, each statement followed by its citation marker."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from llama_index.core.llms import LLM

from assistant.generate import fit_to_context, stream_answer
from assistant.state import State
from assistant.types import Citation, Evidence
from assistant.verify_generated import verify

REFUSAL = "資料には記載が見つかりませんでした。"
LAYOUT_NOISE = re.compile(r"^[\s・●○◆◇■□▪▶➢-]+")
MAX_RELATED = 3
MAX_SOURCES = 6  # evidence sentences shown to the LLM


def clean(text: str) -> str:
    """A sentence as shown in the answer: bullets, stray spaces and a list line's trailing 、
    trimmed."""
    return LAYOUT_NOISE.sub("", text).strip().rstrip("、,")


def context_label(evidence: Evidence) -> str:
    """「【３ 誰一人取り残されないための取組】」: the sentence's own sub-heading, when the sentence
    sits under one and does not repeat it (the page title is shown on the source card)."""
    path = evidence.section.split(" > ")
    label = clean(path[-1])
    if len(path) < 2 or not label or label in evidence.text or evidence.text in label:
        return ""
    return label if label.startswith(("【", "[", "<", "＜", "(", "（")) else f"【{label}】"


class ComposeExtractive:
    """States the selected sentences (as a list when asked for one) with [n] after each."""

    def __call__(self, state: State) -> None:
        if state.refused:
            state.answer = REFUSAL
            return
        state.citations = [e.cite(n) for n, e in enumerate(state.evidence, start=1)]
        plain = state.as_list or state.headed  # the lead line already says where they sit
        lines = [
            f"{'' if plain else context_label(e)}{clean(e.text)}[{n}]"
            for n, e in enumerate(state.evidence, start=1)
        ]
        if state.as_list:
            lead = lines[:1] if state.headed else []
            lines = lead + [f"- {line}" for line in lines[len(lead) :]]
        body = "\n".join(lines)
        state.answer = f"{state.lead}\n{body}" if state.lead else body


def related_material(state: State) -> list[Citation]:
    """The closest passages, shown with a refusal so the user can judge for themselves."""
    return [
        Citation(
            n=n,
            doc_id=hit.doc_id,
            title=hit.title,
            page=hit.page,
            section=hit.section,
            quote=hit.text,
            source=hit.source,
            chunk_text=hit.text,
        )
        for n, hit in enumerate(state.hits[:MAX_RELATED], start=1)
    ]


class ComposeGenerative:
    """The LLM writes the answer from the selected evidence; every sentence is then verified.

    If nothing the model wrote is supported by the sources it cites, the extractive answer is
    used instead (``state.path`` says which). A refusal of the evidence stage stays a refusal.
    """

    def __init__(self, llm: Callable[[], LLM]) -> None:
        self.llm = llm
        self.fallback = ComposeExtractive()

    def sources(self, state: State) -> list[Evidence]:
        """The selected evidence, then the next best-scored sentences, up to MAX_SOURCES."""
        chosen = list(state.evidence)
        taken = {(e.doc_id, e.page, e.start) for e in chosen}
        for candidate in state.candidates:
            if len(chosen) >= MAX_SOURCES or candidate.score <= 0:
                break
            evidence = candidate.evidence()
            if (evidence.doc_id, evidence.page, evidence.start) not in taken:
                chosen.append(evidence)
                taken.add((evidence.doc_id, evidence.page, evidence.start))
        return chosen

    def stream(self, state: State) -> Iterator[str]:
        if state.refused or not state.evidence:
            self.fallback(state)
            return
        llm = self.llm()
        sources = fit_to_context(llm, self.sources(state), state.standalone)
        tokens: list[str] = []
        try:
            for token in stream_answer(llm, state.standalone, sources):
                tokens.append(token)
                yield token
        except Exception as err:  # a backend failure (endpoint down, context overflow…)
            state.dropped = [("".join(tokens), f"generation failed: {type(err).__name__}: {err}")]
            self.fallback(state)
            state.path = "fallback-extractive"
            return
        verified = verify("".join(tokens), sources, state.standalone)
        state.dropped = verified.dropped
        if verified.supported:
            state.answer, state.citations, state.path = (
                verified.text,
                verified.citations,
                "generative",
            )
        else:
            self.fallback(state)
            state.path = "fallback-extractive"

    def __call__(self, state: State) -> None:
        for _ in self.stream(state):
            pass
