"""Extraction quality per document, for this checkout and (``--compare ROOT``) another one.

Run: ``.venv/bin/python bench/extraction.py [--compare ROOT] [--pdfs DIR] [--out FILE]``.
Documents: the PDFs in ``--pdfs`` (default ``../shared/realpdfs`` beside the repository) and the
shipped corpus (``corpus/pdfs``). Each checkout is measured in its own process with its own
``corpus`` package on the path, through ``extract_document`` only. Per document:

- title; pages; seconds per page (extraction wall time / pages);
- clean: share of text sentences longer than 30 characters that end with 。！？ (a closing
  bracket may follow) — the rest were cut at a line, box or page break;
- toc: lines left in the page text that are contents entries — dot leaders before a page
  number, a 目次 line, or any line of a page that pdftotext shows as a contents page;
- hdr: page-text lines equal to a running header/footer or page number (pdfplumber's lines in the
  top/bottom 7 % of the page that repeat, digits aside, on several pages, or are bare numbers);
- rows / named: table rows, and rows whose line names the column header of every value;
- chars: non-space characters of the page texts against pdftotext's (1.00 = as many);
- ahead: sentences filed under a heading that is printed only below them on their page (a
  section must not start before its heading);
- nested: sentences whose section path puts a numbered heading under an earlier one of the same
  numbered list (「(3) 住居手当 > (4) 通勤手当」: siblings, not parent and child).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PDFS = ROOT.parent / "shared" / "realpdfs"
MARGIN = 0.07
LONG_SENTENCE = 30
_END = re.compile(r"[。！？][」』）)]*$")
_LEADER = re.compile(r"(?:[.．・･·…‥]\s?){3,}\s*[0-9０-９]{1,4}$")
_PAGE_NUMBER = re.compile(r"^[-–—\s]*\d{1,4}[-–—\s]*$")
COLUMNS = ("pages", "s/page", "clean", "toc", "hdr", "rows", "named", "chars", "ahead", "nested")
# Heading numbers of one list: (1) (2), 1) 2), 1. 2., ① ② (kept here, not imported, so that any
# checkout is measured the same way).
_NUMBERED = (
    r"^[（(]([0-9０-９]{1,2})[）)]",
    r"^([0-9０-９]{1,2})[）)]",
    r"^([0-9０-９]{1,2})[.．、]",
)


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdftotext_pages(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
    return out.stdout.split("\f")


def margin_lines(path: Path) -> list[set[str]]:
    """Per page: the running headers, footers and page numbers pdfplumber sees in the margins."""
    import pdfplumber

    pages: list[set[str]] = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            edge, bottom = page.height * MARGIN, page.height * (1 - MARGIN)
            lines = page.extract_text_lines()
            margin = [x for x in lines if x["top"] < edge or x["bottom"] > bottom]
            pages.append({_bare(x["text"]) for x in margin})
    seen = Counter(re.sub(r"\d+", "#", line) for page in pages for line in page)
    return [
        {x for x in page if x and (_PAGE_NUMBER.match(x) or seen[re.sub(r"\d+", "#", x)] > 1)}
        for page in pages
    ]


def named_row(line: str, header: list[str], cells: list[str], label: str) -> bool:
    """Every non-empty value cell of the row appears in its line after its column header."""
    pairs = [(h, c) for h, c in zip(header, cells, strict=False) if c and c != label]
    carried = all(f"{h}: {c}" in line if h else c in line for h, c in pairs)
    return carried and any(h for h, _ in pairs)


def filed_ahead(sentences: list[Any]) -> int:
    """Sentences whose section path names a heading printed on their page only after them."""
    starts: dict[tuple[int, str], int] = {}
    for s in sentences:
        if s.kind == "heading":
            starts.setdefault((s.page, s.text), s.start)
    return sum(
        any(starts.get((s.page, name), -1) > s.start for name in s.section) for s in sentences
    )


def numbered_under_sibling(section: tuple[str, ...]) -> bool:
    """A heading of the path numbered after its parent in the parent's own numbering."""
    for parent, child in itertools.pairwise(section):
        for pattern in _NUMBERED:
            above, below = re.match(pattern, parent), re.match(pattern, child)
            if above and below and int(below.group(1)) > int(above.group(1)):
                return True
    return False


