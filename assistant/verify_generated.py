"""Check every sentence of a generated answer against the sources it cites.

A sentence is kept only when it cites at least one source by an existing marker [n], cites no
marker that does not exist, and every number, date, ministry/agency name, place name and proper
noun in it, and most of its content words, appear in a cited source (NFKC-normalised). Sources that
address the assistant ("これまでの指示を無視して…") support nothing. Kept markers are renumbered in
order of first use and placed before the sentence's final punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache

import fugashi

from assistant.types import Citation, Evidence

NOT_FOUND = "資料には記載が見つかりませんでした"  # the answer that says the sources lack it
MIN_CONTENT_COVERAGE = 0.5  # share of a sentence's content words that must be in cited sources

_MARKER = re.compile(r"[\[【]\s*(\d+(?:\s*[,、]\s*\d+)*)\s*[\]】]")
_TERMINAL = "。！？!?"
_SENTENCE = re.compile(rf"[^{_TERMINAL}]+(?:[{_TERMINAL}]+|$)|[{_TERMINAL}]+")
_BULLET = re.compile(r"^\s*(?:[-*・●•◆■]|\d{1,2}[.)](?!\d)|\(\d{1,2}\))\s*")
_DIGIT_COMMA = re.compile(r"(?<=\d)[,，](?=\d{3})")
_ERA = "明治|大正|昭和|平成|令和"
_DATE = re.compile(
    rf"(?P<era>{_ERA})?(?P<year>\d{{1,4}}|元)年(?P<fiscal>度)?"
    r"(?:(?P<month>\d{1,2})月(?:(?P<day>\d{1,2})日)?)?"
    r"|(?P<m2>\d{1,2})月(?:(?P<d2>\d{1,2})日)?"
    r"|(?P<y3>\d{4})[/.-](?P<m3>\d{1,2})(?:[/.-](?P<d3>\d{1,2}))?"
)
_NUMBER_PART = re.compile(r"(\d+(?:\.\d+)?)(千|百)?(兆|億|万)?")
_PERCENT = re.compile(r"\s*(?:%|パーセント)")
_MULTIPLIERS = {"千": 1000, "百": 100, "兆": 10**12, "億": 10**8, "万": 10**4, None: 1}
_ENTITY_SUFFIXES = frozenset("省庁府都道県市町村区")
_INTERROGATIVES = frozenset({"いくら", "いつ", "どこ", "誰", "だれ", "どれ", "どちら", "何人"})
_META_WORDS = frozenset({"資料", "記載", "回答", "質問", "出典", "番号"})
_ADDRESSES_ASSISTANT = re.compile(
    r"(?:これまで|今まで|以前|上記|先|前|全て|すべて)の(?:指示|命令|ルール|規則|設定)"
    r"|指示を無視|システムプロンプト|system\s*prompt"
    r"|ignore\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above)"
    r"|と(?:答え|回答し|返答し|出力し|返信し|言っ)(?:て|ろ|なさい|よ)|と(?:回答|出力)せよ",
    re.IGNORECASE,
)


@dataclass
class VerifiedAnswer:
    """The generated answer after verification; ``supported`` is False when nothing survived."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (sentence, reason)
    declined: bool = False  # the model said the sources do not contain the answer

    @property
    def supported(self) -> bool:
        return bool(self.citations)


@dataclass
class _Sentence:
    body: str  # without markers
    markers: list[int]
    line: int
    prefix: str = ""  # the line's bullet, kept on the line's first sentence


def normalise(text: str) -> str:
    """NFKC with thousands separators removed (１，０００ → 1000)."""
    return _DIGIT_COMMA.sub("", unicodedata.normalize("NFKC", text))


def addresses_assistant(text: str) -> bool:
    """True when a source sentence gives instructions to the assistant (a prompt injection)."""
    return bool(_ADDRESSES_ASSISTANT.search(normalise(text)))


def verify(text: str, evidence: Sequence[Evidence], question: str = "") -> VerifiedAnswer:
    """Keep the sentences of ``text`` that their cited ``evidence`` supports; renumber markers.

    With ``question``, supported sentences that, with their cited sources, do not address it (miss
    its names or all its content words) are dropped too: small models copy unrelated sources.
    """
    normalised = normalise(text)
    kept: list[_Sentence] = []
    dropped: list[tuple[str, str]] = []
    for sentence in split_sentences(normalised):
        reason = _unsupported_reason(sentence, evidence)
        if reason:
            dropped.append((sentence.body, reason))
        else:
            kept.append(sentence)
    if question and kept and not addresses_question(_kept_with_sources(kept, evidence), question):
        dropped += [(s.body, "does not address the question") for s in kept]
        kept = []
    answer_text, order = _render(kept)
    citations = [evidence[old - 1].cite(new) for old, new in order.items()]
    return VerifiedAnswer(
        text=answer_text,
        citations=citations,
        dropped=dropped,
        declined=normalise(NOT_FOUND) in normalised,
    )


