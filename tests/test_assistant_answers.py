"""The answer chain over the shipped corpus: each focus, lists, tables, refusals, follow-ups."""

from __future__ import annotations

import re

import pytest

from assistant.pipeline import Assistant
from assistant.types import REFUSAL, Answer
from corpus.japanese import fold
from index.policy_index import PolicyIndex

MARKER = re.compile(r"\[(\d+)\]")


def says(answer: Answer, *phrases: str) -> bool:
    text = fold(answer.answer).replace(" ", "")
    return all(fold(p).replace(" ", "") in text for p in phrases)


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
        ("総合戦略の計画期間はいつまで？", ["2027年度"], 1),  # date, paraphrased (計画期間)
        ("デジタル人材の育成・確保が必要な理由は？", ["担い手"], 4),  # reason
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
    heading, *items = answer.answer.splitlines()
    assert "５本柱" in heading and heading.endswith("[1]")  # the section the items sit under
    assert len(items) == 5 and all(line.startswith("- ") for line in items)
    assert len(answer.citations) == 6
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
        "情報処理技術者試験を受けるにはいくらかかる？",  # an amount: no 円 figure in the documents
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


def test_a_year_question_wants_that_year_not_a_range_starting_there(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    # 「2022年度から2026年度まで…230万人」 names 2022年度 only as the start of the plan.
    answer = assistant.ask("2023年度の実際の育成人数は？")
    assert says(answer, "51万人")
    assert not says(answer, "230万人")
    assert_consistent(answer, shipped_index)


def test_a_compound_the_documents_never_use_is_refused(assistant: Assistant) -> None:
    # The documents record a 本部決定 of the 基本的な考え方, never a 閣議決定 of anything.
    answer = assistant.ask("地方創生2.0の基本的な考え方が閣議決定された日は？")
    assert answer.refused and answer.related


def test_list_of_a_named_subsection(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    answer = assistant.ask("地方創生2.0を検討していく方向性で「基盤」に挙がっていることは？")
    heading, *items = answer.answer.splitlines()
    assert heading.startswith("（基盤）")
    assert len(items) == 2 and says(answer, "GX・DXインフラ", "人材をシェア")
    assert_consistent(answer, shipped_index)


def test_list_enumerated_after_a_lead_in_sentence(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    answer = assistant.ask("社会を機能させる適応策のために取り組む政策を一覧にして")
    lead, *items = answer.answer.splitlines()
    assert "適応策" in lead
    assert len(items) == 4 and all(not line.rstrip("[0123456789]").endswith("、") for line in items)
    assert_consistent(answer, shipped_index)


def test_which_heading_a_quoted_measure_is_filed_under(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    answer = assistant.ask("「観光DX」は総合戦略の4つの柱のうちどれに含まれますか")
    assert answer.answer.splitlines()[0].startswith("１ 地方に仕事をつくる")
    assert_consistent(answer, shipped_index)


def test_ministries_other_than_the_named_ones(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    answer = assistant.ask("農林水産省と国土交通省以外の省庁の取組は？")
    subjects = {c.section.split(" > ")[-1] for c in answer.citations}
    assert len(subjects) == 5 and not subjects & {"農林水産省", "国土交通省"}
    assert_consistent(answer, shipped_index)


def test_a_bracketed_heading_is_not_bracketed_twice(assistant: Assistant) -> None:
    answer = assistant.ask("デジタル推進人材の育成目標は？")
    assert "【【" not in answer.answer


def test_an_unknown_head_noun_only_names_what_is_asked(assistant: Assistant) -> None:
    # 点 never occurs in the documents, but 反省点 asks about their 反省: answer, don't refuse.
    answer = assistant.ask("これまでの地方創生の取組の反省点は何ですか？")
    assert not answer.refused and says(answer, "普遍化")


def test_an_ordinal_picks_one_item_of_the_list(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    answer = assistant.ask("基本構想の５本柱の2つ目は何？")
    heading, *items = answer.answer.splitlines()  # the item, then what is listed under it
    assert heading.startswith("②") and len(items) == 2 and "地方分散" in items[0]
    assert "①" not in answer.answer and "③" not in answer.answer
    assert_consistent(answer, shipped_index)


def test_a_circled_number_picks_that_item(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    answer = assistant.ask("5本柱のうち①の中身を教えて")
    assert answer.answer.startswith("①") and says(answer, "事前防災")
    assert_consistent(answer, shipped_index)


def test_a_page_title_alone_is_not_an_answer(assistant: Assistant) -> None:
    answer = assistant.ask("地方創生2.0の基本姿勢ではどんな地域を創るのですか")
    assert says(answer, "人を大事にする地域")


def test_a_sentence_that_lists_in_itself_is_the_answer(assistant: Assistant) -> None:
    answer = assistant.ask("どんな日常生活サービスの維持が困難になっていると挙げられていますか")
    assert says(answer, "買物、医療・福祉、交通、教育")


def test_a_year_named_earlier_on_the_same_line_counts(assistant: Assistant) -> None:
    # 「2024年度は、…約44万人を育成。下半期の取組により、…上回る見込み。」
    answer = assistant.ask("2024年度は下半期の取組でどうなる見込みですか")
    assert says(answer, "上回る見込み")


def test_whom_a_measure_is_for_is_not_a_person_question(assistant: Assistant) -> None:
    answer = assistant.ask("国土交通省のデジタル技術研修は誰向けですか")
    assert not answer.refused and says(answer, "３次元モデル")


def test_a_figure_for_a_narrower_group_is_not_the_general_figure(assistant: Assistant) -> None:
    # The documents set a target for デジタル人材 as a whole, none for 女性デジタル人材.
    answer = assistant.ask("女性デジタル人材の育成目標は何人？")
    assert answer.refused


def test_short_list_items_are_kept(assistant: Assistant, shipped_index: PolicyIndex) -> None:
    answer = assistant.ask("重要施策分野にはどんなものがありますか")
    assert says(answer, "遠隔医療", "教育DX", "観光DX", "こども政策")
    assert_consistent(answer, shipped_index)


def test_a_sub_heading_half_named_is_drilled_into(
    assistant: Assistant, shipped_index: PolicyIndex
) -> None:
    answer = assistant.ask("デジタル人材の現状はどうなっていますか")
    assert answer.answer.startswith("【現状と課題】") and says(answer, "不足")
    assert_consistent(answer, shipped_index)


@pytest.mark.parametrize("question", ["有識者会議の開催回数は？", "有識者会議は何回開かれましたか"])
def test_a_count_the_documents_do_not_give_is_refused(assistant: Assistant, question: str) -> None:
    assert assistant.ask(question).refused


def test_a_why_question_answered_by_a_section_lists_it(assistant: Assistant) -> None:
    answer = assistant.ask("なぜ地方創生2.0を起動する必要があるのですか")
    heading, *items = answer.answer.splitlines()
    assert "必要性" in heading and len(items) >= 3