def measure(path: Path) -> dict[str, Any]:
    """One document's numbers, using the ``corpus`` package first on ``sys.path``."""
    from corpus.extract import extract_document
    from corpus.model import ExtractionError

    clock = time.perf_counter()
    try:
        document = extract_document(path)
    except ExtractionError as err:
        return {"file": path.name, "error": str(err)}
    seconds = time.perf_counter() - clock
    reference = pdftotext_pages(path)
    margins = margin_lines(path)
    toc_pages = {
        i + 1 for i, text in enumerate(reference) if "目次" in {_bare(x) for x in text.split("\n")}
    }
    long = [s for s in document.sentences if s.kind == "text" and len(s.text) > LONG_SENTENCE]
    toc = hdr = 0
    for page in document.pages:
        for line in filter(None, page.text.split("\n")):
            bare = _bare(line)
            toc += page.number in toc_pages or bare == "目次" or bool(_LEADER.search(line))
            hdr += page.number <= len(margins) and bare in margins[page.number - 1]
    lines = {p.number: p.text for p in document.pages}
    named = sum(
        named_row(
            lines[t.page][t.start : t.end],
            list(t.header),
            list(t.cells),
            getattr(t, "label", ""),
        )
        for t in document.tables
    )
    chars = sum(len(_bare(p.text)) for p in document.pages)
    return {
        "file": path.name,
        "title": document.title,
        "pages": len(document.pages),
        "s/page": seconds / max(len(document.pages), 1),
        "clean": sum(bool(_END.search(s.text)) for s in long) / max(len(long), 1),
        "toc": toc,
        "hdr": hdr,
        "rows": len(document.tables),
        "named": named,
        "chars": chars / max(sum(len(_bare(t)) for t in reference), 1),
        "ahead": filed_ahead(document.sentences),
        "nested": sum(numbered_under_sibling(s.section) for s in document.sentences),
    }


def run_checkout(root: Path, pdfs: list[Path]) -> list[dict[str, Any]]:
    """Measure with the checkout at ``root`` in a fresh process (its own corpus package)."""
    command = [sys.executable, __file__, "--measure", str(root), *map(str, pdfs)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root, check=True)
    return json.loads(out.stdout)


def _cell(key: str, value: Any) -> str:
    if key in ("clean", "chars"):
        return f"{value:.2f}"
    return f"{value:.3f}" if key == "s/page" else str(value)


def table(results: list[dict[str, Any]]) -> list[str]:
    lines = [f"{'document':<36} " + " ".join(f"{c:>7}" for c in COLUMNS) + "  title"]
    for r in results:
        if "error" in r:
            lines.append(f"{r['file']:<36} error: {r['error']}")
            continue
        values = " ".join(f"{_cell(c, r[c]):>7}" for c in COLUMNS)
        lines.append(f"{r['file']:<36} {values}  {r['title']}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compare", type=Path, help="another checkout to measure first")
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--out", type=Path, help="also write the report here")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        sys.path.insert(0, str(args.measure))
        print(json.dumps([measure(path) for path in args.files], ensure_ascii=False))
        return
    pdfs = sorted(args.pdfs.glob("*.pdf")) + sorted((ROOT / "corpus" / "pdfs").glob("*.pdf"))
    report = [f"load {os.getloadavg()[0]:.1f}; {len(pdfs)} PDFs; columns: see the docstring", ""]
    for label, root in (("before", args.compare), ("after", ROOT)):
        if root is None:
            continue
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        report += [f"## {label if args.compare else 'this checkout'}: {root} @ {commit}"]
        report += [*table(run_checkout(root.resolve(), pdfs)), ""]
    text = "\n".join(report)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
