"""Layout repair of extracted lines: bullets, page numbers, paragraph starts, line joining."""

from __future__ import annotations

import re
from collections.abc import Iterable

_LETTER_SPACE = re.compile(r"(?<![A-Za-z0-9.]) | (?![A-Za-z0-9])")

# Glyphs that only mark a list item; 〇 (also a numeral), - and * only when a space follows.
_BULLET = re.compile(r"^(?:[•◦▪▫‣⁃∙・○●◆◇■□▶►▸✓✔➢➤]|[〇\-*＊](?=\s))\s*")
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—‐−\s]*\d{1,4}[-–—‐−\s]*|\d{1,4}\s*/\s*\d{1,4}|(?:p|P|page|Page)\.?\s*\d{1,4})$"
)

# A line starting with one of these begins a new paragraph (bullets and section markers).
_BLOCK_START = re.compile(r"^[\ue000-\uf8ff•◦▪▫‣⁃∙・○〇●◆◇■□▶►▸✓✔➢➤※【＜①-⑳㉑-㉟]")


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
