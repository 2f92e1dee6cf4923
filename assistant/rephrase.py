"""Stage 1 — rephrase: turn a follow-up into a standalone question using the chat history.

Rule-based (no LLM): 「2つ目の…」 picks that item of the previous answer's list; 「同じ省」
「同省」 become the ministry the previous turn named; a follow-up that names a new quoted term,
year, ministry or place replaces the same kind of slot in the previous question; one that points
back (それ/その…) or is only a fragment is joined to the previous question's topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from llama_index.core.llms import LLM

from assistant.generate import rewrite_followup
from assistant.question import CIRCLED, MINISTRY, ORDINAL, PLACE, YEAR, analyse
from assistant.stage import Stage
from assistant.work import Outcome, Query, Work
from corpus.japanese import fold, nfkc
from index.tokenize import morphemes

Turn = dict[str, str]

LEAD_IN = re.compile(
    r"^(では|じゃあ|じゃ|それでは|それなら|なら|また|あと|さらに|同じく|ちなみに)[、,\s]*"
)
# A demonstrative that opens the follow-up (「それは…」「その期間は…」), not これまで/それぞれ.
POINTER = re.compile(r"^(それ|その|これ|この|そこ)(?!まで|から|ぞれ|ほど|以外|以上|ら)")
ASKING_TAIL = re.compile(
    r"(とは|について|は|を|の|って)?\s*(何|なん|どう|どの|どれ|いつ|どこ|誰|いくら|いくつ|"
    r"教えて|説明|知りたい|ですか|でしょうか|ますか|ください)[^、]*$"
)
TRAILING_PARTICLE = re.compile(r"(とは|って|では|は|を|が|の)$")
# What the previous question asked about its topic (「…の期間」) is not part of the topic.
ATTRIBUTE_TAIL = re.compile(
    r"の(期間|時期|目標|人数|割合|日付|内容|概要|意味|理由|方法|実績|予算)$"
)
QUOTED = re.compile(r"「[^」]+」")
SLOTS = (QUOTED, YEAR, MINISTRY, PLACE)
LIST_ITEM = re.compile(r"^\s*(?:[-・●]\s*)(.+)$", re.M)
MARKERS = re.compile(r"\[\d+\]")
# 「教育職のほうは？」「では2は？」: a noun phrase asked about in place of one of the last question.
FRAGMENT_TAIL = re.compile(r"(?:のほう|の方)?(?:は|では|だと|って|の場合は)?[?？。\s]*$")
CONTRAST = re.compile(r"(?:のほう|の方)(?:は|では|だと)")
SHORT_CONTRAST = 4  # 「教育職のほうは？」 leans on the last question; a long one stands alone
# 「気球の場合はどの法律？」「地震のリスクについては？」: a phrase asked about in place of
# the last question's subject, then at most words the last question already used.
CONTRASTED = re.compile(
    r"^(?P<subject>.+?)(?:のほう|の方|の場合|については|だと|では)(?:は|では|だと)?[、,]?"
    r"(?P<rest>.*?)[?？。\s]*$"
)
# Words that say how something is asked (「どの法律？」 adds 法律, not どの) or carry no content.
ASKING_WORDS = frozenset(
    {"何", "なん", "どう", "どの", "どれ", "いつ", "どこ", "誰", "いくら", "いくつ", "どんな"}
)
LIGHT_VERBS = frozenset({"する", "いる", "ある", "なる", "れる", "られる", "てる", "思う", "言う"})
NOUN_PARTS = frozenset({"名詞", "接頭辞", "接尾辞", "代名詞"})
# Rewrites that join the previous question's words to the follow-up. Those words would make
# the previous answer look likely, so the follow-up's own words rank the evidence: on JaQuAD
# conversations (python -m eval run --jaquad dev --conversation 300) follow-ups 0.612 -> 0.639,
# changes of topic 0.807 -> 0.800, refusals unchanged. A slot, ordinal or ministry swap is whole.
JOINS = frozenset({"pointer", "topic"})
# 「同じ省」「同省」「その省庁」: the ministry or agency the previous turn named.
SAME_MINISTRY = re.compile(r"(?:同じ|その|この|同)(?:府省庁|省庁|府省|省|庁)(?![一-龥])")


def _topic(question: str) -> str:
    """What the previous question was about: the phrase before its topic marker は
    (「Xは、…ですか」 → 「X」), else the question without its asking part (「Xとは？」 → 「X」)."""
    text = question.rstrip("?？。 ")
    marked = _before_topic_marker(text)
    unasked = ASKING_TAIL.sub("", text).rstrip("、, ")  # 「Xって、どこに…」 → 「Xって」
    topic = marked or TRAILING_PARTICLE.sub("", unasked) or text
    return ATTRIBUTE_TAIL.sub("", topic) or topic


def _before_topic_marker(text: str) -> str:
    """The words before the first particle は when they end in a noun and something follows."""
    words = morphemes(text)
    for i, (surface, pos) in enumerate(words):
        if surface == "は" and pos == "助詞" and 0 < i < len(words) - 1:
            if words[i - 1][1] in NOUN_PARTS:
                return "".join(w for w, _ in words[:i])
            return ""
    return ""


def _noun_phrases(text: str) -> list[list[tuple[str, str]]]:
    """Runs of nouns (with prefixes and suffixes): 一般行政職, 5, 基本料金."""
    runs: list[list[tuple[str, str]]] = [[]]
    for word in morphemes(text):
        if word[1] in NOUN_PARTS:
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _fragment(followup: str) -> str | None:
    """The noun phrase a fragment follow-up consists of (「教育職のほうは？」 → 「教育職」)."""
    core = FRAGMENT_TAIL.sub("", followup).strip()
    phrases = _noun_phrases(core) if core else []
    if len(phrases) != 1 or "".join(w for w, _ in phrases[0]) != fold(core):
        return None
    return core


def _swap_head(followup: str, previous: str) -> str | None:
    """「教育職のほうは？」 after 「…一般行政職の平均年齢は？」 → 「…教育職の平均年齢は？」: the
    follow-up's noun phrase replaces the previous question's phrase with the same head noun
    (or number)."""
    fragment = _fragment(followup)
    if fragment is None:
        return None
    new = _noun_phrases(fragment)[0]
    for old in _noun_phrases(previous):
        same_head = old[-1][0] == new[-1][0] and old != new
        both_numbers = old[-1][0].isdigit() and new[-1][0].isdigit() and old != new
        written = "".join(w for w, _ in old)
        if (same_head or both_numbers) and written in fold(previous):
            return fold(previous).replace(written, fold(fragment), 1)
    return None


def _subject(text: str) -> str | None:
    """The subject of a folded question: the words before its first topic marker (は, には,
    では, って) when they end in a noun. Unlike :func:`_before_topic_marker` (は alone), it
    slices ``text`` itself, so that the phrase can be replaced in it."""
    words, spans, at = morphemes(text), [], 0
    for surface, _ in words:
        at = text.find(surface, at)
        spans.append(at + len(surface))
        at += len(surface)
    for k, (surface, pos) in enumerate(words):
        if pos == "助詞" and surface in ("は", "って") and k > 0:
            j = k - 1 if words[k - 1][0] not in ("に", "で") else k - 2
            if j >= 0 and words[j][1] in NOUN_PARTS:
                return text[: spans[j]]
            return None
    return None


def _content_words(text: str) -> set[str]:
    return {
        word
        for word, pos in morphemes(text)
        if pos in ("名詞", "動詞", "形容詞") and word not in ASKING_WORDS | LIGHT_VERBS
    }


def _contrast(followup: str, previous: str) -> str | None:
    """「気球の場合はどの法律？」 after 「ドローンって、どの法律で飛び方が決められてるの？」 →
    「気球って、どの法律で飛び方が決められてるの？」: the follow-up's subject takes the place of
    the previous question's phrase it contrasts with. Only when what the follow-up asks adds no
    word to the previous question (else it asks something new)."""
    match = CONTRASTED.match(fold(followup))
    previous = fold(previous)
    subject = match.group("subject") if match else ""
    words = morphemes(subject)
    asks = any(word in ASKING_WORDS or (word, pos) == ("は", "助詞") for word, pos in words)
    if not words or words[-1][1] not in NOUN_PARTS or asks:  # not 「…人は誰だと…」
        return None
    asked = _content_words(match.group("rest"))
    if not asked <= _content_words(previous):
        return None
    old = _contrasted_phrase(previous, subject, asked)
    return previous.replace(old, subject, 1) if old and old != subject else None


def _contrasted_phrase(previous: str, subject: str, asked: set[str]) -> str | None:
    """The phrase of ``previous`` that ``subject`` replaces: the one with the same head noun
    (the noun phrase for a noun phrase, 「一般行政職」 for 「教育職」; from the start of its
    clause for a clause, 「大雨で川があふれるリスク」 for 「地震で建物が倒れるリスク」), else the
    phrase the previous question itself contrasted (「配偶者だと」), else its subject when the
    follow-up asks again how the previous one asked (「どの法律？」) and none of its subject's
    words (「団体だと？」 after 「公民館の利用料っていくら」 asks about the fee, not of 団体)."""
    head = morphemes(subject)[-1][0]
    if len(_noun_phrases(subject)) == 1:
        same = [p for p in _noun_phrases(previous) if p[-1][0] == head]
        if same:
            return "".join(word for word, _ in same[-1])
    for segment in re.split(r"(?<=、)", previous):
        if any(word == head for word, _ in morphemes(segment)):
            return segment[: segment.rfind(head) + len(head)].lstrip("、 ")
    contrasted = CONTRASTED.match(previous)
    if contrasted:
        return re.split(r"、|って", contrasted.group("subject"))[-1] or None
    its_own = _subject(previous)
    return its_own if its_own and asked and not asked & _content_words(its_own) else None


def _list_items(answer: str) -> list[str]:
    """The items of a list answer: 「①A、②B…」, one 「- A[1]」 line per item, or 「A」「B」…"""
    answer = MARKERS.sub("", answer)  # not NFKC: it would turn ① into 1
    circled = re.split(f"[{CIRCLED}]", answer)
    if len(circled) > 2:
        return [nfkc(item).strip(" 、,。\n") for item in circled[1:]]
    lines = [nfkc(item).strip().lstrip(CIRCLED) for item in LIST_ITEM.findall(answer)]
    quoted = [nfkc(item) for item in QUOTED.findall(answer)]
    return lines or ([q.strip("「」") for q in quoted] if len(quoted) > 1 else [])


def _resolve_ordinal(followup: str, previous_answer: str) -> str | None:
    """「2本目の柱の中身は？」 → 「<second item of the previous answer>の中身は？」."""
    match = ORDINAL.search(followup)
    items = _list_items(previous_answer) if match else []
    position = int(match.group(1)) if match else 0
    if not 1 <= position <= len(items):
        return None
    item = re.sub(r"の\d+つ$", "", items[position - 1])
    before = POINTER.sub("", followup[: match.start()])  # 「その2番目の…」 means the item
    return before + item + followup[match.end() :]


def _resolve_same_ministry(followup: str, previous_turn: str) -> str | None:
    """「同じ省の取組は？」 after an answer naming 経済産業省 → 「経済産業省の取組は？」."""
    named = MINISTRY.findall(previous_turn)
    if not named or not SAME_MINISTRY.search(followup):
        return None
    return SAME_MINISTRY.sub(named[0], followup, count=1)


def _replace_pointer(followup: str, topic: str) -> str:
    """「その戦略では…」 with topic 「新しい総合戦略」 → 「新しい総合戦略では…」."""
    pointer = POINTER.match(followup)
    assert pointer
    rest = followup[pointer.end() :]
    for size in range(len(topic), 1, -1):  # the pointer's noun may repeat the topic's tail
        if rest.startswith(topic[-size:]):
            return topic + rest[size:]
    joined = topic + ("の" if pointer.group(1) in ("その", "この") else "") + rest
    return joined.replace("のは", "は", 1) if pointer.group(1) in ("それ", "これ") else joined


def _swap_slot(followup: str, previous: str) -> str | None:
    """Replace a ministry/year/place of ``previous`` with the one the follow-up names."""
    for pattern in SLOTS:
        new = pattern.findall(followup)
        old = pattern.findall(previous)
        if new and old and new[0] != old[0]:
            return previous.replace(old[0], new[0], 1)
    return None


def is_followup(question: str) -> bool:
    text = nfkc(question).strip()
    facts = analyse(text)
    return bool(
        LEAD_IN.match(text)
        or POINTER.match(LEAD_IN.sub("", text))
        or SAME_MINISTRY.search(text)
        or (CONTRAST.search(text) and len(facts.tokens) <= SHORT_CONTRAST)
        or len(facts.tokens) <= 2
    )


def rewrite(question: str, history: Sequence[Turn], as_followup: bool = False) -> tuple[str, str]:
    """The standalone question and how it was made: "as-is", "ordinal", "ministry", "slot"
    (a year, place, ministry, quoted term or a phrase with the same head noun swapped),
    "pointer" or "topic". ``as_followup`` reads it as a follow-up whatever its wording."""
    earlier = [i for i, turn in enumerate(history) if turn.get("role") == "user"]
    if not earlier:
        return question, "as-is"
    last = earlier[-1]
    previous = nfkc(standalone_question(history[last]["content"], history[:last]))
    cued = as_followup or is_followup(question) or ORDINAL.search(nfkc(question))
    if not cued:
        contrasted = _contrast(LEAD_IN.sub("", nfkc(question).strip()), previous)
        return (contrasted, "contrast") if contrasted else (question, "as-is")
    followup = LEAD_IN.sub("", nfkc(question).strip())
    answer = next((t["content"] for t in history[last + 1 :] if t.get("role") == "assistant"), "")
    resolved = _resolve_ordinal(followup, answer)
    if resolved:
        return resolved, "ordinal"
    resolved = _resolve_same_ministry(followup, f"{nfkc(answer)}\n{previous}")
    if resolved:
        return resolved, "ministry"
    swapped = _swap_slot(followup, previous) or _swap_head(followup, previous)
    if swapped:
        return swapped, "slot"
    contrasted = _contrast(followup, previous)
    if contrasted:
        return contrasted, "contrast"
    topic = _topic(previous)
    if POINTER.match(followup):
        return _replace_pointer(followup, topic), "pointer"
    return f"{topic}について、{followup}", "topic"


def _abbreviates(short: str, name: str) -> bool:
    """経産省 → 経済産業省: same first and last character, the rest in order."""
    if not short or not name or short == name or (short[0], short[-1]) != (name[0], name[-1]):
        return False
    rest = iter(name)
    return all(char in rest for char in short)


def expand_abbreviations(text: str, names: Iterable[str]) -> str:
    """Replace abbreviated ministry names by the one full name they abbreviate."""
    known = {name for name in names if name}
    for short in set(MINISTRY.findall(text)) - known:
        matches = [name for name in known if _abbreviates(short, name)]
        if len(matches) == 1:
            text = text.replace(short, matches[0])
    return text


def standalone_question(question: str, history: Sequence[Turn]) -> str:
    """The question as it would be asked without the history."""
    return rewrite(question, history)[0]


class Rephrase(Stage):
    """Follow-up → standalone question, then what it asks for.

    In generative mode the LLM rewrites the follow-ups the rules can only join to the previous
    topic; a slot swap or a resolved pointer is kept as the rules made it."""

    name = "rephrase"

    def __init__(self, llm: Callable[[], LLM], names: Callable[[], Iterable[str]]) -> None:
        self.llm = llm
        self.names = names  # the organisations the documents name, for abbreviations

    def run(self, work: Work) -> Outcome | None:
        turn = work.turn
        standalone, how = rewrite(turn.question, turn.history, turn.as_followup)
        if how == "topic" and turn.mode == "generative":
            standalone, how = rewrite_followup(self.llm(), turn.question, list(turn.history)), "llm"
        standalone = expand_abbreviations(standalone, self.names())
        if how in JOINS:
            asked = analyse(expand_abbreviations(turn.question, self.names()))
            work.query = Query(standalone, how, asked, joined=analyse(standalone))
        else:
            work.query = Query(standalone, how, analyse(standalone))
        return None
