"""What a question asks for: its focus (number, date, ministry, place, list) and key entities."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from index.tokenize import normalize, tokenize


class Focus(StrEnum):
    NUMBER = "number"
    DATE = "date"
    MINISTRY = "ministry"
    PLACE = "place"
    LIST = "list"
    GENERAL = "general"


# Order matters: the first matching focus wins (「何年度までに何人」 asks for a number).
FOCUS_PATTERNS: tuple[tuple[Focus, re.Pattern[str]], ...] = (
    (
        Focus.MINISTRY,
        re.compile(
            r"どの(府?省庁|省|官庁|役所)|どこの(省|府省|官庁)|担当(省庁|は)|所管|省庁は|どこが"
        ),
    ),
    (
        Focus.PLACE,
        re.compile(r"どの(自治体|市町村|地域|県|市|町|村)|どこの(市|町|村|県|自治体|地域)|どこで"),
    ),
    (
        Focus.NUMBER,
        re.compile(
            r"何(人|万人|名|%|パーセント|割|倍|件|か所|つ)|いくつ|いくら|どのくらい|どれくらい|どれだけ|人数|割合|何本"
        ),
    ),
    (Focus.DATE, re.compile(r"いつ|何年|何月|何日|時期|期間|日付|日程|年月日|決定日|開始")),
    (
        Focus.LIST,
        re.compile(
            r"何が|どんな|どのような|どういった|一覧|挙げ|列挙|すべて|全て|それぞれ|柱|分野|例"
        ),
    ),
)

YEAR = re.compile(r"(?:19|20)\d{2}年度?|令和\d+年度?|平成\d+年度?")
PLACE = re.compile(
    r"[一-龥ヶ]{1,4}?(?:都|道|府|県)(?:[一-龥ヶ]{1,6}?(?:市|区|町|村))?|[一-龥ヶ]{1,6}?(?:市|区|町|村)"
)
PLACE_SUFFIXES = frozenset("都道府県市区町村")
MINISTRY = re.compile(r"[一-龥ァ-ヶ]{2,8}?(?:省|庁)(?=[をはがのにでと、。？?\s]|$)")
GENERIC_PLACE_WORDS = frozenset(
    {"都市", "大都市", "市町村", "市区町村", "都道府県", "町村", "地方都市"}
)
# Words that say how to answer rather than what about; they never count as topic evidence.
QUESTION_WORDS = frozenset(
    "何 なに 誰 どこ どの どう いつ いくつ いくら 教える 知る 示す 説明 ください 下さい 資料 "
    "内容 について 概要 どれ くらい 程度 こと もの ため 場合 ある いる する なる 言う 的 一覧 "
    "挙げる 列挙 すべて 全て それぞれ とは 思う 見る "
    # words that name the kind of answer wanted (the focus), not the topic
    "期間 時期 人数 割合 日付 数 規模 金額 具体 名前 名称 場所 地域名 省庁 府省 担当 所管 "
    "省 庁 府 市 町 村 県 自治体 市町村".split()
)


@dataclass(frozen=True)
class Question:
    text: str  # normalised (NFKC) standalone question
    focus: Focus
    tokens: tuple[str, ...]  # content tokens, question words removed
    years: tuple[str, ...]
    places: tuple[str, ...]
    ministries: tuple[str, ...]


def detect_focus(text: str) -> Focus:
    for focus, pattern in FOCUS_PATTERNS:
        if pattern.search(text):
            return focus
    return Focus.GENERAL


def analyse(text: str) -> Question:
    """Normalise ``text`` and pull out what the answer must contain.

    ``tokens`` are the topic words; the named years, places and ministries are kept apart
    because they are checked as a whole (the answer sentence must name them)."""
    norm = normalize(text).strip()
    years = tuple(YEAR.findall(norm))
    places = tuple(
        p
        for p in PLACE.findall(norm)
        if p not in GENERIC_PLACE_WORDS and not set(p) <= PLACE_SUFFIXES
    )
    ministries = tuple(
        m for m in MINISTRY.findall(norm) if "省庁" not in m and not m.startswith("各")
    )
    entity_tokens = {t for name in (*years, *places, *ministries) for t in tokenize(name)}
    return Question(
        text=norm,
        focus=detect_focus(norm),
        tokens=tuple(
            t for t in tokenize(norm) if t not in QUESTION_WORDS and t not in entity_tokens
        ),
        years=years,
        places=places,
        ministries=ministries,
    )
