"""What the answer stages hand on: one product per stage, gathered on a :class:`Work`.

    Turn ─rephrase→ Query ─retrieve→ Retrieved ─rank→ Ranked ─select→ Selection
         ─compose→ Draft ─verify→ Answered

A stage reads the products of the stages before it and sets its own; it stops the run by
returning an :data:`Outcome` (answered, refused with a :class:`Refusal` reason, or failed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum

import numpy as np

from assistant.question import Question
from assistant.types import Citation, Evidence
from corpus.model import ExtractedDocument, Sentence
from index.policy_index import SearchHit


@dataclass(frozen=True)
class Turn:
    """What was asked."""

    question: str
    history: tuple[dict[str, str], ...] = ()
    doc_ids: frozenset[str] | None = None  # only these documents (None: all)
    mode: str = "extractive"  # "extractive" | "generative"
    # read as a follow-up of the history though it has no follow-up cue (the second reading of
    # a question the documents do not answer on its own: pipeline.Assistant._run)
    as_followup: bool = False


@dataclass(frozen=True)
class Query:
    """The question as it would be asked without the chat history, and what it asks for."""

    standalone: str  # what retrieval searches with
    rewrite: str  # how the follow-up was made standalone ("as-is", "pointer", …)
    facts: Question  # what is asked: it ranks and selects the evidence
    # The standalone question's analysis when it joins the previous question's words to the
    # follow-up (``facts`` then hold the follow-up's own): answerability is judged on it.
    joined: Question | None = None

    @property
    def judged(self) -> Question:
        """What answerability is judged on: the joined question of a follow-up, else the facts."""
        return self.joined if self.joined is not None else self.facts


@dataclass
class Candidate:
    """A sentence (or table cell) from a retrieved chunk, with what ranks it."""

    document: ExtractedDocument
    sentence: Sentence
    chunk_id: str
    chunk_text: str
    chunk_rank: int  # best rank of its chunk over the retrieval runs, 1-based
    chunk_score: float  # that chunk's fused score
    tokens: frozenset[str]
    heading_tokens: frozenset[str]
    vector: np.ndarray | None = None
    probability: float = 0.0  # calibrated chance that it answers the question

    def evidence(self) -> Evidence:
        return Evidence.of_sentence(
            self.document, self.sentence, self.chunk_id, self.chunk_text, round(self.probability, 4)
        )


@dataclass
class Retrieved:
    query_vector: np.ndarray
    hits: list[SearchHit]
    candidates: list[Candidate]


@dataclass
class Ranked:
    """Candidates best first, each with its probability of answering, the probability that
    the documents answer the question at all, and the names it asks about that no document
    mentions."""

    candidates: list[Candidate]
    answerable: float
    unmentioned: tuple[str, ...] = ()

    @property
    def table_topped(self) -> bool:
        """Whether the likeliest candidate is a table row (its own refusal threshold)."""
        return bool(self.candidates) and self.candidates[0].sentence.kind == "table_row"


@dataclass
class Selection:
    """The evidence the answer states, in order."""

    evidence: list[Evidence]
    as_list: bool = False  # one item per line
    headed: bool = False  # evidence[0] introduces the rest (their heading or lead-in)
    marks: dict[int, list[str]] = field(default_factory=dict)  # evidence index → asked values
    shown: dict[int, str] = field(default_factory=dict)  # evidence index → how it is stated


@dataclass
class Draft:
    text: str
    citations: list[Citation]
    path: str = "extractive"  # "extractive" | "generative" | "fallback-extractive"
    dropped: list[tuple[str, str]] = field(default_factory=list)  # generated sentences removed


class Refusal(StrEnum):
    """Why the documents were taken not to answer."""

    EMPTY_QUESTION = "empty_question"
    NO_PASSAGE = "no_passage"  # nothing was retrieved
    LOW_CONFIDENCE = "low_confidence"  # the best sentence is unlikely to answer
    NO_FIGURE = "no_figure"  # no likely sentence states a figure in the unit asked for
    NO_NAME = "no_name"  # who holds an office, and no likely sentence names a person
    NO_YEAR = "no_year"  # the year asked about is on none of the likely sentences' pages
    NO_VERIFIED_CITATION = "no_verified_citation"  # no quote survived verification


@dataclass(frozen=True)
class Answered:
    kind = "answered"


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    detail: str = ""
    kind = "refused"


@dataclass(frozen=True)
class Failed:
    stage: str
    error: str
    kind = "failed"


Outcome = Answered | Refused | Failed


@dataclass
class Work:
    """One question's way through the stages."""

    turn: Turn
    query: Query | None = None
    retrieved: Retrieved | None = None
    ranked: Ranked | None = None
    selection: Selection | None = None
    draft: Draft | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def take(self, other: Work) -> None:
        """Become ``other``: the reading of the question that answered it."""
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(other, name))
