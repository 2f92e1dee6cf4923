"""The record a question carries through the answer stages."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.question import Question
from assistant.types import Citation, Evidence
from corpus.model import ExtractedDocument, Sentence
from index.policy_index import SearchHit


@dataclass
class Candidate:
    """A sentence from a retrieved chunk, with the signals used to rank it."""

    document: ExtractedDocument
    sentence: Sentence
    chunk_id: str
    chunk_text: str
    tokens: frozenset[str]
    heading_tokens: frozenset[str]
    vector: np.ndarray | None = None
    lexical: float = 0.0
    dense: float = 0.0
    focus: float = 0.0
    score: float = 0.0

    def evidence(self) -> Evidence:
        return Evidence.of_sentence(
            self.document, self.sentence, self.chunk_id, self.chunk_text, round(self.score, 4)
        )


@dataclass
class State:
    question: str
    history: list[dict[str, str]]
    doc_ids: frozenset[str] | None = None  # ask only these documents (None: all)
    mode: str = "extractive"  # "extractive" | "generative"
    standalone: str = ""
    facts: Question | None = None
    query_vector: list[float] | None = None
    hits: list[SearchHit] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    lead: str = ""  # a templated first line for table answers, e.g. 「担当は…です。」
    as_list: bool = False
    headed: bool = False  # evidence[0] introduces the rest (their heading or lead-in sentence)
    refused: bool = False
    refusal_reason: str = ""
    answer: str = ""
    citations: list[Citation] = field(default_factory=list)
    path: str = "extractive"
    dropped: list[tuple[str, str]] = field(default_factory=list)  # generated sentences removed
    timings: dict[str, float] = field(default_factory=dict)
