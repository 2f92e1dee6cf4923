"""Stage — compose: the answer text, each statement followed by its citation marker [n].

Extractive (default, no LLM): the selected sentences as they stand. Generative: an LLM writes
from them and every generated sentence is verified against the source it cites."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator

from llama_index.core.llms import LLM

from assistant.generate import fit_to_context, stream_answer
from assistant.stage import Stage
from assistant.types import Citation, Evidence
from assistant.verify_generated import verify
from assistant.work import Draft, Outcome, Selection, Work

STREAM_PIECE = 12  # characters per streamed piece of an extractive answer
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


class ComposeExtractive(Stage):
    """States the selected sentences (as a list when asked for one) with [n] after each."""

    name = "compose"

    def draft(self, selection: Selection) -> Draft:
        citations = [
            e.cite(n, selection.marks.get(n - 1, ()))
            for n, e in enumerate(selection.evidence, start=1)
        ]
        plain = selection.as_list or selection.headed  # the lead line says where they sit
        lines = [
            f"{'' if plain else context_label(e)}{clean(selection.shown.get(n - 1, e.text))}[{n}]"
            for n, e in enumerate(selection.evidence, start=1)
        ]
        if selection.as_list:
            lead = lines[:1] if selection.headed else []
            lines = lead + [f"- {line}" for line in lines[len(lead) :]]
        return Draft("\n".join(lines), citations)

    def stream(self, work: Work) -> Generator[str, None, Outcome | None]:
        assert work.selection is not None
        work.draft = self.draft(work.selection)
        for i in range(0, len(work.draft.text), STREAM_PIECE):
            yield work.draft.text[i : i + STREAM_PIECE]
        return None


def related_material(work: Work) -> list[Citation]:
    """The closest passages, shown with a refusal so the user can judge for themselves."""
    hits = work.retrieved.hits if work.retrieved else []
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
        for n, hit in enumerate(hits[:MAX_RELATED], start=1)
    ]


class ComposeGenerative(Stage):
    """The LLM writes the answer from the selected evidence; every sentence is then verified.

    If nothing the model wrote is supported by the sources it cites, the extractive answer is
    used instead (``Draft.path`` says which)."""

    name = "compose"

    def __init__(self, llm: Callable[[], LLM]) -> None:
        self.llm = llm
        self.extractive = ComposeExtractive()

    def sources(self, work: Work) -> list[Evidence]:
        """The selected evidence, then the next most likely sentences, up to MAX_SOURCES."""
        assert work.selection is not None and work.ranked is not None
        chosen = list(work.selection.evidence)
        taken = {(e.doc_id, e.page, e.start) for e in chosen}
        for candidate in work.ranked.candidates:
            if len(chosen) >= MAX_SOURCES:
                break
            evidence = candidate.evidence()
            if (evidence.doc_id, evidence.page, evidence.start) not in taken:
                chosen.append(evidence)
                taken.add((evidence.doc_id, evidence.page, evidence.start))
        return chosen

    def _fallback(self, work: Work, dropped: list[tuple[str, str]]) -> Draft:
        assert work.selection is not None
        draft = self.extractive.draft(work.selection)
        draft.path, draft.dropped = "fallback-extractive", dropped
        return draft

    def stream(self, work: Work) -> Generator[str, None, Outcome | None]:
        assert work.query is not None
        llm = self.llm()
        sources = fit_to_context(llm, self.sources(work), work.query.standalone)
        tokens: list[str] = []
        try:
            for token in stream_answer(llm, work.query.standalone, sources):
                tokens.append(token)
                yield token
        except Exception as err:  # a backend failure (endpoint down, context overflow…)
            work.draft = self._fallback(
                work, [("".join(tokens), f"generation failed: {type(err).__name__}: {err}")]
            )
            return None
        verified = verify("".join(tokens), sources, work.query.standalone)
        if verified.supported:
            work.draft = Draft(verified.text, verified.citations, "generative", verified.dropped)
        else:
            work.draft = self._fallback(work, verified.dropped)
        return None
