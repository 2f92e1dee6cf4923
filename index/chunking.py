"""Sentence-aware chunks of one page, sized in the embedding model's tokens.

llama-index's SentenceSplitter splits on Latin punctuation and loses our page offsets and section
paths, so chunks are packed here from the corpus stage's sentences (never cutting one).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import groupby

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from corpus.model import ExtractedDocument, Sentence

TARGET_TOKENS = 200  # chosen by measurement (bench/chunk_size.py); hard ceiling is MAX_TOKENS
MAX_TOKENS = 512
OVERLAP_SENTENCES = 1


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _common_section(sentences: list[Sentence]) -> tuple[str, ...]:
    common = list(sentences[0].section)
    for sentence in sentences[1:]:
        while common and tuple(common) != sentence.section[: len(common)]:
            common.pop()
    return tuple(common) or sentences[0].section[:1]


def _split_long(sentence: Sentence, tokens: int) -> list[Sentence]:
    """Cut a sentence that alone exceeds MAX_TOKENS into equal character spans."""
    pieces = math.ceil(tokens / MAX_TOKENS) + 1
    step = math.ceil(len(sentence.text) / pieces)
    return [
        replace(
            sentence,
            start=sentence.start + i,
            end=min(sentence.start + i + step, sentence.end),
            text=sentence.text[i : i + step],
        )
        for i in range(0, len(sentence.text), step)
    ]


def _fit(sentences: list[Sentence], count_tokens: Callable[[str], int]) -> Iterator[Sentence]:
    for sentence in sentences:
        tokens = count_tokens(sentence.text)
        yield from _split_long(sentence, tokens) if tokens > MAX_TOKENS else [sentence]


def _pack(
    sentences: list[Sentence], count_tokens: Callable[[str], int], target: int
) -> Iterator[list[Sentence]]:
    """Consecutive sentences up to ``target`` tokens; the last sentence repeats as overlap."""
    current: list[Sentence] = []
    size = 0
    for sentence in _fit(sentences, count_tokens):
        tokens = count_tokens(sentence.text)
        if current and size + tokens > target:
            yield current
            current = current[-OVERLAP_SENTENCES:] if OVERLAP_SENTENCES else []
            size = sum(count_tokens(s.text) for s in current)
            if size + tokens > MAX_TOKENS:
                current, size = [], 0
        current.append(sentence)
        size += tokens
    if current:
        yield current


def chunk_document(
    doc: ExtractedDocument,
    count_tokens: Callable[[str], int],
    target_tokens: int = TARGET_TOKENS,
) -> list[TextNode]:
    """One llama-index node per chunk; a chunk never spans pages, its text is a page-text slice."""
    nodes: list[TextNode] = []
    for page_number, page_sentences in groupby(doc.sentences, key=lambda s: s.page):
        page = doc.page(page_number)
        for group in _pack(list(page_sentences), count_tokens, target_tokens):
            start, end = group[0].start, group[-1].end
            text = page.text[start:end]
            node = TextNode(
                id_=f"{doc.doc_id}:p{page_number}:{start}-{end}",
                text=text,
                metadata={
                    "doc_id": doc.doc_id,
                    "title": doc.title,
                    "source": doc.source,
                    "page": page_number,
                    "section": " > ".join(_common_section(group)),
                    "start": start,
                    "end": end,
                    "content_hash": content_hash(text),
                },
            )
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc.doc_id)
            nodes.append(node)
    return nodes
