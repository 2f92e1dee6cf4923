"""JaQuAD (Japanese Wikipedia reading comprehension) as a retrieval-augmented question set.

Each article becomes one plain-text document whose pages are its paragraphs (contexts), each
page opened by the article title. A question is right when the answer contains a gold answer
span, its citation when the cited quote (on the gold paragraph's page) contains it. Every
``HELD_OUT_EVERY``-th article is left out of the index: its questions must be refused.

The data is read from ``../shared/data/jaquad`` (or ``$POLICY_QA_JAQUAD``) at run time and
written only into the data folder; nothing of it is committed.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass, replace
from pathlib import Path

from eval.dataset import EvalItem, GoldEvidence

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT.parent / "shared" / "data" / "jaquad"
SPLITS = ("train", "dev")
HELD_OUT_EVERY = 10  # every 10th article is not indexed; its questions are the negatives
PAGE_BREAK = "\f"


class JaquadMissing(FileNotFoundError):
    """The JaQuAD folder is not there; ``str(err)`` says where it was looked for."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answers: tuple[str, ...]
    answer_type: str
    page: int  # 1-based paragraph number within the article


@dataclass(frozen=True)
class Article:
    number: int  # position in the split, stable across runs
    title: str
    contexts: tuple[str, ...]
    questions: tuple[Question, ...]

    @property
    def doc_id(self) -> str:
        return f"jaquad-{self.number:04d}"

    @property
    def held_out(self) -> bool:
        return self.number % HELD_OUT_EVERY == HELD_OUT_EVERY - 1

    def text(self) -> str:
        """The article as one .txt: a page per paragraph, each headed by the title."""
        return PAGE_BREAK.join(f"{self.title}\n\n{context}" for context in self.contexts)


def data_dir(path: Path | str | None = None) -> Path:
    """Where JaQuAD lives: ``path``, else ``$POLICY_QA_JAQUAD``, else ``../shared/data/jaquad``."""
    folder = Path(path or os.environ.get("POLICY_QA_JAQUAD") or DEFAULT_DIR)
    if not folder.is_dir():
        raise JaquadMissing(
            f"JaQuAD not found at {folder} (set POLICY_QA_JAQUAD or pass --jaquad-dir)"
        )
    return folder


def load_split(split: str, folder: Path | str | None = None) -> list[Article]:
    """Every article of ``split`` (train or dev), in shard order."""
    if split not in SPLITS:
        raise ValueError(f"unknown JaQuAD split {split!r}: choose one of {', '.join(SPLITS)}")
    shards = sorted((data_dir(folder) / split).glob("*.json"))
    if not shards:
        raise JaquadMissing(f"no JaQuAD {split} shards in {data_dir(folder) / split}")
    articles: list[Article] = []
    for shard in shards:
        for entry in json.loads(shard.read_text(encoding="utf-8"))["data"]:
            contexts, questions = [], []
            for page, paragraph in enumerate(entry["paragraphs"], start=1):
                contexts.append(paragraph["context"])
                questions += [
                    Question(
                        id=qa["id"],
                        text=qa["question"],
                        answers=tuple(dict.fromkeys(a["text"] for a in qa["answers"])),
                        answer_type=qa["answers"][0].get("answer_type", "Other"),
                        page=page,
                    )
                    for qa in paragraph["qas"]
                    if qa["answers"]
                ]
            number = len(articles)
            articles.append(Article(number, entry["title"], tuple(contexts), tuple(questions)))
    return articles


