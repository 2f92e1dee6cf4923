"""Answers as safe HTML for the chat (escaped text, [n] links, source cards) and as plain text.

Every string that comes from a document, a file name or the user goes through :func:`html.escape`
before it is placed in markup; the chat shows this HTML as is (Markdown rendering is off).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from assistant.decide import UNMENTIONED
from assistant.types import Answer, Citation

MAX_QUESTION_CHARS = 500
CONTEXT_CHARS = 100  # chunk text shown before the first and after the last highlighted quote
RELATED_CHARS = 300  # length of a related passage shown with a refusal
NOTICE = "この回答は資料に基づきます。出典を確認してください。"
SEARCHING = "資料を検索しています…"
EMPTY_QUESTION = "質問を入力してください。"
PAGE_IMAGE = "ページ画像を表示"
SOURCES_HEADING = "出典:"  # plain-text answers: the list of sources follows this line
RELATED_HEADING = "関連する記載:"  # and on a refusal, the closest passages
REASON_HEADING = "回答しなかった理由:"  # a refusal's reason, before them
PageUrl = Callable[[Sequence[Citation]], "str | None"]  # citations of one chunk → image URL
# A [n] marker and the character (or HTML entity) before it, kept on one line together.
MARKER = re.compile(r"(&#?\w+;|[^\s\]])?\[(\d+)\]")


def escape(text: str) -> str:
    """Text as HTML text: ``<``, ``>``, ``&`` and quotes become entities."""
    return html.escape(text, quote=True)


def cut_question(question: str) -> tuple[str, str]:
    """The question cut to :data:`MAX_QUESTION_CHARS`, and a notice when it was cut."""
    question = question.strip()
    if len(question) <= MAX_QUESTION_CHARS:
        return question, ""
    notice = (
        f"質問が長すぎるため（{len(question)}文字）、"
        f"先頭の{MAX_QUESTION_CHARS}文字だけで回答します。"
    )
    return question[:MAX_QUESTION_CHARS], notice


def card_id(key: str, n: int) -> str:
    """The element id of source ``n``'s anchor in the answer identified by ``key``."""
    return f"pqa-src-{key}-{n}"


def _link_markers(escaped: str, key: str, numbers: set[int]) -> str:
    """[n] markers in escaped text → links to their cards (unknown numbers stay text)."""

    def link(match: re.Match[str]) -> str:
        before, n = match.group(1) or "", int(match.group(2))
        if n not in numbers:
            return match.group(0)
        marker = f'<a class="pqa-marker" href="#{card_id(key, n)}">[{n}]</a>'
        return f'<span class="pqa-nobr">{before}{marker}</span>'

    return MARKER.sub(link, escaped)


def _strong(escaped: str, marks: Sequence[str]) -> str:
    """The asked-for figures and dates in escaped text, in bold."""
    for mark in sorted({escape(m) for m in marks if m}, key=len, reverse=True):
        escaped = escaped.replace(mark, f"<strong>{mark}</strong>")
    return escaped


def answer_body_html(
    text: str, key: str = "", numbers: set[int] | None = None, marks: Sequence[str] = ()
) -> str:
    """Answer text as paragraphs and bullet lists, escaped, with [n] linked to the cards and
    the asked-for values (``marks``) in bold."""
    parts: list[str] = []
    items: list[str] = []

    def flush_list() -> None:
        if items:
            parts.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
            items.clear()

    for line in text.splitlines():
        if not line.strip():
            continue
        escaped = _strong(escape(line.strip().removeprefix("- ")), marks)
        body = _link_markers(escaped, key, numbers or set())
        if line.lstrip().startswith("- "):
            items.append(body)
        else:
            flush_list()
            parts.append(f"<p>{body}</p>")
    flush_list()
    return f'<div class="pqa-answer">{"".join(parts)}</div>'


