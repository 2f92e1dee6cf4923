"""Japanese text: the page-text normaliser, the comparison form, and the sentence splitter.

Written here rather than taken from a library because plain NFKC rewrites the full-width forms
that Japanese documents, and quotes taken from them, rely on (５本柱, （社会）, ＫＰＩ), and because
no library folds 和暦, 漢数字 and 割 into the forms a question may use for the same date or figure.
"""

from __future__ import annotations

import re
import unicodedata

# Characters NFKC would rewrite but that carry meaning in Japanese documents: full-width ASCII
# forms, the ideographic space, circled/enclosed numbers (①–⑳, ㉑–㊿) and full-width signs (￥).
_KEEP = re.compile("([\uff01-\uff5e\u3000\u2460-\u24ff\u3251-\u325f\u32b1-\u32bf\uffe0-\uffee]+)")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile("[ \t\u00a0]+")

# Brackets inside which a sentence never ends.
_OPEN = "「『（(【〔［[｛{〈《＜"
_CLOSE = "」』）)】〕］]｝}〉》＞"
_SENTENCE_END = "。！？"

# 和暦 → 西暦: the year before each era's first year.
_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925}
_ERA_YEAR = re.compile(r"(令和|平成|昭和)\s*(元|\d{1,2})\s*(?=年)")
# Tables and dates abbreviate the era to its letter (H28, R5, R3.4.1), after NFKC and lower case;
# only where a year can stand (before 年, a date's dot, a line's end or a separator), so H2ロケット,
# R0 and "S3 bucket" stay. Measured: 80 such years in the 9 benchmark PDFs, none in JaQuAD's
# contexts (73 letter-digit pairs there, e.g. R0, none where a year stands).
_ERA_LETTERS = {"r": ("令和", 30), "h": ("平成", 31), "s": ("昭和", 64)}
_ERA_LETTER_YEAR = re.compile(
    r"(?<![a-z0-9])([rhs])(\d{1,2})(?=年|\.\d|$|[|｜:：)）/、,・～~\-])", re.MULTILINE
)
# A table column headed by a bare year (「30年度」) in a document that dates by an era (「平成29年度
# ～」 on its first page) is that era's year, as a reader takes it: the header is written with the
# era, so that it folds to the western year a question's 平成30年度 folds to.
_BARE_YEAR = re.compile(r"(\d{1,2})\s*(年度|年)")
_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_KANJI_POWERS = {"十": 10, "百": 100, "千": 1000}
# A kanji numeral directly before a counter or unit (二〇二四年, 十二月, 三割, 五人…).
_KANJI_NUMBER = re.compile(
    r"(?<![〇一二三四五六七八九十百千\d.])([〇一二三四五六七八九十百千]+)"
    r"(?=年|か月|ヶ月|月|日|人|名|件|円|万|億|兆|回|か所|箇所|歳|割|倍|校|社|つ|本|%)"
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# Spaces PDF text puts between a figure and the Japanese beside it (「201,500 円」「2022 年 9 月」
# 「平成 24 年度」, mostly in table cells): Japanese writes none, so the comparison form drops them.
# Measured: fresh3 +2, fresh2 −1 answers on the real PDFs; JaQuAD-RAG dev and shipped unchanged.
_FIGURE_GAP = re.compile(r"(?<=\d)\s+(?=[^\x00-\x7f]|%)|(?<=[^\x00-\x7f])\s+(?=\d)")
_TENTHS = re.compile(r"(\d+(?:\.\d+)?)割")


def normalize(text: str) -> str:
    """Page text: NFKC except meaningful full-width forms; PUA glyphs and invisibles dropped."""
    parts = _KEEP.split(_PRIVATE_USE.sub(" ", text))
    text = "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip(" \u3000")


def _kanji_value(numeral: str) -> int:
    """二〇二四 → 2024 (digit by digit), 十二 → 12, 三百五十 → 350."""
    if not any(c in _KANJI_POWERS for c in numeral):
        return int("".join(str(_KANJI_DIGITS[c]) for c in numeral))
    total = digit = 0
    for char in numeral:
        if char in _KANJI_POWERS:
            total += (digit or 1) * _KANJI_POWERS[char]
            digit = 0
        else:
            digit = digit * 10 + _KANJI_DIGITS[char]
    return total + digit


def _western_year(match: re.Match[str]) -> str:
    number = 1 if match.group(2) == "元" else int(match.group(2))
    return str(_ERAS[match.group(1)] + number)


def _western_letter_year(match: re.Match[str]) -> str:
    era, last = _ERA_LETTERS[match.group(1)]
    number = int(match.group(2))
    return str(_ERAS[era] + number) if 1 <= number <= last else match.group(0)


def _tenths_as_percent(match: re.Match[str]) -> str:
    return f"{float(match.group(1)) * 10:g}%"


def has_letter(text: str) -> bool:
    """Whether ``text`` holds a letter (kana, kanji, latin…), not only figures and marks
    (「85.00」「【76.78】」 name nothing)."""
    return any(unicodedata.category(c).startswith("L") for c in text)


def has_content(text: str) -> bool:
    """Whether ``text`` holds a letter or a figure, not only marks (a table's 「－」 or 「…」)."""
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def nfkc(text: str) -> str:
    """NFKC and lower case: a question or an answer as typed, without rewriting its figures."""
    return unicodedata.normalize("NFKC", text).lower()


def latest_era(text: str, era: str | None) -> str | None:
    """The era of the last era-dated year in ``text`` (令和6年, H28), else ``era``."""
    text = nfkc(text)
    found = [(m.start(), m.group(1)) for m in _ERA_YEAR.finditer(text)]
    found += [(m.start(), _ERA_LETTERS[m.group(1)][0]) for m in _ERA_LETTER_YEAR.finditer(text)]
    return max(found)[1] if found else era


def with_era(header: str, era: str | None) -> str:
    """A header level that is a bare year (「30年度」) written with ``era`` (「平成30年度」)."""
    if era is None:
        return header
    levels = header.split(" / ")
    return " / ".join(f"{era}{level}" if _BARE_YEAR.fullmatch(level) else level for level in levels)


def fold(text: str) -> str:
    """The comparison form of a text: NFKC, lower case, and one spelling per date and figure —
    令和6年 → 2024年, H28 → 2016, 十二月 → 12月, 1,800億円 → 1800億円, 4割 → 40%,
    201,500 円 → 201500円."""
    text = _FIGURE_GAP.sub("", nfkc(text))
    text = _KANJI_NUMBER.sub(lambda m: str(_kanji_value(m.group(1))), text)
    text = _ERA_YEAR.sub(_western_year, text)
    text = _ERA_LETTER_YEAR.sub(_western_letter_year, text)
    text = _THOUSANDS.sub("", text)
    return _TENTHS.sub(_tenths_as_percent, text)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of sentences ending in 。！？, never split inside 「」 or （）."""
    spans: list[tuple[int, int]] = []
    depth = start = 0
    for i, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
        elif char in _SENTENCE_END and depth == 0:
            spans.append((start, i + 1))
            start = i + 1
    spans.append((start, len(text)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while text[start].isspace():
        start += 1
    while text[end - 1].isspace():
        end -= 1
    return start, end
