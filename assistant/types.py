"""What the answer path passes between its stages and returns to callers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from corpus.model import ExtractedDocument, Sentence

REFUSAL = "資料には記載が見つかりませんでした。"
FAILURE = "回答を作成できませんでした。時間をおいてもう一度お試しください。"
CITATION_MARKER = re.compile(r"\[(\d+)\]")  # [n] after the statement source n supports


@dataclass(frozen=True)
class Evidence:
    """A sentence selected as support for the answer, with everything needed to cite it."""

    doc_id: str
    title: str
    source: str
    page: int
    section: str  # section path joined with " > "
    text: str  # exact substring of the page text
    start: int
    end: int
    chunk_id: str
    chunk_text: str  # the chunk that holds the sentence (for highlighting)
    score: float = 0.0
    ocr: bool = False  # the page's text was read by OCR

    @classmethod
    def of_sentence(
        cls,
        document: ExtractedDocument,
        sentence: Sentence,
        chunk_id: str,
        chunk_text: str,
        score: float = 0.0,
    ) -> Evidence:
        """``sentence`` of ``document`` as evidence, inside the chunk ``chunk_id``."""
        return cls(
            doc_id=document.doc_id,
            title=document.title,
            source=document.source,
            page=sentence.page,
            section=sentence.section_path,
            text=sentence.text,
            start=sentence.start,
            end=sentence.end,
            chunk_id=chunk_id,
            chunk_text=chunk_text,
            score=score,
            ocr=document.page(sentence.page).ocr,
        )

    def cite(self, n: int, marks: Sequence[str] = ()) -> Citation:
        """This evidence as citation [n], quoting the sentence (``marks``: the asked-for
        figures or dates in it)."""
        return Citation(
            n=n,
            doc_id=self.doc_id,
            title=self.title,
            page=self.page,
            section=self.section,
            quote=self.text,
            source=self.source,
            chunk_text=self.chunk_text,
            marks=tuple(marks),
            ocr=self.ocr,
        )


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    page: int
    section: str
    quote: str  # exact substring of the extracted page text
    source: str = ""
    chunk_text: str = ""
    marks: tuple[str, ...] = ()  # the asked-for figures or dates inside the quote
    ocr: bool = False  # quoted from text read by OCR (it may hold reading errors)


@dataclass
class Answer:
    question: str  # as asked
    standalone_question: str  # after follow-up rewriting
    answer: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    related: list[Citation] = field(default_factory=list)  # closest passages shown on refusal
    mode: str = "extractive"  # "extractive" | "generative"
    path: str = "extractive"  # what produced the text: "generative", "fallback-extractive", …
    timings: dict[str, float] = field(default_factory=dict)
    outcome: str = "answered"  # "answered" | "refused" | "failed"
    reason: str = ""  # why it was refused or failed (one line)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "refused": self.refused,
            "related": [asdict(c) for c in self.related],
            "standalone_question": self.standalone_question,
            "mode": self.mode,
            "path": self.path,
            "outcome": self.outcome,
            "reason": self.reason,
        }
