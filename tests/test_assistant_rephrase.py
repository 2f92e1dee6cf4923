"""Follow-up rewriting (rule-based, no LLM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.rephrase import standalone_question


def turn(question: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": "…"}]


@pytest.mark.parametrize(
    ("history", "followup", "expected"),
    [
        (turn("環境省の施策は何ですか？"), "じゃあ総務省は？", "総務省の施策は何ですか?"),
        (turn("2019年度の参加者数は？"), "2021年度はどうだった？", "2021年度の参加者数は?"),
        (
            turn("岡山県真庭市ではどんな取組を？"),
            "では茨城県境町では？",
            "茨城県境町ではどんな取組を?",
        ),
        (
            turn("情報処理技術者試験とは何ですか？"),
            "それはどの省庁の施策？",
            "情報処理技術者試験はどの省庁の施策?",
        ),
        (turn("総合戦略とは"), "では、その期間は？", "総合戦略の期間は?"),
    ],
)
def test_followups_become_standalone(
    history: list[dict[str, str]], followup: str, expected: str
) -> None:
    assert standalone_question(followup, history) == expected


def test_rewrites_chain_through_earlier_followups() -> None:
    history = turn("2018年度は何件受け付けた？") + turn("では2019年度は？")
    assert standalone_question("2020年度は？", history) == "2020年度は何件受け付けた?"


@pytest.mark.parametrize(
    "question",
    ["これまでの地方創生の取組の反省点は何ですか？", "それぞれの地域の楽しい取組とは何ですか？"],
)
def test_a_new_question_is_left_alone(question: str) -> None:
    assert standalone_question(question, turn("交付金の対象になる事業は？")) == question


def test_no_history_no_rewrite() -> None:
    assert standalone_question("じゃあ環境省は？", []) == "じゃあ環境省は？"


@pytest.mark.parametrize("pointer", ["同じ省", "同省", "その省庁"])
def test_same_ministry_becomes_the_ministry_the_last_answer_named(pointer: str) -> None:
    history = [
        {"role": "user", "content": "サイバー防御演習はどこの担当？"},
        {"role": "assistant", "content": "担当は総務省です。[1]"},
    ]
    rewritten = standalone_question(f"{pointer}はほかに何をしていますか", history)
    assert rewritten == "総務省はほかに何をしていますか"


def test_an_empty_table_subject_does_not_break_abbreviation_lookup() -> None:
    # A real PDF's table had rows with an empty owner cell; 「金融庁の…」 then raised IndexError.
    from assistant.rephrase import expand_abbreviations

    assert (
        expand_abbreviations("金融庁の報告の主な内容は?", ["", "総務省"])
        == "金融庁の報告の主な内容は?"
    )
    assert expand_abbreviations("国交省の取組", ["", "国土交通省"]) == "国土交通省の取組"


@pytest.mark.parametrize(
    ("question", "followup", "expected"),
    [
        ("みどり市の事務職の平均年齢は？", "技術職のほうは？", "みどり市の技術職の平均年齢は?"),
        ("評価で最も低い1はどんな状態？", "じゃあ3は？", "評価で最も低い3はどんな状態?"),
    ],
)
def test_a_fragment_replaces_the_phrase_with_the_same_head(
    question: str, followup: str, expected: str
) -> None:
    assert standalone_question(followup, turn(question)) == expected


@pytest.mark.parametrize(
    ("question", "followup", "expected"),
    [
        (
            "ドローンって、どの法律で飛び方が決められてるの？",
            "気球の場合はどの法律？",
            "気球って、どの法律で飛び方が決められてるの?",
        ),
        (
            "大雨で川があふれるリスクには、町はどう備えるとしている？",
            "地震で建物が倒れるリスクについては？",
            "地震で建物が倒れるリスクには、町はどう備えるとしている?",
        ),
    ],
)
def test_a_contrasted_subject_takes_the_place_of_the_last_question_s(
    question: str, followup: str, expected: str
) -> None:
    assert standalone_question(followup, turn(question)) == expected


def test_a_contrast_that_asks_something_new_keeps_its_own_question() -> None:
    rewritten = standalone_question(
        "気球の場合は誰が許可するの？", turn("ドローンって、どの法律で飛び方が決められてるの？")
    )
    assert "誰が許可する" in rewritten and "どの法律" not in rewritten


def test_an_ordinal_reads_the_quoted_items_of_the_last_answer() -> None:
    history = [
        {"role": "user", "content": "対象者はどう分けられていますか"},
        {"role": "assistant", "content": "「利用者」「提供者」「開発者」の3つです。"},
    ]
    assert standalone_question("その2番目の役割は？", history).startswith("提供者")


def test_the_topic_is_what_stands_before_its_topic_marker() -> None:
    history = turn("公民館の利用申請は、何日前までに出せばいい？")
    assert standalone_question("キャンセルするにはどうするの？", history).startswith(
        "公民館の利用申請について"
    )


@pytest.mark.parametrize("asked", ["いくら", "いくつ"])
def test_the_topic_leaves_out_how_much_the_last_question_asked(asked: str) -> None:
    history = turn(f"公民館の利用料って{asked}ですか？")
    assert standalone_question("じゃあ団体だと？", history) == "公民館の利用料について、団体だと?"


def test_the_topic_ends_before_the_comma_after_its_particle() -> None:
    history = turn("公民館の貸出用プロジェクターって、どこで借りられるの？")
    assert (
        standalone_question("じゃあ予約は何日前から？", history)
        == "公民館の貸出用プロジェクターについて、予約は何日前から?"
    )


def test_a_ministry_named_only_as_a_table_row_label_expands_its_abbreviation(
    tmp_path: Path,
) -> None:
    from assistant.pipeline import organisation_names
    from assistant.rephrase import expand_abbreviations
    from index.ingest import Ingestor
    from index.policy_index import PolicyIndex

    (tmp_path / "plan.md").write_text(
        "# 研修計画\n\n| 省庁 | 施策 |\n|---|---|\n| 国土交通省 | 3次元モデルの研修 |\n"
        "| 環境省 | 脱炭素の研修 |\n",
        encoding="utf-8",
    )
    index = PolicyIndex(tmp_path / "home")
    assert not Ingestor(index).ingest([tmp_path / "plan.md"], progress=False).failed
    names = organisation_names(index)  # the rows read 「国土交通省｜施策: …」
    assert {"国土交通省", "環境省"} <= names
    assert expand_abbreviations("国交省の研修は？", names) == "国土交通省の研修は？"
