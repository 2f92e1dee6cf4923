"""Citation verification drops a tampered quote together with the statement it supports."""

from __future__ import annotations

from dataclasses import replace

from assistant.pipeline import Assistant
from assistant.verify import VerifyCitations
from assistant.work import Answered, Draft, Refusal, Refused
from index.policy_index import PolicyIndex

QUESTION = "各省庁がどんな施策をしているか全部挙げてください"


def test_tampered_quote_is_dropped_and_markers_renumbered(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    work = assistant.start(QUESTION)
    assert isinstance(assistant.run(work), Answered)
    assert work.draft is not None
    citations = list(work.draft.citations)
    assert len(citations) >= 3
    citations[1] = replace(citations[1], quote=citations[1].quote + "（改ざん）")
    work.draft = Draft("\n".join(f"- {c.quote}[{c.n}]" for c in citations), citations)
    assert isinstance(VerifyCitations(shipped_index).run(work), Answered)
    kept = work.draft.citations
    assert len(kept) == len(citations) - 1
    assert [c.n for c in kept] == list(range(1, len(kept) + 1))
    assert "改ざん" not in work.draft.text and f"[{len(citations)}]" not in work.draft.text


def test_all_citations_failing_turns_into_a_refusal(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    work = assistant.start(QUESTION)
    assistant.run(work)
    assert work.draft is not None
    moved = [replace(c, page=c.page + 1) for c in work.draft.citations]  # the wrong page
    work.draft = Draft(work.draft.text, moved)
    outcome = VerifyCitations(shipped_index).run(work)
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.NO_VERIFIED_CITATION
