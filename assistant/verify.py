"""Stage 5 — verify citations: every quote must be an exact substring of its page's text.

A citation that fails is dropped with the statement it supports; the remaining markers are
renumbered so that the answer and the citation list always agree.
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.compose import REFUSAL
from assistant.state import State
from assistant.types import Citation
from index.policy_index import PolicyIndex

MARKER = re.compile(r"\[(\d+)\]")


class VerifyCitations:
    def __init__(self, index: PolicyIndex) -> None:
        self.index = index

    def quote_holds(self, citation: Citation) -> bool:
        try:
            page = self.index.document(citation.doc_id).page(citation.page)
        except (KeyError, IndexError):
            return False
        return bool(citation.quote) and citation.quote in page.text

    def __call__(self, state: State) -> None:
        if state.refused:
            return
        valid = {c.n for c in state.citations if self.quote_holds(c)}
        renumber = {old: new for new, old in enumerate(sorted(valid), start=1)}
        kept_lines = []
        for line in state.answer.split("\n"):
            markers = [int(m) for m in MARKER.findall(line)]
            if markers and not all(m in valid for m in markers):
                continue
            kept_lines.append(MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", line))
        state.citations = [replace(c, n=renumber[c.n]) for c in state.citations if c.n in valid]
        state.answer = "\n".join(kept_lines)
        if not state.citations:
            state.refused, state.refusal_reason, state.answer = (
                True,
                "no verified citation",
                REFUSAL,
            )
