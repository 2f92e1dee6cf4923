"""The whole answer path over the shipped corpus, asked in wording of our own (no eval item)."""

from __future__ import annotations

import pytest

from assistant.pipeline import Assistant
from assistant.types import CITATION_MARKER, REFUSAL, Answer
from corpus.japanese import fold
from index.policy_index import PolicyIndex


def says(answer: Answer, *phrases: str) -> bool:
    text = fold(answer.answer).replace(" ", "")
    return all(fold(p).replace(" ", "") in text for p in phrases)


def assert_consistent(answer: Answer, index: PolicyIndex) -> None:
    """Markers and citations agree, and every quote is verbatim page text."""
    assert {int(m) for m in CITATION_MARKER.findall(answer.answer)} == {
        c.n for c in answer.citations
    }
    for citation in answer.citations:
        assert citation.quote in index.document(citation.doc_id).page(citation.page).text


@pytest.mark.parametrize(
    ("question", "phrase", "page"),
    [
        ("デジタル推進人材を全部で何人育てることになっていますか", "230万人", 4),
        ("年45万人を育てられる体制は何年度末までに整える？", "2024年度末", 4),
        ("IT技術者のうち女性の比率は何％か", "21%", 6),
    ],
)
def test_a_fact_is_stated_with_its_page(
    assistant: Assistant, shipped_index: PolicyIndex, question: str, phrase: str, page: int
) -> None:
    answer = assistant.ask(question)
    assert answer.outcome == "answered" and says(answer, phrase), answer.answer
    assert any(c.page == page for c in answer.citations)
    assert_consistent(answer, shipped_index)


def test_the_asked_figure_is_marked(assistant: Assistant) -> None:
    answer = assistant.ask("デジタル推進人材を全部で何人育てることになっていますか")
    assert any("230万人" in c.marks for c in answer.citations)


def test_which_ministry_runs_a_measure(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    answer = assistant.ask("国の機関向けの実践的な防御演習はどの省庁がやっている？")
    assert says(answer, "総務省")
    assert_consistent(answer, shipped_index)


def test_a_list_of_pillars_comes_with_its_heading(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    answer = assistant.ask("地方創生2.0の基本構想の柱をすべて教えてください")
    lead, *items = answer.answer.splitlines()
    assert "柱" in lead
    assert len(items) == 5 and all(line.startswith("- ") for line in items)
    assert_consistent(answer, shipped_index)


@pytest.mark.parametrize(
    "question",
    ["宇宙開発に関する国の予算はいくらですか", "運転免許の更新手続きの方法を知りたい"],
)
def test_what_the_documents_do_not_cover_is_refused(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.refused and answer.answer == REFUSAL and answer.citations == []
    assert answer.outcome == "refused" and answer.reason.startswith("low_confidence")
    assert answer.related


def test_a_follow_up_swaps_the_ministry(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    history = [
        {"role": "user", "content": "厚生労働省はデジタル人材のために何をしている？"},
        {"role": "assistant", "content": "公的職業訓練のデジタル分野の重点化です。[1]"},
    ]
    answer = assistant.ask("では農林水産省は？", history)
    assert "農林水産省" in answer.standalone_question
    assert says(answer, "農林水産") and not says(answer, "職業訓練")
    assert_consistent(answer, shipped_index)


def test_an_abbreviated_ministry_is_expanded(assistant: Assistant) -> None:
    answer = assistant.ask("文科省が認定する教育プログラムの制度名は？")
    assert "文部科学省" in answer.standalone_question


def test_stream_yields_the_answer_text_then_the_answer(assistant: Assistant) -> None:
    pieces = list(assistant.stream("転職しないで地方に移ることを何と呼んでいますか"))
    final = pieces[-1]
    assert isinstance(final, Answer)
    assert "".join(p for p in pieces[:-1] if isinstance(p, str)) == final.answer
