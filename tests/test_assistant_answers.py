"""The answer chain over the shipped corpus: each focus, lists, tables, refusals, follow-ups."""

from __future__ import annotations

import re

import pytest

from assistant.compose import REFUSAL
from assistant.pipeline import Assistant
from assistant.types import Answer
from index.policy_index import PolicyIndex
from index.tokenize import normalize

MARKER = re.compile(r"\[(\d+)\]")


def says(answer: Answer, *phrases: str) -> bool:
    text = normalize(answer.answer).replace(" ", "")
    return all(normalize(p).replace(" ", "") in text for p in phrases)


def assert_consistent(answer: Answer, index: PolicyIndex) -> None:
    """Markers and citations agree, and every quote is verbatim page text."""
    markers = {int(m) for m in MARKER.findall(answer.answer)}
    assert markers == {c.n for c in answer.citations}
    for citation in answer.citations:
        page = index.document(citation.doc_id).page(citation.page)
        assert citation.quote in page.text


@pytest.mark.parametrize(
    ("question", "phrases", "page"),
    [
        ("デジタル推進人材を何人育てる計画ですか", ["230万人"], 4),  # number
        ("年間45万人の育成体制はいつまでに作る？", ["2024年度末"], 4),  # date
        ("地方創生2.0の「基本的な考え方」が決まった日付は", ["12月24日"], 1),  # date
        ("IT技術者に占める女性は何％？", ["21%"], 6),  # number
    ],
)
def test_focused_questions_state_the_answer_with_its_page(
    assistant: Assistant, shipped_index: PolicyIndex, question: str, phrases: list[str], page: int
) -> None:
    answer = assistant.ask(question)
    assert not answer.refused
    assert says(answer, *phrases), answer.answer
    assert answer.citations[0].page == page
    assert_consistent(answer, shipped_index)


def test_measure_to_ministry(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    answer = assistant.ask("サイバー防御演習を担当している省庁はどこ？")
    assert says(answer, "総務省")
    assert answer.citations[0].page == 5 and answer.citations[0].section.endswith("総務省")
    assert_consistent(answer, shipped_index)


def test_ministry_to_all_its_measures(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    answer = assistant.ask("農林水産省はどんな取組をしていますか")
    assert says(answer, "スマート農林水産業")
    assert {c.section.split(" > ")[-1] for c in answer.citations} == {"農林水産省"}
    assert_consistent(answer, shipped_index)


def test_whole_ministry_table_as_a_list(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    answer = assistant.ask("各省庁の施策を一覧で見せて")
    subjects = [c.section.split(" > ")[-1] for c in answer.citations]
    assert len(subjects) == len(set(subjects)) == 7
    assert all(line.startswith("- ") for line in answer.answer.splitlines())
    assert_consistent(answer, shipped_index)


def test_place_question(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    answer = assistant.ask("遠隔合同授業をしているのはどこの村？")
    assert says(answer, "三島村")
    assert_consistent(answer, shipped_index)


def test_list_question_lists_every_item(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    answer = assistant.ask("基本構想の５本柱を挙げてください")
    assert len(answer.citations) == 5
    assert says(answer, "①", "②", "③", "④", "⑤")
    assert_consistent(answer, shipped_index)


@pytest.mark.parametrize(
    "question",
    [
        "北海道ではどんなモデル事例がありますか",  # a place the documents don't mention
        "パスポートの申請方法を教えて",  # an unrelated procedure
        "2030年度のデジタル人材の育成実績は？",  # a year they don't cover
        "外務省の取組は？",  # a ministry not in the table
    ],
)
def test_unanswerable_questions_are_refused(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.refused and answer.answer == REFUSAL
    assert answer.citations == []
    assert answer.related  # closest passages are shown instead


def test_follow_up_swaps_the_ministry(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    history = [
        {"role": "user", "content": "国土交通省の取組は？"},
        {"role": "assistant", "content": "３次元モデルを活用するためのデジタル技術研修です。"},
    ]
    answer = assistant.ask("では総務省は？", history)
    assert "総務省" in answer.standalone_question
    assert says(answer, "サイバー防御演習") and not says(answer, "3次元モデル")
    assert_consistent(answer, shipped_index)


def test_follow_up_swaps_the_year(assistant: Assistant) -> None:
    history = [
        {"role": "user", "content": "2022年度は何人育成できた？"},
        {"role": "assistant", "content": "約33万人です。"},
    ]
    answer = assistant.ask("2023年度はどうでしたか？", history)
    assert "2023年度" in answer.standalone_question
    assert says(answer, "約51万人")


def test_follow_up_pointing_back(assistant: Assistant) -> None:
    history = [
        {"role": "user", "content": "数理・データサイエンス・AI教育プログラム認定制度とは"},
        {"role": "assistant", "content": "優れた教育プログラムを国が認定する制度です。"},
    ]
    answer = assistant.ask("それはどの省庁の施策？", history)
    assert says(answer, "文部科学省")


def test_stream_yields_text_then_the_answer(assistant: Assistant) -> None:
    pieces = list(assistant.stream("転職なき移住とは何の取組？"))
    final = pieces[-1]
    assert isinstance(final, Answer)
    assert "".join(p for p in pieces[:-1] if isinstance(p, str)) == final.answer
    assert final.citations


def test_abbreviated_ministry_names_are_understood(assistant: Assistant) -> None:
    answer = assistant.ask("国交省はどんな研修をしている？")
    assert "国土交通省" in answer.standalone_question
    assert says(answer, "3次元モデル")


@pytest.mark.parametrize(
    "question",
    [
        "情報処理技術者試験の受験料はいくら？",  # an amount: the documents give no 円 figure
        "デジタル庁の長官は誰ですか？",  # a person with that role is never named
    ],
)
def test_missing_kind_of_fact_is_refused(assistant: Assistant, question: str) -> None:
    assert assistant.ask(question).refused


def test_ordinal_follow_up_picks_the_item_of_the_previous_list(assistant: Assistant) -> None:
    first = assistant.ask("地方創生2.0の基本構想の５本柱を挙げて")
    history = [
        {"role": "user", "content": "地方創生2.0の基本構想の５本柱を挙げて"},
        {"role": "assistant", "content": first.answer},
    ]
    answer = assistant.ask("3つ目の柱について詳しく", history)
    assert "付加価値創出型の新しい地方経済の創生" in answer.standalone_question
    assert says(answer, "高付加価値")
