"""Evidence for the generation tests: small, made-up plan sentences whose answers are obvious."""

from __future__ import annotations

from llama_index.core.llms import LLM

from assistant.generate import fit_to_context, stream_answer
from assistant.types import Evidence
from assistant.verify_generated import verify


def evidence(
    text: str, section: str, page: int, doc_id: str = "plan", title: str = "地域デジタル化計画"
) -> Evidence:
    """One evidence sentence that is its own chunk."""
    return Evidence(
        doc_id=doc_id,
        title=title,
        source=f"{doc_id}.pdf",
        page=page,
        section=section,
        text=text,
        start=0,
        end=len(text),
        chunk_id=f"{doc_id}-{page}",
        chunk_text=text,
    )


PLAN_EVIDENCE = [
    evidence("みどり市は2025年度までに市内の全小学校に電子黒板を配備する。", "教育のデジタル化", 2),
    evidence(
        "こども家庭庁は子育て支援アプリの利用者を50万人に増やす目標を掲げている。", "子育て支援", 3
    ),
    evidence(
        "北海道では、農業のスマート化に向けてドローン研修を年間120回実施する。", "スマート農業", 4
    ),
]


def assert_answer_cites(llm: LLM, question: str, fact: str, cited: Evidence) -> None:
    """``llm`` streams an answer to ``question`` that verifies, states ``fact`` and has one
    citation, [1], quoting ``cited``."""
    evidence = fit_to_context(llm, PLAN_EVIDENCE, question)
    tokens = list(stream_answer(llm, question, evidence))
    assert len(tokens) > 3
    result = verify("".join(tokens), evidence, question)
    assert result.supported, result.dropped
    assert fact in result.text
    assert [(c.n, c.page, c.quote) for c in result.citations] == [(1, cited.page, cited.text)]
