"""Ask the assistant every question (timed) and grade the answers; baseline answers too."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from assistant.pipeline import Assistant
from assistant.types import Answer
from eval.baselines import NaiveReader
from eval.dataset import EvalItem
from eval.metrics import Passage, answer_correct, page_supported, quote_supported
from eval.retrieval import RetrievalResult


@dataclass
class AnswerRecord:
    item_id: str
    system: str
    answer: str
    refused: bool
    standalone: str
    citations: list[dict[str, Any]]
    correct: bool
    quote_supported: bool | None  # None for items that must be refused
    page_supported: bool | None
    latency: float | None = None  # seconds, wall time of one answer
    first_piece: float | None = None  # seconds to the first streamed piece (generative mode)
    pieces_per_s: float | None = None  # streamed pieces (≈ LLM tokens) per second after the first
    path: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    outcome: str = ""  # the assistant's Answer.outcome: answered, refused or failed
    reason: str = ""  # why it refused or failed (Answer.reason)


def grade(
    item: EvalItem,
    system: str,
    answer: str,
    refused: bool,
    citations: Sequence[dict[str, Any]],
    standalone: str,
) -> AnswerRecord:
    """An answer checked against the item (accuracy, quote- and page-level citation support)."""
    cited = [Passage(c["doc_id"], int(c["page"]), c["quote"]) for c in citations]
    return AnswerRecord(
        item_id=item.id,
        system=system,
        answer=answer,
        refused=refused,
        standalone=standalone,
        citations=list(citations),
        correct=answer_correct(item, answer, refused),
        quote_supported=quote_supported(item, cited) if item.answerable else None,
        page_supported=page_supported(item, cited) if item.answerable else None,
    )


def _citations(answer: Answer) -> list[dict[str, Any]]:
    return [
        {"n": c.n, "doc_id": c.doc_id, "page": c.page, "section": c.section, "quote": c.quote}
        for c in answer.citations
    ]


def streamed(assistant: Assistant, item: EvalItem) -> tuple[Answer, float | None, float | None]:
    """The final answer, seconds to the first piece, and pieces per second from the first
    piece to the last."""
    started = time.perf_counter()
    stamps: list[float] = []
    final: Answer | None = None
    for piece in assistant.stream(item.question, list(item.history)):
        if isinstance(piece, Answer):
            final = piece
        else:
            stamps.append(time.perf_counter() - started)
    if final is None:
        raise RuntimeError("Assistant.stream ended without an Answer")
    first = stamps[0] if stamps else None
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    rate = (len(stamps) - 1) / span if span > 0 else None
    return final, first, rate


def ask_all(
    assistant: Assistant, items: Sequence[EvalItem], mode: str, progress: bool = True
) -> list[AnswerRecord]:
    """Every item answered once, after one untimed warm-up question (the first item).

    Generative mode is read through ``stream`` to time the first piece; extractive uses ``ask``."""
    system = f"ours-{mode}"
    streaming = mode == "generative"
    assistant.ask(items[0].question, list(items[0].history))
    records: list[AnswerRecord] = []
    for item in tqdm(items, desc=f"answers ({mode})", unit="q", disable=not progress):
        started = time.perf_counter()
        first: float | None = None
        rate: float | None = None
        if streaming:
            answer, first, rate = streamed(assistant, item)
        else:
            answer = assistant.ask(item.question, list(item.history))
        latency = time.perf_counter() - started
        record = grade(
            item, system, answer.answer, answer.refused, _citations(answer),
            answer.standalone_question,
        )
        record.latency = latency
        record.first_piece = first
        record.pieces_per_s = rate
        record.path = answer.path
        record.timings = dict(answer.timings)
        record.outcome, record.reason = answer.outcome, answer.reason
        records.append(record)
    return records


def naive_answers(
    reader: NaiveReader,
    items: Sequence[EvalItem],
    embed: Callable[[str], list[float]],
    known_vectors: Mapping[str, list[float]],
) -> list[AnswerRecord]:
    """The naive reader's answers to the questions as asked (it has no chat history)."""
    records = []
    for item in items:
        vector = known_vectors.get(item.question) or embed(item.question)
        started = time.perf_counter()
        text, citations = reader.answer(item.question, vector)
        record = grade(item, reader.name, text, False, citations, item.question)
        record.latency = time.perf_counter() - started
        records.append(record)
    return records


def top_passage_answers(
    system: str, items: Sequence[EvalItem], results: Sequence[RetrievalResult]
) -> list[AnswerRecord]:
    """A baseline's answer: its top passage, cited as a whole; it never refuses."""
    by_id = {r.item_id: r for r in results}
    records = []
    for item in items:
        result = by_id[item.id]
        top = result.ranked[0] if result.ranked else None
        citations = (
            [{"n": 1, "doc_id": top.doc_id, "page": top.page, "section": "", "quote": top.text}]
            if top
            else []
        )
        records.append(
            grade(item, system, top.text if top else "", False, citations, result.query)
        )
    return records
