"""Stage 2 — retrieve: hybrid search for the standalone question, then the chunks' sentences."""

from __future__ import annotations

from assistant.state import Candidate, State
from corpus.model import ExtractedDocument, Sentence
from index.policy_index import PolicyIndex, SearchHit, SearchMode
from index.tokenize import token_set

TOP_K = 8
SINGLE_TOP = 3


def sentences_in(document: ExtractedDocument, page: int, start: int, end: int) -> list[Sentence]:
    return [s for s in document.sentences if s.page == page and s.start >= start and s.end <= end]


class Retrieve:
    """Top chunks by hybrid search; every sentence they hold becomes a candidate once."""

    def __init__(self, index: PolicyIndex, mode: SearchMode = "hybrid", k: int = TOP_K) -> None:
        self.index = index
        self.mode = mode
        self.k = k

    def _hits(self, state: State) -> list[SearchHit]:
        """The fused top ``k``, plus each single retriever's very top (fusion can bury a chunk
        that one retriever is sure of) and the chunks naming the question's years, places and
        ministries; sentence scoring re-ranks them all."""
        query = state.standalone
        runs: list[tuple[str, SearchMode, int]] = [(query, self.mode, self.k)]
        if self.mode == "hybrid":
            runs += [(query, "bm25", SINGLE_TOP), (query, "dense", SINGLE_TOP)]
        facts = state.facts
        names = (*facts.years, *facts.places, *facts.ministries) if facts else ()
        if names:  # exact names are what dense search misses: look them up on their own
            runs.append((" ".join(names), "bm25", SINGLE_TOP))
        hits: dict[str, SearchHit] = {}
        for text, mode, k in runs:
            vector = state.query_vector if text == query else None
            for hit in self.index.search(
                text, k=k, mode=mode, doc_ids=state.doc_ids, query_vector=vector
            ):
                hits.setdefault(hit.chunk_id, hit)
        return list(hits.values())

    def __call__(self, state: State) -> None:
        state.query_vector = self.index.embed_model.get_query_embedding(state.standalone)
        state.hits = self._hits(state)
        seen: set[tuple[str, int, int]] = set()
        for hit in state.hits:
            document = self.index.document(hit.doc_id)
            for sentence in sentences_in(document, hit.page, hit.start, hit.end):
                key = (hit.doc_id, sentence.page, sentence.start)
                if key in seen:
                    continue
                seen.add(key)
                state.candidates.append(
                    Candidate(
                        document=document,
                        sentence=sentence,
                        chunk_id=hit.chunk_id,
                        chunk_text=hit.text,
                        tokens=token_set(sentence.text),
                        heading_tokens=token_set(" ".join(sentence.section)),
                    )
                )
        for doc_id in {c.document.doc_id for c in state.candidates}:
            group = [c for c in state.candidates if c.document.doc_id == doc_id]
            vectors = self.index.sentence_vectors(doc_id, [c.sentence for c in group])
            for candidate, vector in zip(group, vectors, strict=True):
                candidate.vector = vector
