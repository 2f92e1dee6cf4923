"""Run retrievers over the questions and keep, per question, the ranked passages and scores."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from llama_index.core.bridge.pydantic import Field
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.embedding import EmbeddingEndEvent
from tqdm import tqdm

from eval.dataset import EvalItem
from eval.metrics import (
    DEPTH,
    Passage,
    first_relevant_rank,
    is_relevant,
    ranking_scores,
    relevance_flags,
)
from index.policy_index import PolicyIndex, SearchMode

Embed = Callable[[str], list[float]]


class Retriever(Protocol):
    name: str

    def passages(self) -> list[Passage]:
        """Every passage the retriever can return (to count the relevant ones)."""
        ...

    def retrieve(self, query: str, vector: list[float], k: int) -> list[Passage]:
        """The top ``k`` passages for ``query`` (``vector`` is its query embedding)."""
        ...


class IndexRetriever:
    """Our index searched in one mode."""

    def __init__(self, index: PolicyIndex, mode: SearchMode) -> None:
        self.index = index
        self.mode: SearchMode = mode
        self.name = f"ours-{mode}"

    def passages(self) -> list[Passage]:
        return [
            Passage(c.metadata["doc_id"], int(c.metadata["page"]), c.text)
            for c in self.index.chunks()
        ]

    def retrieve(self, query: str, vector: list[float], k: int) -> list[Passage]:
        hits = self.index.search(
            query, k=k, mode=self.mode, query_vector=None if self.mode == "bm25" else vector
        )
        return [Passage(h.doc_id, h.page, h.text) for h in hits]


class QueryVectorRecorder(BaseEventHandler):
    """Listens to llama-index instrumentation and keeps every query embedding computed."""

    vectors: dict[str, list[float]] = Field(default_factory=dict)

    @classmethod
    def class_name(cls) -> str:
        return "QueryVectorRecorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if isinstance(event, EmbeddingEndEvent) and ".get_query_embedding-" in event.span_id:
            self.vectors.update(zip(event.chunks, event.embeddings, strict=True))


@contextmanager
def recording_query_vectors() -> Iterator[dict[str, list[float]]]:
    """Query text → vector for the queries embedded inside the block (e.g. by the assistant),
    so scoring its standalone questions does not embed them a second time."""
    recorder = QueryVectorRecorder()
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(recorder)
    try:
        yield recorder.vectors
    finally:
        dispatcher.event_handlers = [h for h in dispatcher.event_handlers if h is not recorder]


@dataclass
class RetrievalResult:
    item_id: str
    query: str
    ranked: list[Passage]
    relevant_total: int  # relevant passages the retriever holds (0: gold text split or missing)
    first_rank: int | None = None
    scores: dict[str, float] = field(default_factory=dict)


def score_ranking(
    item: EvalItem, query: str, ranked: list[Passage], pool: Sequence[Passage]
) -> RetrievalResult:
    """Scores of one ranked list; ``pool`` is everything the retriever could have returned."""
    flags = relevance_flags(ranked, item.evidence)
    relevant_total = sum(1 for p in pool if is_relevant(p, item.evidence))
    return RetrievalResult(
        item_id=item.id,
        query=query,
        ranked=ranked,
        relevant_total=relevant_total,
        first_rank=first_relevant_rank(flags),
        scores=ranking_scores(flags, relevant_total) if item.answerable else {},
    )


def run_retrievers(
    runs: Sequence[tuple[str, Retriever, Mapping[str, str]]],
    items: Sequence[EvalItem],
    embed: Embed,
    known_vectors: Mapping[str, list[float]] | None = None,
    progress: bool = True,
) -> dict[str, list[RetrievalResult]]:
    """For each ``(label, retriever, queries by item id)``: results for the items it has a query
    for. Each distinct query text is embedded once (unless in ``known_vectors``) and shared."""
    vectors: dict[str, list[float]] = dict(known_vectors or {})
    pools = {id(r): r.passages() for _, r, _ in runs}
    results: dict[str, list[RetrievalResult]] = {label: [] for label, _, _ in runs}
    total = sum(1 for _, _, queries in runs for item in items if item.id in queries)
    with tqdm(total=total, desc="retrieval", unit="query", disable=not progress) as bar:
        for item in items:
            for label, retriever, queries in runs:
                query = queries.get(item.id)
                if query is None:
                    continue
                if query not in vectors:
                    vectors[query] = embed(query)
                ranked = retriever.retrieve(query, vectors[query], DEPTH)
                results[label].append(score_ranking(item, query, ranked, pools[id(retriever)]))
                bar.update()
    return results
