"""What a question asks for: focus, topic words, named entities, compounds (real fugashi)."""

from __future__ import annotations

import pytest

from assistant.question import Focus, analyse, named_words


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("情報処理技術者試験はどの省庁の施策？", Focus.MINISTRY),
        ("遠隔合同授業をしている村はどこの村？", Focus.PLACE),
        ("何人育成しましたか", Focus.NUMBER),
        ("基本的な考え方が決定された日は？", Focus.DATE),
        ("「観光DX」はどの柱に含まれますか", Focus.SECTION),
        ("各省庁の施策を一覧にして", Focus.LIST),
        ("みどり市の計画が掲げる4つの目標を教えて", Focus.LIST),  # the items counted
        ("この条例の二つの原則は？", Focus.LIST),
        ("財源は何と何ですか", Focus.LIST),
        ("3つの案のうち採用されたものは？", Focus.GENERAL),  # one of the items counted
        ("3つの国の中で最も人口が多いのはどこ？", Focus.PLACE),
        ("その研修の対象は誰ですか", Focus.GENERAL),  # a group, not a person's name
        ("最後の著書を書いたのは誰？", Focus.PERSON),
        ("地方離れが進む原因は？", Focus.REASON),
    ],
)
def test_focus(question: str, focus: Focus) -> None:
    assert analyse(question).focus is focus


def test_kind_words_are_topic_unless_they_are_what_is_asked() -> None:
    assert "省庁" not in analyse("この研修はどの省庁の担当？").tokens
    assert "省庁" in analyse("各府省庁の職員向けの研修は？").tokens


def test_compounds_leave_out_adverbs_and_asking_words() -> None:
    assert analyse("そもそも地方創生の対象期間は？").compounds == (("地方", "創生"),)
    assert ("閣議", "決定") in analyse("いつ閣議決定されましたか").compounds


def test_ordinal_and_quoted_phrase() -> None:
    question = analyse("「５本柱」の3つ目は？")
    assert question.ordinal == 3 and question.quoted == ("5本柱",)  # NFKC


def test_named_words_are_the_names_years_and_long_numbers_asked_about() -> None:
    named = named_words(analyse("防衛省は1998年に札幌市で何人を採用した？"))
    assert {"防衛省", "1998年", "札幌市"} <= named
    assert "何" not in named  # 何 is tagged as a numeral: it names nothing


def test_a_bare_era_name_is_not_a_named_word() -> None:
    # fold writes 令和6年 as 2024年, so 「令和」 alone never occurs in folded document text
    assert "令和" not in named_words(analyse("その法律は令和何年に成立した？"))
    assert "2024年" in named_words(analyse("令和6年に成立した法律は？"))


@pytest.mark.parametrize(
    ("question", "stated", "unstated"),
    [
        ("交付金の補助率はどれくらい？", "補助率は2分の1とする。", "補助率を引き上げる。"),
        ("整備の予算は何億円？", "予算は3億5千万円とした。", "予算を確保する。"),
        ("人件費の総額はいくら？", "人件費は421,000千円だった。", "人件費が増えた。"),
        ("研修を受けたのは何人？", "研修には1,250人が参加した。", "研修に多くの人が参加した。"),
        ("点検表は全部で何項目ありますか", "点検表は24項目からなる。", "点検表を毎年改める。"),
        ("職員の平均年齢は何歳？", "平均年齢は41.5歳である。", "平均年齢が上がった。"),
    ],
)
def test_a_question_asking_how_much_in_a_unit_knows_the_unit(
    question: str, stated: str, unstated: str
) -> None:
    from corpus.japanese import fold

    unit = analyse(question).unit
    assert unit is not None
    assert unit.figure.search(fold(stated)) and not unit.figure.search(fold(unstated))


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("売上額に占める広告費の比率は何％でしたか？", "%"),  # 売上額 hints at yen
        ("目標額の何倍の寄付が集まった？", "倍"),
        ("補助額の上乗せを申請したのは何名？", "人"),
        ("受講者の割合が最も高い年代は何歳？", "歳"),
    ],
)
def test_a_unit_asked_for_by_name_wins_over_one_a_word_hints_at(question: str, unit: str) -> None:
    asked = analyse(question).unit
    assert asked is not None and asked.name == unit


@pytest.mark.parametrize(
    "question",
    [
        "摩擦率とは何を何で割った値ですか",  # 率 is the topic, not the figure asked for
        "AとBのうち、収容人数が多いのはどちら？",
        "平均年齢はいくつ？",  # いくつ: an age, an index or a count
        "補助率の考え方は？",
    ],
)
def test_a_question_that_does_not_ask_how_much_in_a_unit_names_none(question: str) -> None:
    assert analyse(question).unit is None


@pytest.mark.parametrize(
    ("question", "office"),
    [
        ("検討会の座長を務めているのは誰ですか", True),
        ("防災会議の会長は誰？", True),
        ("最終的な判断の責任は誰にある？", False),  # a role or a body answers it as well
        ("この制度の対象は誰？", False),
    ],
)
def test_who_holds_an_office_asks_for_a_person_s_name(question: str, office: bool) -> None:
    assert analyse(question).office is office


@pytest.mark.parametrize(
    ("question", "sentence", "holds"),
    [
        (
            "ドローンの飛行はどの法律が定めているの？",
            "無人航空機は航空法により飛行が制限される。",
            True,
        ),
        ("根拠となる法令は？", "手数料はみどり市手数料条例で定める。", True),
        ("どんな法律で罰せられますか", "刑法（235条 窃盗）で罰せられる。", True),
        ("ドローンの飛行はどの法律が定めているの？", "安全な飛ばし方を講習で学ぶ。", False),
        ("ドローンの飛行はどの法律が定めているの？", "操縦の方法は別に定める。", False),
    ],
)
def test_a_question_asking_which_law_expects_a_law_named(
    question: str, sentence: str, holds: bool
) -> None:
    expects = analyse(question).expects
    assert expects is not None and bool(expects.search(sentence)) is holds


@pytest.mark.parametrize(
    ("sentence", "holds"),
    [
        ("手引きは秋前を目途に作成する。", True),
        ("年度内に結果を公表する。", True),
        ("毎年9月下旬に訓練を行う。", True),
        ("手引きの作成を進める。", False),
    ],
)
def test_a_date_asked_for_may_be_a_season_or_part_of_a_month(sentence: str, holds: bool) -> None:
    expects = analyse("手引きはいつ頃までに作る予定？").expects
    assert expects is not None and bool(expects.search(sentence)) is holds
