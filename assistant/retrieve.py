"""Stage — retrieve: hybrid search for the standalone question, then the chunks' sentences."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from assistant.stage import Stage
from assistant.work import Candidate, Outcome, Refusal, Refused, Retrieved, Work
from corpus.model import ExtractedDocument, Sentence
from index.policy_index import PolicyIndex, SearchHit, SearchMode
from index.tokenize import token_set

TOP_K = 8  # fused chunks read (R@10 on JaQuAD dev / realpdf: bench/retrieval.py)
SINGLE_TOP = 3  # each single retriever's own top, which fusion can bury


def sentences_in(document: ExtractedDocument, hit: SearchHit) -> list[Sentence]:
    return [
        s
        for s in document.sentences
        if s.page == hit.page and s.start >= hit.start and s.end <= hit.end
    ]


class Retrieve(Stage):
    """Top chunks by hybrid search; every sentence they hold becomes a candidate once."""

    name = "retrieve"

    def __init__(self, index: PolicyIndex, mode: SearchMode = "hybrid", k: int = TOP_K) -> None:
        self.index = index
        self.mode: SearchMode = mode
        self.k = k

    def _hits(self, work: Work, vector: list[float]) -> list[tuple[SearchHit, int]]:
        """Fused top ``k``, each single retriever's very top, the chunks naming the question's
        years, places and organisations, and those under a heading it quotes; with each
        chunk's best rank."""
        assert work.query is not None
        query, facts = work.query.standalone, work.query.facts
        runs: list[tuple[str, SearchMode, int]] = [(query, self.mode, self.k)]
        if self.mode == "hybrid":
            runs += [(query, "bm25", SINGLE_TOP), (query, "dense", SINGLE_TOP)]
        names = (*facts.years, *facts.places, *facts.ministries)
        if names:  # exact names are what dense search misses: look them up on their own
            runs.append((" ".join(names), "bm25", SINGLE_TOP))
        found = [
            self.index.search(
                text,
                k=k,
                mode=mode,
                doc_ids=work.turn.doc_ids,
                query_vector=vector if text == query else None,
            )
            for text, mode, k in runs
        ]
        # a 「quoted」 term that heads a section (a glossary entry): that section, however
        # common the term is elsewhere
        found.append(self.index.headed(facts.quoted, work.turn.doc_ids, SINGLE_TOP))
        best: dict[str, tuple[SearchHit, int]] = {}
        for run, hits in enumerate(found):
            for hit in hits:
                if hit.chunk_id not in best:  # scores compare only within the first (fused) run
                    best[hit.chunk_id] = (hit if run == 0 else replace(hit, score=0.0), hit.rank)
                elif hit.rank < best[hit.chunk_id][1]:
                    best[hit.chunk_id] = (best[hit.chunk_id][0], hit.rank)
        return list(best.values())

    def run(self, work: Work) -> Outcome | None:
        assert work.query is not None
        vector = self.index.embed_model.get_query_embedding(work.query.standalone)
        found = self._hits(work, vector)
        candidates: list[Candidate] = []
        seen: set[tuple[str, int, int]] = set()
        for hit, rank in found:
            document = self.index.document(hit.doc_id)
            for sentence in sentences_in(document, hit):
                key = (hit.doc_id, sentence.page, sentence.start)
                if key not in seen:
                    seen.add(key)
                    candidates.append(
                        Candidate(
                            document=document,
                            sentence=sentence,
                            chunk_id=hit.chunk_id,
                            chunk_text=hit.text,
                            chunk_rank=rank,
                            chunk_score=hit.score,
                            tokens=token_set(sentence.text),
                            heading_tokens=token_set(" ".join(sentence.section)),
                        )
                    )
        for doc_id in dict.fromkeys(c.document.doc_id for c in candidates):
            group = [c for c in candidates if c.document.doc_id == doc_id]
            vectors = self.index.sentence_vectors(doc_id, [c.sentence for c in group])
            for candidate, row in zip(group, vectors, strict=True):
                candidate.vector = row
        work.retrieved = Retrieved(
            np.asarray(vector, dtype=np.float32), [hit for hit, _ in found], candidates
        )
        if not candidates:
            return Refused(Refusal.NO_PASSAGE, "no passage matched the question")
        return None
