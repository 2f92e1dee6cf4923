"""Stage 1 — rephrase: turn a follow-up into a standalone question using the chat history.

Rule-based (no LLM): a follow-up that names a new ministry, year or place replaces the same kind
of slot in the previous question; one that points back (それ/その…) or is only a fragment is
joined to the previous question's topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from llama_index.core.llms import LLM

from assistant.generate import rewrite_followup
from assistant.question import MINISTRY, PLACE, YEAR, analyse
from assistant.state import State
from index.tokenize import normalize

Turn = dict[str, str]

LEAD_IN = re.compile(
    r"^(では|じゃあ|じゃ|それでは|それなら|なら|また|あと|さらに|同じく|ちなみに)[、,\s]*"
)
# A demonstrative that opens the follow-up (「それは…」「その期間は…」), not これまで/それぞれ.
POINTER = re.compile(r"^(それ|その|これ|この|そこ|同じ)(?!まで|から|ぞれ|ほど|以外|以上|ら)")
ASKING_TAIL = re.compile(
    r"(とは|について|は|を|の|って)?\s*(何|なん|どう|どの|どれ|いつ|どこ|誰|教えて|説明|知りたい|"
    r"ですか|でしょうか|ますか|ください)[^、]*$"
)
TRAILING_PARTICLE = re.compile(r"(とは|って|では|は|を|が|の)$")
SLOTS = (YEAR, MINISTRY, PLACE)


def _topic(question: str) -> str:
    """The previous question without its asking part: 「Xとは何ですか？」 → 「X」."""
    text = question.rstrip("?？。 ")
    return TRAILING_PARTICLE.sub("", ASKING_TAIL.sub("", text)) or text


def _swap_slot(followup: str, previous: str) -> str | None:
    """Replace a ministry/year/place of ``previous`` with the one the follow-up names."""
    for pattern in SLOTS:
        new = pattern.findall(followup)
        old = pattern.findall(previous)
        if new and old and new[0] != old[0]:
            return previous.replace(old[0], new[0], 1)
    return None


def is_followup(question: str) -> bool:
    text = normalize(question).strip()
    facts = analyse(text)
    return bool(
        LEAD_IN.match(text) or POINTER.match(LEAD_IN.sub("", text)) or len(facts.tokens) <= 2
    )


def rewrite(question: str, history: Sequence[Turn]) -> tuple[str, str]:
    """The standalone question and how it was made: "as-is", "slot", "pointer" or "topic"."""
    earlier = [i for i, turn in enumerate(history) if turn.get("role") == "user"]
    if not earlier or not is_followup(question):
        return question, "as-is"
    last = earlier[-1]
    previous = normalize(standalone_question(history[last]["content"], history[:last]))
    followup = LEAD_IN.sub("", normalize(question).strip())
    swapped = _swap_slot(followup, previous)
    if swapped:
        return swapped, "slot"
    topic = _topic(previous)
    if POINTER.search(followup):
        return POINTER.sub(topic + "の", followup, count=1).replace("のは", "は", 1), "pointer"
    return f"{topic}について、{followup}", "topic"


def _abbreviates(short: str, name: str) -> bool:
    """経産省 → 経済産業省: same first and last character, the rest in order."""
    if short == name or short[0] != name[0] or short[-1] != name[-1]:
        return False
    rest = iter(name)
    return all(char in rest for char in short)


def expand_abbreviations(text: str, names: Iterable[str]) -> str:
    """Replace abbreviated ministry names by the one full name they abbreviate."""
    known = set(names)
    for short in set(MINISTRY.findall(text)) - known:
        matches = [name for name in known if _abbreviates(short, name)]
        if len(matches) == 1:
            text = text.replace(short, matches[0])
    return text


def standalone_question(question: str, history: Sequence[Turn]) -> str:
    """The question as it would be asked without the history."""
    return rewrite(question, history)[0]


class Rephrase:
    """Stage 1: follow-up → standalone question, then what it asks for.

    In generative mode the LLM rewrites the follow-ups the rules can only join to the previous
    topic; a slot swap or a resolved pointer is kept as the rules made it."""

    def __init__(self, llm: Callable[[], LLM], names: Callable[[], Iterable[str]]) -> None:
        self.llm = llm
        self.names = names  # the ministries etc. the indexed tables name, for abbreviations

    def __call__(self, state: State) -> None:
        state.standalone, how = rewrite(state.question, state.history)
        if how == "topic" and state.mode == "generative":
            state.standalone = rewrite_followup(self.llm(), state.question, state.history)
        state.standalone = expand_abbreviations(normalize(state.standalone), self.names())
        state.facts = analyse(state.standalone)
