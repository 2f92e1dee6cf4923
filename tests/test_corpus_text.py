"""Plain text and Markdown ingestion, and the Japanese text repair they share with PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.extract import extract_document
from corpus.japanese import fold, normalize, split_sentences
from corpus.textrepair import is_page_number, join_lines, strip_bullet

SLIDE_TXT = (
    "デジタル人材の現状\n"
    "【現状と課題】\n"
    "\uf06e デジタル人材が質・量ともに不足していることに加え、都市圏への偏\n"
    "在も課題。\n"
    "\uf0d8 RESASなどを活用した客観的なデータの分析も重要。Web3.0 and\n"
    "NFT などの活用。\n"
    "12\n"
    "\f"
    "進捗\n"
    "\n"
    "\uf0fc 2022年度は目標の約25万人に対し、約33万人を育成。\n"
)

POLICY_MD = """\
# 各省庁の取組

前文です。二つ目の文です。

| 担当省庁 | 施策 |
| --- | --- |
| 経済産業省 | デジタル人材育成プラットフォーム |
| 総務省 | サイバー防御演習 |

## ◆施策の柱

- 第一の項目で、*強調* も含む。
- 第二の項目。

# 次のページ

本文。
"""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_txt_with_private_use_bullets_and_form_feeds(tmp_path: Path) -> None:
    document = extract_document(write(tmp_path / "slides.txt", SLIDE_TXT))
    assert document.doc_id == "slides"
    assert document.title == "デジタル人材の現状"
    assert [page.title for page in document.pages] == ["デジタル人材の現状", "進捗"]
    first = document.page(1).text.split("\n")
    assert first == [
        "デジタル人材の現状",
        "【現状と課題】",
        "デジタル人材が質・量ともに不足していることに加え、都市圏への偏在も課題。",
        "RESASなどを活用した客観的なデータの分析も重要。Web3.0 and NFT などの活用。",
    ]
    assert document.page(2).text == "進捗\n2022年度は目標の約25万人に対し、約33万人を育成。"
    sentence = next(s for s in document.sentences if s.text.startswith("デジタル人材が"))
    assert sentence.section == ("デジタル人材の現状", "【現状と課題】")
    for s in document.sentences:
        assert document.page(s.page).text[s.start : s.end] == s.text


def test_shift_jis_text_is_decoded(tmp_path: Path) -> None:
    document = extract_document(write(tmp_path / "sjis.txt", "表題\n\n本文です。", "cp932"))
    assert document.page(1).text == "表題\n本文です。"


def test_markdown_pages_tables_lists_and_sections(tmp_path: Path) -> None:
    document = extract_document(write(tmp_path / "policy.md", POLICY_MD))
    assert document.title == "各省庁の取組"
    assert [page.title for page in document.pages] == ["各省庁の取組", "次のページ"]
    assert document.page(1).text.split("\n") == [
        "各省庁の取組",
        "前文です。二つ目の文です。",
        "経済産業省｜施策: デジタル人材育成プラットフォーム",
        "総務省｜施策: サイバー防御演習",
        "◆施策の柱",
        "第一の項目で、強調 も含む。",
        "第二の項目。",
    ]
    assert [(t.label, t.header, t.cells, t.row) for t in document.tables] == [
        ("経済産業省", ("担当省庁", "施策"), ("経済産業省", "デジタル人材育成プラットフォーム"), 0),
        ("総務省", ("担当省庁", "施策"), ("総務省", "サイバー防御演習"), 1),
    ]
    by_text = {s.text: s for s in document.sentences}
    assert by_text["二つ目の文です。"].section == ("各省庁の取組",)
    assert by_text["総務省｜施策: サイバー防御演習"].section == ("各省庁の取組",)
    assert by_text["総務省｜施策: サイバー防御演習"].kind == "table_row"
    assert by_text["第二の項目。"].section == ("各省庁の取組", "◆施策の柱")
    assert by_text["◆施策の柱"].kind == "heading"


def test_normalize_keeps_japanese_forms_and_repairs_compatibility_characters() -> None:
    assert normalize("◆５本柱 ①（社会）ＫＰＩ　「楽しい」") == "◆５本柱 ①（社会）ＫＰＩ　「楽しい」"
    assert normalize("ﾃﾞｼﾞﾀﾙ") == "デジタル"  # half-width katakana
    assert normalize("⽇本の⼈材") == "日本の人材"  # Kangxi radicals from PDF fonts
    assert normalize("\uf0d8  テレワーク\u200b") == "テレワーク"


def test_bullets_page_numbers_and_line_joining() -> None:
    assert strip_bullet("• 項目") == "項目"
    assert strip_bullet("○一極集中") == "一極集中"
    assert strip_bullet("〇 魅力ある働き方") == "魅力ある働き方"
    assert strip_bullet("〇〇市の取組") == "〇〇市の取組"  # 〇 as a numeral stays
    assert [is_page_number(t) for t in ("4", "- 4 -", "4 / 10", "p. 4", "2024年度")] == [
        True,
        True,
        True,
        True,
        False,
    ]
    assert (
        join_lines(["地方創生の", "交付金", "Web3.0 and", "NFT"])
        == "地方創生の交付金Web3.0 and NFT"
    )


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("一つ目。二つ目！三つ目？", ["一つ目。", "二つ目！", "三つ目？"]),
        ("「楽しい。」と思える地方。次へ", ["「楽しい。」と思える地方。", "次へ"]),
        ("（以上。重点取組）により育成する方針。", ["（以上。重点取組）により育成する方針。"]),
        ("  空白の後。  ", ["空白の後。"]),
    ],
)
def test_sentence_split(text: str, sentences: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text)] == sentences


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("令和6年度", "2024年度"),
        ("令和元年", "2019年"),
        ("平成30年4月", "2018年4月"),
        ("二〇二四年十二月二十四日", "2024年12月24日"),
        ("1,800億円", "1800億円"),
        ("約4割", "約40%"),
        ("３．５割", "35%"),
        ("ＫＰＩ", "kpi"),
        ("当該値｜H27: 61.30｜H28: 58.02", "当該値|2015: 61.30|2016: 58.02"),
        ("R3.4.1現在", "2021.4.1現在"),
        ("Ｒ１０年度", "2028年度"),
        ("学芸員｜大学卒: 205,300 円", "学芸員|大学卒: 205300円"),
        ("2022 年 9 月１４日", "2022年9月14日"),
        ("平成 24 年度", "2012年度"),
        ("平均年齢: 41.6 歳", "平均年齢: 41.6歳"),
    ],
)
def test_fold_writes_one_form_per_date_and_figure(written: str, folded: str) -> None:
    assert fold(written) == folded


def test_fold_leaves_words_that_only_contain_numerals() -> None:
    assert fold("一部の統一的な取組") == "一部の統一的な取組"


@pytest.mark.parametrize("text", ["H2ロケット", "基本再生産数(R0)", "AWS S3 bucket", "R64.1"])
def test_fold_keeps_letters_and_digits_that_are_no_era_year(text: str) -> None:
    assert fold(text) == text.lower()
