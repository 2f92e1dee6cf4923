"""Stage — verify citations: every quote must be an exact substring of its page's text.

A citation that fails is dropped with the statement it supports; the remaining markers are
renumbered so that the answer and the citation list always agree.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.stage import Stage
from assistant.types import CITATION_MARKER, Citation
from assistant.work import Answered, Draft, Outcome, Refusal, Refused, Work
from index.policy_index import PolicyIndex


class VerifyCitations(Stage):
    name = "verify"

    def __init__(self, index: PolicyIndex) -> None:
        self.index = index

    def quote_holds(self, citation: Citation) -> bool:
        try:
            page = self.index.document(citation.doc_id).page(citation.page)
        except (KeyError, IndexError):
            return False
        return bool(citation.quote) and citation.quote in page.text

    def run(self, work: Work) -> Outcome | None:
        draft = work.draft
        assert draft is not None
        valid = {c.n for c in draft.citations if self.quote_holds(c)}
        renumber = {old: new for new, old in enumerate(sorted(valid), start=1)}
        kept_lines = []
        for line in draft.text.split("\n"):
            markers = [int(m) for m in CITATION_MARKER.findall(line)]
            if markers and not all(m in valid for m in markers):
                continue
            kept_lines.append(CITATION_MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", line))
        citations = [replace(c, n=renumber[c.n]) for c in draft.citations if c.n in valid]
        work.draft = Draft("\n".join(kept_lines), citations, draft.path, draft.dropped)
        if not citations:
            return Refused(Refusal.NO_VERIFIED_CITATION, "no quote matched its page")
        return Answered()
