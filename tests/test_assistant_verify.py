"""Citation verification drops a tampered quote together with the statement it supports."""

from __future__ import annotations

from dataclasses import replace

from assistant.pipeline import Assistant
from assistant.verify import VerifyCitations
from index.policy_index import PolicyIndex


def test_tampered_quote_is_dropped_and_markers_renumbered(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    state = assistant.run("各省庁の施策を一覧で見せて")
    assert len(state.citations) == 7
    # Re-run verification on a copy of the composed answer whose second quote was altered.
    composed = assistant.run("各省庁の施策を一覧で見せて")
    composed.citations[1] = replace(
        composed.citations[1], quote=composed.citations[1].quote + "（改ざん）"
    )
    composed.answer = "\n".join(f"- {c.quote}[{c.n}]" for c in composed.citations)
    VerifyCitations(shipped_index)(composed)
    assert len(composed.citations) == 6
    assert [c.n for c in composed.citations] == list(range(1, 7))
    assert "改ざん" not in composed.answer
    assert composed.answer.count("[") == 6 and "[7]" not in composed.answer


def test_all_citations_failing_turns_into_a_refusal(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    state = assistant.run("総務省の施策は？")
    state.citations = [replace(c, page=c.page + 1) for c in state.citations]  # wrong page
    VerifyCitations(shipped_index)(state)
    assert state.refused and state.citations == []