def _quote_spans(chunk_text: str, quotes: Sequence[str]) -> tuple[list[tuple[int, int]], list[str]]:
    """Where the quotes sit in the chunk (sorted, overlaps merged), and those not found in it."""
    spans: list[tuple[int, int]] = []
    missing: list[str] = []
    for quote in quotes:
        start = chunk_text.find(quote) if quote else -1
        if start < 0:
            missing.append(quote)
        else:
            spans.append((start, start + len(quote)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged, missing


def highlighted_chunk_html(chunk_text: str, quotes: Sequence[str]) -> str:
    """The quotes marked inside a window of their chunk; a quote not found there is shown alone."""
    spans, missing = _quote_spans(chunk_text, quotes)
    parts: list[str] = []
    if spans:
        low = max(0, spans[0][0] - CONTEXT_CHARS)
        high = min(len(chunk_text), spans[-1][1] + CONTEXT_CHARS)
        parts.append("…" if low else "")
        position = low
        for start, end in spans:
            parts.append(escape(chunk_text[position:start]))
            parts.append(f"<mark>{escape(chunk_text[start:end])}</mark>")
            position = end
        parts.append(escape(chunk_text[position:high]) + ("…" if high < len(chunk_text) else ""))
    parts.extend(f"<mark>{escape(quote)}</mark>" for quote in missing)
    return "".join(parts)


OCR_NOTE = "OCRで読み取った文字です（読み誤りがありえます）"


def _card_head(
    label: str, title: str, page: int, sections: Sequence[str], ocr: bool = False
) -> str:
    shown = " / ".join(escape(section) for section in sections if section)
    return (
        '<div class="pqa-card-head">'
        f'<span class="pqa-card-n">{escape(label)}</span>'
        f'<span class="pqa-card-title">{escape(title)}</span>'
        f'<span class="pqa-card-page">p.{page}</span>'
        "</div>"
        + (f'<div class="pqa-card-section">{shown}</div>' if shown else "")
        + (f'<div class="pqa-card-ocr">{OCR_NOTE}</div>' if ocr else "")
    )


def group_by_chunk(citations: Sequence[Citation]) -> list[list[Citation]]:
    """Citations that quote the same chunk, together, in order of their first number."""
    groups: dict[tuple[str, int, str], list[Citation]] = {}
    for citation in citations:
        key = (citation.doc_id, citation.page, citation.chunk_text or citation.quote)
        groups.setdefault(key, []).append(citation)
    return list(groups.values())


def page_image_html(url: str, title: str, page: int) -> str:
    """The page image behind a disclosure, loaded only when opened; a click opens it full size."""
    link = escape(url)
    alt = escape(f"{title} p.{page}（引用箇所を枠で囲んでいます）")
    return (
        f'<details class="pqa-page"><summary>{escape(PAGE_IMAGE)}</summary>'
        f'<a href="{link}" target="_blank" rel="noopener">'
        f'<img src="{link}" loading="lazy" alt="{alt}"></a></details>'
    )


def source_card_html(group: Sequence[Citation], key: str, page_url: PageUrl | None = None) -> str:
    """One source card for citations from one chunk: numbers, title, page, section(s), the
    chunk text with every quoted sentence highlighted, and the page image where ``page_url``
    gives one. Each number has an anchor here."""
    first = group[0]
    anchors = "".join(f'<span class="pqa-anchor" id="{card_id(key, c.n)}"></span>' for c in group)
    label = "".join(f"[{c.n}]" for c in group)
    sections = list(dict.fromkeys(c.section for c in group))
    text = highlighted_chunk_html(first.chunk_text, [c.quote for c in group])
    url = page_url(group) if page_url else None
    image = page_image_html(url, first.title, first.page) if url else ""
    head = _card_head(label, first.title, first.page, sections, first.ocr)
    return (
        f'<div class="pqa-card">{anchors}{head}'
        f'<div class="pqa-card-text">{text}</div>{image}</div>'
    )


def related_card_html(citation: Citation) -> str:
    """A related passage shown with a refusal (no highlight: nothing was quoted)."""
    text = citation.chunk_text or citation.quote
    shown = text[:RELATED_CHARS] + ("…" if len(text) > RELATED_CHARS else "")
    return (
        '<div class="pqa-card pqa-related">'
        f"{_card_head(f'関連{citation.n}', citation.title, citation.page, [citation.section])}"
        f'<div class="pqa-card-text">{escape(shown)}</div></div>'
    )


def _cards_section(title: str, cards: Sequence[str]) -> str:
    return (
        f'<div class="pqa-sources"><div class="pqa-sources-title">{escape(title)}</div>'
        f"{''.join(cards)}</div>"
    )


def notice_html(text: str) -> str:
    return f'<div class="pqa-notice">{escape(text)}</div>' if text else ""


def streaming_html(partial: str, notice: str = "") -> str:
    """The answer while it streams: escaped text so far (cards follow with the final answer)."""
    return notice_html(notice) + answer_body_html(partial or SEARCHING)


def answer_html(
    answer: Answer, key: str, notice: str = "", page_url: PageUrl | None = None
) -> str:
    """The final answer: text with linked [n] markers, then its source or related cards."""
    numbers = {c.n for c in answer.citations}
    marks = [m for c in answer.citations for m in c.marks]
    parts = [notice_html(notice), answer_body_html(answer.answer, key, numbers, marks)]
    if answer.citations:
        groups = group_by_chunk(answer.citations)
        cards = [source_card_html(group, key, page_url) for group in groups]
        parts.append(_cards_section(f"出典（{len(answer.citations)}件）", cards))
    if answer.refused:
        parts.append(notice_html(refusal_reason(answer)))
    if answer.refused and answer.related:
        parts.append(_cards_section("関連する記載", [related_card_html(c) for c in answer.related]))
    parts.append(f'<div class="pqa-footer">{escape(NOTICE)}</div>')
    return "".join(parts)


def user_html(question: str) -> str:
    """The user's question as escaped text with its line breaks."""
    return "<br>".join(escape(line) for line in question.splitlines()) or escape(question)


# Why an answer was refused, for the reader (Answer.reason starts with the outcome's code).
REFUSAL_REASONS = {
    "empty_question": "質問が空でした。",
    "no_passage": "質問に関係する記載が資料に見つかりませんでした。",
    "low_confidence": "近い記載はありますが、質問に答えている文とは判断できませんでした。",
    "no_figure": "近い記載はありますが、質問の単位で示された数値が見つかりませんでした。",
    "no_name": "近い記載はありますが、質問の役職に就いている人の名前が見つかりませんでした。",
    "no_year": "近い記載はありますが、質問の年（年度）についての記載が見つかりませんでした。",
    "no_verified_citation": "引用を資料の本文で確かめられませんでした。",
}


def refusal_reason(answer: Answer) -> str:
    """「回答しなかった理由: …」 from the answer's typed outcome (a failure says so too)."""
    if answer.outcome == "failed":
        return f"{REASON_HEADING} 処理中にエラーが起きました。"
    code = answer.reason.split(":", 1)[0]
    if not code:
        return ""
    reason = f"{REASON_HEADING} {REFUSAL_REASONS.get(code, answer.reason)}"
    if UNMENTIONED in answer.reason:
        names = "、".join(f"「{n}」" for n in answer.reason.split(UNMENTIONED, 1)[1].split("、"))
        reason += f" 資料には{names}の記載がありません。"
    return reason


def answer_text(answer: Answer, notice: str = "") -> str:
    """The answer for API users: text with [n], then a plain-text list of its sources."""
    lines = [notice] if notice else []
    lines.append(answer.answer)
    if answer.citations:
        lines += ["", SOURCES_HEADING]
        lines += [
            f"[{c.n}] {c.title} p.{c.page} {c.section}".rstrip() + f"\n    「{c.quote}」"
            for c in answer.citations
        ]
    if answer.refused and (reason := refusal_reason(answer)):
        lines += ["", reason]
    if answer.refused and answer.related:
        lines += ["", RELATED_HEADING]
        lines += [
            f"- {c.title} p.{c.page} {c.section}".rstrip() + f"\n    {c.quote[:RELATED_CHARS]}"
            for c in answer.related
        ]
    return "\n".join(lines)


def strip_sources(text: str) -> str:
    """A plain-text answer without the sources list :func:`answer_text` put after it."""
    for heading in (SOURCES_HEADING, RELATED_HEADING):
        text = text.split(f"\n\n{heading}\n", 1)[0]
    text = text.split(f"\n\n{REASON_HEADING}", 1)[0]
    return text
