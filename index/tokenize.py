"""Japanese tokens for BM25: fugashi + unidic-lite over the folded text (NFKC, 和暦 → 西暦,
漢数字 → digits), content words only, numbers kept whole."""

from __future__ import annotations

from functools import lru_cache

import fugashi

from corpus.japanese import fold

DROPPED_POS = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白", "接頭辞"})
LIGHT_VERBS = frozenset({"為る", "成る", "有る", "居る", "出来る"})
INFLECTING_POS = frozenset({"動詞", "形容詞", "形状詞"})
NUMBER_PARTS = frozenset({"万", "億", "兆", "千", "百", "十", ".", "%", "％"})
TOKENIZER_VERSION = 2  # stored with each document; chunks of another version are re-tokenised


@lru_cache(maxsize=1)
def _tagger() -> fugashi.Tagger:
    return fugashi.Tagger()


def _is_number_part(surface: str, pos2: str) -> bool:
    return pos2 == "数詞" or surface in NUMBER_PARTS or surface.isdigit()


def tokenize(text: str) -> list[str]:
    """Content-word tokens: particles, auxiliaries and symbols dropped; 230万 stays one token."""
    tokens: list[str] = []
    number = ""
    for word in _tagger()(fold(text)):
        surface = word.surface
        pos1, pos2 = word.feature.pos1, word.feature.pos2
        if number and word.white_space:
            tokens.append(number)
            number = ""
        if _is_number_part(surface, pos2) and (number or surface[0].isdigit()):
            number += surface
            continue
        if number:
            tokens.append(number)
            number = ""
        if pos1 in DROPPED_POS:
            continue
        lemma = word.feature.lemma
        base = lemma.split("-")[0] if pos1 in INFLECTING_POS and lemma else surface
        if base.strip() and base not in LIGHT_VERBS:
            tokens.append(base)
    if number:
        tokens.append(number)
    return tokens


def _is_common_noun(word: fugashi.UnidicNode) -> bool:
    """A common noun that can be part of a name (not そもそも/今後/現在, which work as adverbs)."""
    feature = word.feature
    return (feature.pos1, feature.pos2) == ("名詞", "普通名詞") and feature.pos3 != "副詞可能"


def noun_compounds(text: str) -> list[tuple[str, ...]]:
    """Runs of two or more common nouns: 閣議決定 → (閣議, 決定); numerals don't count."""
    runs: list[tuple[str, ...]] = []
    run: list[str] = []
    for word in [*_tagger()(fold(text)), None]:
        if word is not None and _is_common_noun(word):
            run.append(word.surface)
            continue
        if len(run) > 1:
            runs.append(tuple(run))
        run = []
    return runs


def chunk_tokens(section: str, text: str) -> list[str]:
    """The BM25 tokens of a chunk: its section path counts as part of its text."""
    return tokenize(f"{section}\n{text}")


def morphemes(text: str) -> list[tuple[str, str]]:
    """(surface, part of speech) of each word of the folded text."""
    return [(word.surface, word.feature.pos1) for word in _tagger()(fold(text))]


def proper_nouns(text: str) -> list[str]:
    """Runs of proper nouns (固有名詞: people, places, organisations, products), joined."""
    names: list[str] = []
    run = ""
    for word in [*_tagger()(fold(text)), None]:
        if word is not None and word.feature.pos2 == "固有名詞":
            run += word.surface
            continue
        if run:
            names.append(run)
        run = ""
    return names


@lru_cache(maxsize=50_000)
def named_kinds(text: str) -> dict[str, frozenset[str]]:
    """The person names, place names, other proper nouns and numbers in ``text``, by kind."""
    kinds: dict[str, set[str]] = {"person": set(), "place": set(), "proper": set(), "number": set()}
    for word in _tagger()(fold(text)):
        feature = word.feature
        if feature.pos2 == "数詞":
            kinds["number"].add(word.surface)
        elif feature.pos2 == "固有名詞":
            kind = {"人名": "person", "地名": "place"}.get(feature.pos3, "proper")
            kinds[kind].add(word.surface)
    return {kind: frozenset(found) for kind, found in kinds.items()}


@lru_cache(maxsize=50_000)
def token_set(text: str) -> frozenset[str]:
    """Cached set of :func:`tokenize` tokens (sentences are scored again and again)."""
    return frozenset(tokenize(text))