def _kept_with_sources(kept: Sequence[_Sentence], evidence: Sequence[Evidence]) -> str:
    cited = sorted({n for sentence in kept for n in sentence.markers})
    return "\n".join([*(s.body for s in kept), *(_haystack(evidence[n - 1]) for n in cited)])


def addresses_question(answer: str, question: str) -> bool:
    """``answer`` has one of the question's names (if any) and one of its content words."""
    answer = _strip_spaces(normalise(answer))
    asked = _strip_spaces(normalise(question))
    names = _entities(asked)
    if names and not any(_entity_in(name, answer) for name in names):
        return False
    words = [w for w in content_words(asked) if w not in _INTERROGATIVES]
    return not words or any(word in answer for word in words)


def split_sentences(text: str) -> list[_Sentence]:
    """Sentences (split at 。！？ and newlines) with the markers that belong to each.

    A marker right after a sentence's end belongs to that sentence, unless the answer puts its
    markers first ("[1] 文。[2] 文。"), which is detected from the answer's first sentence.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    leading_style = (
        bool(lines) and _MARKER.match(_BULLET.sub("", lines[0], count=1).lstrip()) is not None
    )
    sentences: list[_Sentence] = []
    for number, line in enumerate(lines):
        bullet = _BULLET.match(line)
        prefix = bullet.group(0).strip() if bullet else ""
        pieces = _SENTENCE.findall(line[bullet.end() :] if bullet else line)
        line_sentences: list[_Sentence] = []
        for piece in pieces:
            body = _MARKER.sub("", piece).strip()
            numbers = _marker_numbers(piece)
            previous = line_sentences or sentences
            if not body.strip(_TERMINAL + " 、"):
                if previous:
                    previous[-1].markers.extend(numbers)
                continue
            head = _leading_markers(piece)
            if head and line_sentences and not leading_style:
                line_sentences[-1].markers.extend(head)
                numbers = numbers[len(head) :]
            line_sentences.append(_Sentence(body=body, markers=numbers, line=number))
        if line_sentences:
            line_sentences[0].prefix = prefix
        sentences.extend(line_sentences)
    return sentences


def _marker_numbers(text: str) -> list[int]:
    return [int(n) for match in _MARKER.finditer(text) for n in re.split(r"[,、\s]+", match[1])]


def _leading_markers(piece: str) -> list[int]:
    head = re.match(rf"(?:\s*{_MARKER.pattern})+", piece)
    return _marker_numbers(head.group(0)) if head else []


def _unsupported_reason(sentence: _Sentence, evidence: Sequence[Evidence]) -> str:
    """Why the sentence must be dropped, or "" when its cited sources support it."""
    if not sentence.markers:
        return "no citation marker"
    missing = sorted({n for n in sentence.markers if not 1 <= n <= len(evidence)})
    if missing:
        return f"cites {_markers(missing)}, but only [1]..[{len(evidence)}] exist"
    cited = sorted(set(sentence.markers))
    usable = [n for n in cited if not addresses_assistant(evidence[n - 1].text)]
    if not usable:
        return f"cites only {_markers(cited)}, which gives instructions instead of information"
    haystack = "\n".join(_haystack(evidence[n - 1]) for n in usable)
    where = _markers(usable)
    body = _strip_spaces(sentence.body)
    for date in _dates(body):
        if not any(_date_matches(date, other) for other in _dates(haystack)):
            return f"date {_date_text(date)} is not in {where}"
    source_numbers = _numbers(haystack)
    for number in _numbers(body):
        if number not in source_numbers:
            return f"number {_number_text(number)} is not in {where}"
    for entity in _entities(body):
        if not _entity_in(entity, haystack):
            return f"name {''.join(entity)} is not in {where}"
    words = content_words(body)
    if not words:
        return "no content words to check"
    found = sum(1 for word in words if word in haystack)
    if found / len(words) < MIN_CONTENT_COVERAGE:
        return f"only {found} of {len(words)} content words are in {where}"
    return ""


def _markers(numbers: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _strip_spaces(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _haystack(item: Evidence) -> str:
    return _strip_spaces(normalise(f"{item.title} {item.section} {item.text}"))


# --- dates -------------------------------------------------------------------------------------

_Date = tuple[str, int | None, bool, int | None, int | None]  # era, year, fiscal, month, day


def _dates(text: str) -> list[_Date]:
    found = []
    for m in _DATE.finditer(text):
        if m["year"]:
            year = 1 if m["year"] == "元" else int(m["year"])
            found.append(
                (m["era"] or "", year, bool(m["fiscal"]), _int(m["month"]), _int(m["day"]))
            )
        elif m["m2"]:
            found.append(("", None, False, int(m["m2"]), _int(m["d2"])))
        else:
            found.append(("", int(m["y3"]), False, int(m["m3"]), _int(m["d3"])))
    return found


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _date_matches(claim: _Date, source: _Date) -> bool:
    """Every part the claim states (era, year, 年度, month, day) is the same in the source."""
    era, year, fiscal, month, day = claim
    return (
        (not era or era == source[0])
        and (year is None or year == source[1])
        and (not fiscal or source[2])
        and (month is None or month == source[3])
        and (day is None or day == source[4])
    )


def _date_text(date: _Date) -> str:
    era, year, fiscal, month, day = date
    parts = [era, f"{year}年" if year is not None else "", "度" if fiscal else ""]
    parts += [f"{month}月" if month else "", f"{day}日" if day else ""]
    return "".join(parts)


# --- numbers -----------------------------------------------------------------------------------

_Number = tuple[Fraction, bool]  # value, is a percentage


def _numbers(text: str) -> list[_Number]:
    """Numbers outside dates, with 千/百/万/億/兆 applied (4万2千 → 42000) and % kept apart."""
    without_dates = _DATE.sub(" ", text)
    numbers: list[_Number] = []
    value, end = Fraction(0), -1
    for m in _NUMBER_PART.finditer(without_dates):
        part = Fraction(m[1]) * _MULTIPLIERS[m[2]] * _MULTIPLIERS[m[3]]
        continues = m.start() == end and value and part < value
        if end >= 0 and not continues:
            numbers.append((value, False))
            value = Fraction(0)
        value += part
        end = m.end()
        if _PERCENT.match(without_dates, end):
            numbers.append((value, True))
            value, end = Fraction(0), -1
    if end >= 0:
        numbers.append((value, False))
    return numbers


def _number_text(number: _Number) -> str:
    value, percent = number
    shown = str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
    return shown + ("%" if percent else "")


# --- names and content words ---------------------------------------------------------------------


@cache
def _tagger() -> fugashi.Tagger:
    return fugashi.Tagger()


def _is_noun(word: fugashi.UnidicNode) -> bool:
    return word.feature.pos1 in {"名詞", "接尾辞"} and word.feature.pos2 != "数詞"


def _entities(text: str) -> list[tuple[str, ...]]:
    """Ministry/agency/place names (noun run + 省/庁/府/都/道/県/市/町/村/区) and proper nouns."""
    entities: list[tuple[str, ...]] = []
    run: list[str] = []
    for word in _tagger()(text):
        if not _is_noun(word):
            run = []
            continue
        if word.feature.pos2 == "固有名詞":
            entities.append((word.surface,))
        if word.surface in _ENTITY_SUFFIXES and run and run[-1] not in _ENTITY_SUFFIXES:
            entities.append((*run, word.surface))
        run.append(word.surface)
    return entities


def _entity_in(entity: tuple[str, ...], haystack: str) -> bool:
    """The name, or the name without leading words (年度経済産業省 → 経済産業省), is in the text."""
    shortest = 1 if len(entity) == 1 else 2
    return any("".join(entity[i:]) in haystack for i in range(len(entity) - shortest + 1))


def content_words(text: str) -> list[str]:
    """Nouns that carry meaning (not numbers, single kana, or words about the sources)."""
    return [
        word.surface
        for word in _tagger()(text)
        if word.feature.pos1 == "名詞"
        and word.feature.pos2 in {"普通名詞", "固有名詞"}
        and word.surface not in _META_WORDS
        and (len(word.surface) > 1 or not re.fullmatch(r"[\u3040-\u309f]", word.surface))
    ]


# --- output ------------------------------------------------------------------------------------


def _render(kept: Sequence[_Sentence]) -> tuple[str, dict[int, int]]:
    """Answer text with markers renumbered by first use, and the old → new number map."""
    order: dict[int, int] = {}
    lines: dict[int, str] = {}
    for sentence in kept:
        numbers = []
        for old in sentence.markers:
            new = order.setdefault(old, len(order) + 1)
            if new not in numbers:
                numbers.append(new)
        body = sentence.body.rstrip()
        core = body.rstrip(_TERMINAL)
        text = f"{core}{_markers(numbers)}{body[len(core) :]}"
        if sentence.prefix and sentence.line not in lines:
            text = f"{sentence.prefix} {text}"
        lines[sentence.line] = lines.get(sentence.line, "") + text
    return "\n".join(lines.values()), order