def write_corpus(articles: list[Article], folder: Path) -> list[Path]:
    """The indexed (not held-out) articles as .txt files in ``folder``; unchanged files are kept."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for article in articles:
        if article.held_out:
            continue
        path = folder / f"{article.doc_id}.txt"
        text = article.text()
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def answerable_item(article: Article, question: Question) -> EvalItem:
    return EvalItem(
        id=question.id,
        type=question.answer_type,
        question=question.text,
        history=(),
        any=question.answers,
        all=(),
        evidence=tuple(GoldEvidence(article.doc_id, question.page, a) for a in question.answers),
        refuse=False,
    )


def unanswerable_item(question: Question) -> EvalItem:
    return EvalItem(
        id=question.id,
        type="unanswerable",
        question=question.text,
        history=(),
        any=(),
        all=(),
        evidence=(),
        refuse=True,
    )


def eval_items(
    articles: list[Article], answerable: int, unanswerable: int, seed: int = 0
) -> list[EvalItem]:
    """A fixed random sample: ``answerable`` questions of indexed articles, then
    ``unanswerable`` questions of held-out ones."""
    rng = random.Random(seed)
    indexed = [(a, q) for a in articles if not a.held_out for q in a.questions]
    held_out = [q for a in articles if a.held_out for q in a.questions]
    chosen = rng.sample(indexed, min(answerable, len(indexed)))
    negatives = rng.sample(held_out, min(unanswerable, len(held_out)))
    return [answerable_item(a, q) for a, q in chosen] + [unanswerable_item(q) for q in negatives]


def all_items(articles: list[Article]) -> list[EvalItem]:
    """Every question: answerable for indexed articles, to refuse for held-out ones."""
    return [
        unanswerable_item(q) if a.held_out else answerable_item(a, q)
        for a in articles
        for q in a.questions
    ]


# What is left of a question once its article's title is dropped must still ask something.
MIN_ELIDED = 6
# The title as a word of its own: not the tail of a longer name (「…=マルセル・プルースト」).
WORD_EDGE = r"(?<![\w=・ー])"
# A particle left with nothing before it (「、はどの…」): the title was part of a longer phrase.
STRANDED = re.compile(r"(?:^|[、,「『])[はがのをにでと]")


def elide_title(question: str, title: str) -> str | None:
    """The question as a chat follow-up that leaves its topic to the previous turn:
    「Xの長男は？」 → 「その長男は？」, 「Xは何年に…」 → 「何年に…」 (the subject dropped, as
    Japanese speakers do); None when the title is not there once, as a word of its own, or
    too little is left. A rule for making test data, not part of the answer path."""
    pattern = re.compile(
        "(?:[「『]|"
        + WORD_EDGE
        + ")"
        + re.escape(title)
        + "[」』]?(?:(の|は|が|を|に|で|と|も)|(?![\\w]))"
    )
    found = list(pattern.finditer(question))
    if len(found) != 1:
        return None
    match = found[0]
    replacement = "その" if match.group(1) == "の" else "" if match.group(1) else "それ"
    elided = (question[: match.start()] + replacement + question[match.end() :]).lstrip("、, ")
    return elided if len(elided) >= MIN_ELIDED and not STRANDED.search(elided) else None


def _turn(question: Question) -> tuple[dict[str, str], ...]:
    """One earlier exchange: a question and its gold answer as the assistant's reply."""
    return (
        {"role": "user", "content": question.text},
        {"role": "assistant", "content": f"{question.answers[0]}です。"},
    )


def conversation_items(articles: list[Article], pairs: int, seed: int = 0) -> list[EvalItem]:
    """Chat turns made from JaQuAD: ``pairs`` follow-ups whose topic (the article title) is
    left to the previous turn, asked after another question on the same article; as many
    questions asked whole after a turn about another article (a change of topic, to be
    answered as if asked alone); and follow-ups on held-out articles (to refuse), a tenth as
    many. Ids end in -followup, -switch and -unanswerable."""
    rng = random.Random(seed)
    titled = [
        (a, q, elided)
        for a in articles
        for q in a.questions
        if (elided := elide_title(q.text, a.title))
    ]

    def earlier(article: Article, question: Question) -> Question | None:
        """Another question on the article that names it (the topic the follow-up leans on)."""
        others = [q for a, q, _ in titled if a is article and q.text != question.text]
        return rng.choice(others) if others else None

    indexed = [t for t in titled if not t[0].held_out]
    held_out = [t for t in titled if t[0].held_out]
    items: list[EvalItem] = []
    for article, question, elided in rng.sample(indexed, min(pairs, len(indexed))):
        if (previous := earlier(article, question)) is not None:
            items.append(
                replace(
                    answerable_item(article, question),
                    id=f"{question.id}-followup",
                    type="followup",
                    question=elided,
                    history=_turn(previous),
                )
            )
    others = [a for a in articles if a.questions]
    for article, question, _ in rng.sample(indexed, min(pairs, len(indexed))):
        other = rng.choice([a for a in others if a.number != article.number])
        items.append(
            replace(
                answerable_item(article, question),
                id=f"{question.id}-switch",
                type="switch",
                history=_turn(rng.choice(other.questions)),
            )
        )
    for article, question, elided in rng.sample(held_out, min(pairs // 10, len(held_out))):
        if (previous := earlier(article, question)) is not None:
            items.append(
                replace(
                    unanswerable_item(question),
                    id=f"{question.id}-unanswerable",
                    question=elided,
                    history=_turn(previous),
                )
            )
    return items

