"""Japanese text repair: character normalisation, bullets, line joining, sentence splitting.

Written here rather than taken from a library because plain NFKC rewrites the full-width forms
that Japanese documents, and quotes taken from them, rely on (５本柱, （社会）, ＫＰＩ).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Characters NFKC would rewrite but that carry meaning in Japanese documents: full-width ASCII
# forms, the ideographic space, circled/enclosed numbers (①–⑳, ㉑–㊿) and full-width signs (￥).
_KEEP = re.compile("([\uff01-\uff5e\u3000\u2460-\u24ff\u3251-\u325f\u32b1-\u32bf\uffe0-\uffee]+)")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile("[ \t\u00a0]+")
_LETTER_SPACE = re.compile(r"(?<![A-Za-z0-9.]) | (?![A-Za-z0-9])")

# Glyphs that only mark a list item; 〇 (also a numeral), - and * only when a space follows.
_BULLET = re.compile(r"^(?:[•◦▪▫‣⁃∙・○●◆◇■□▶►▸✓✔➢➤]|[〇\-*＊](?=\s))\s*")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—‐−\s]*\d{1,4}[-–—‐−\s]*|\d{1,4}\s*/\s*\d{1,4}|(?:p|P|page|Page)\.?\s*\d{1,4})$"
)

# Brackets inside which a sentence never ends.
_OPEN = "「『（(【〔［[｛{〈《＜"
_CLOSE = "」』）)】〕］]｝}〉》＞"
_SENTENCE_END = "。！？"
# A line starting with one of these begins a new paragraph (bullets and section markers).
_BLOCK_START = re.compile(r"^[\ue000-\uf8ff•◦▪▫‣⁃∙・○〇●◆◇■□▶►▸✓✔➢➤※【＜①-⑳㉑-㉟]")


def normalize(text: str) -> str:
    """NFKC except for meaningful full-width forms; drop PUA glyphs and invisibles; tidy spaces."""
    parts = _KEEP.split(_PRIVATE_USE.sub(" ", text))
    text = "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip(" \u3000")


def strip_bullet(text: str) -> str:
    """Remove leading list-bullet glyphs ("•", "・", "○ ", "● " ...)."""
    while (stripped := _BULLET.sub("", text, count=1)) != text:
        text = stripped
    return text.strip()


def starts_block(line: str) -> bool:
    """True when a line opens a new paragraph by its first glyph (bullet or section marker)."""
    return bool(_BLOCK_START.match(line.lstrip()))


def is_page_number(text: str) -> bool:
    """True for bare page numbers such as "4", "- 4 -", "4 / 10", "p. 4"."""
    return bool(_PAGE_NUMBER.match(text.strip()))


def close_letter_spacing(text: str) -> str:
    """「人 件 費 の 状 況」 → 「人件費の状況」: a line of mostly one- or two-character pieces
    loses its spaces, except between two ASCII words ("Ver. 1")."""
    pieces = text.split(" ")
    short = sum(len(piece) <= 2 for piece in pieces)
    if len(pieces) < 2 or short * 4 < len(pieces) * 3 or all(len(p) > 1 for p in pieces):
        return text
    return _LETTER_SPACE.sub("", text)


def _is_ascii_word_char(char: str) -> bool:
    return char.isascii() and not char.isspace()


def join_lines(lines: Iterable[str]) -> str:
    """Re-join wrapped lines: no space between Japanese characters, one between ASCII words."""
    joined = ""
    for raw in lines:
        line = raw.strip(" \t\u3000")
        if not line:
            continue
        if joined and _is_ascii_word_char(joined[-1]) and _is_ascii_word_char(line[0]):
            joined += " "
        joined += line
    return joined


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of sentences ending in 。！？, never split inside 「」 or （）."""
    spans: list[tuple[int, int]] = []
    depth = start = 0
    for i, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
        elif char in _SENTENCE_END and depth == 0:
            spans.append((start, i + 1))
            start = i + 1
    spans.append((start, len(text)))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while text[start].isspace():
        start += 1
    while text[end - 1].isspace():
        end -= 1
    return start, end
