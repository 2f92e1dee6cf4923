"""Stage 4 — compose: the extractive answer, each statement followed by its citation marker."""

from __future__ import annotations

import re

from assistant.state import State
from assistant.types import Citation, Evidence

REFUSAL = "資料には記載が見つかりませんでした。"
LAYOUT_NOISE = re.compile(r"^[\s・●○◆◇■□▪▶➢-]+")
MAX_RELATED = 3


def clean(text: str) -> str:
    """A sentence as shown in the answer: bullets and stray spaces trimmed."""
    return LAYOUT_NOISE.sub("", text).strip()


def citation(n: int, evidence: Evidence) -> Citation:
    return Citation(
        n=n,
        doc_id=evidence.doc_id,
        title=evidence.title,
        page=evidence.page,
        section=evidence.section,
        quote=evidence.text,
        source=evidence.source,
        chunk_text=evidence.chunk_text,
    )


class ComposeExtractive:
    """States the selected sentences (as a list when asked for one) with [n] after each."""

    def __call__(self, state: State) -> None:
        if state.refused:
            state.answer = REFUSAL
            return
        state.citations = [citation(n, e) for n, e in enumerate(state.evidence, start=1)]
        lines = [f"{clean(e.text)}[{n}]" for n, e in enumerate(state.evidence, start=1)]
        body = "\n".join(f"- {line}" for line in lines) if state.as_list else "\n".join(lines)
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
