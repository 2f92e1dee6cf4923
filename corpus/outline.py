"""A page's outline: which heading opens a section, what sits under it, what a lead-in lists.

Sections come from the sentences' section paths (corpus/sections.py); nothing here looks at
what the headings say, except their numbers (①, (1), 1.).
"""

from __future__ import annotations

import re

from corpus.model import ExtractedDocument, Sentence
from corpus.sections import numbering

SENTENCE_ENDS = "。！？"


def own_section(sentence: Sentence) -> tuple[str, ...]:
    """A heading's path including itself; a body sentence's path."""
    if sentence.kind == "heading" and sentence.section[-1:] != (sentence.text,):
        return (*sentence.section, sentence.text)
    return sentence.section


def is_page_title(sentence: Sentence) -> bool:
    return sentence.kind == "heading" and len(own_section(sentence)) == 1


def heading_of(document: ExtractedDocument, page: int, section: tuple[str, ...]) -> Sentence | None:
    """The heading sentence that opens ``section`` on ``page``, or on a page before when the
    section runs on unbroken to ``page`` (never the page title)."""
    if len(section) < 2:
        return None
    on_page = [i for i, s in enumerate(document.sentences) if s.page == page]
    for s in (document.sentences[i] for i in on_page):
        if s.kind == "heading" and own_section(s) == section:
            return s
    for s in reversed(document.sentences[: on_page[0]] if on_page else []):
        if s.kind == "heading" and own_section(s) == section:
            return s
        if s.section[: len(section)] != section:
            return None
    return None


def members(document: ExtractedDocument, page: int, section: tuple[str, ...]) -> list[Sentence]:
    """Every sentence of ``section`` on ``page`` below its heading, and those that carry it on
    at the top of the pages after (a report's section runs on over a page break; the title's,
    which holds every page that has none of its own, does not: on JaQuAD-RAG dev it only listed
    twelve sentences of an article's later pages)."""
    found = [
        s
        for s in document.sentences
        if s.page == page and s.section[: len(section)] == section and s.text != section[-1]
    ]
    if len(section) < 2:
        return found
    for s in (s for s in document.sentences if s.page > page):
        if s.section[: len(section)] != section:
            break
        found.append(s)
    return found


def children(document: ExtractedDocument, heading: Sentence) -> list[Sentence]:
    """The sub-headings directly under ``heading``, else every sentence under it."""
    section = own_section(heading)
    under = members(document, heading.page, section)
    subheadings = [
        s for s in under if s.kind == "heading" and len(own_section(s)) == len(section) + 1
    ]
    return subheadings or under


INLINE_ITEMS = re.compile(r"①.*②|[(（]1[)）].*[(（]2[)）]")


def enumerates_inline(sentence: Sentence) -> bool:
    """Whether the sentence numbers its own items (「…とは、①施設の統合、②料金の統一…をいう」)."""
    return bool(INLINE_ITEMS.search(sentence.text))


def enumeration_after(document: ExtractedDocument, lead: Sentence) -> list[Sentence]:
    """The item lines a lead-in sentence introduces: whole lines, each without a full stop,
    right after it on its page, else the numbered headings right after it (empty when fewer
    than two follow)."""
    if lead.kind != "text":
        return []
    return item_lines_after(document, lead) or numbered_headings_after(document, lead)


def numbered_headings_after(document: ExtractedDocument, lead: Sentence) -> list[Sentence]:
    """The headings numbered 1, 2, 3… of one scheme that start right after ``lead`` and stay in
    its section (「以下の3つの価値を…」 then ① …, ② …, ③ …, each over a paragraph). Measured:
    realpdf +1 answer, no other set changing."""
    at = document.sentences.index(lead)
    following = document.sentences[at + 1 :]
    first = numbering(following[0].text) if following and following[0].kind == "heading" else None
    if first is None or first[1] != 1:
        return []
    items: list[Sentence] = []
    for s in following:
        if s.section[: len(lead.section)] != lead.section:
            break
        number = numbering(s.text) if s.kind == "heading" else None
        if number == (first[0], len(items) + 1):
            items.append(s)
        elif number and number[0] == first[0]:
            break
    return items if len(items) > 1 else []


def item_lines_after(document: ExtractedDocument, lead: Sentence) -> list[Sentence]:
    """Whole lines without a full stop right after ``lead`` on its page."""
    page = document.page(lead.page).text
    items: list[Sentence] = []
    for s in document.sentences:
        if s.page != lead.page or s.start < lead.end:
            continue
        starts_line = s.start == 0 or page[s.start - 1] == "\n"
        if not items and not starts_line and "\n" not in page[lead.end : s.start]:
            continue  # the rest of the lead-in's own line
        ends_line = s.end == len(page) or page[s.end] == "\n"
        if not (starts_line and ends_line and s.kind == "text" and s.text[-1] not in SENTENCE_ENDS):
            break
        items.append(s)
    return items if len(items) > 1 else []
