"""Enter → first streamed answer text in the browser, and the OpenAI-compatible API's first
streamed chunk, against the assistant's own first piece.

Usage: python bench/ui_latency.py [--home DIR] [--rounds N] [--upload [PDF ...]]

Starts the real server (chat and API on one port) on a free port, drives Debian Chromium with
Playwright and the ``openai`` client, asks the UI's example questions ``rounds`` times and prints
p50/p95 of:
  baseline   ``Assistant.stream`` in this process: call → first text piece (no UI, no network)
  ui first   Enter pressed → first answer text visible in the chat (the default, extractive mode)
  ui final   Enter pressed → answer with its source cards complete
  api first  ``stream=True`` request sent → first chunk with answer text (the API streams
             verified text only, so this includes citation verification)
  api final  request sent → ``[DONE]``
With ``--upload``, the chat is measured again while the UI's upload (through ``gradio_client``,
as a browser would send it) ingests PDFs that are new to the index — by default the real PDFs in
../shared/realpdfs, about 130 pages — with every core's ingest worker busy: idle and during-upload
numbers come from the same run. The index is a copy of DIR without its vector cache (a cold upload);
DIR is not changed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from gradio_client import Client, handle_file
from openai import OpenAI
from playwright.sync_api import Page, sync_playwright

from assistant.pipeline import Assistant
from index.ingest import open_index
from index.store import data_home
from ui.app import EXAMPLES, WARM_UP_QUESTION
from ui.render import SEARCHING
from ui.server import start

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUESTIONS = [q for questions in EXAMPLES.values() for q in questions]
REAL_PDFS = Path(__file__).resolve().parents[2] / "shared" / "realpdfs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return f"p50 {statistics.median(samples):.3f}s  p95 {cuts[18]:.3f}s  (n={len(samples)})"


def baseline_first_piece(assistant: Assistant, question: str) -> float:
    started = time.perf_counter()
    stream = assistant.stream(question)
    next(stream)
    seconds = time.perf_counter() - started
    for _ in stream:  # finish the generator like the UI does
        pass
    return seconds


def api_times(client: OpenAI, question: str) -> tuple[float, float]:
    """Seconds from sending a streamed request to its first text chunk, and to its end."""
    started = time.perf_counter()
    first = 0.0
    stream = client.chat.completions.create(
        model="policy-qa-extractive",
        messages=[{"role": "user", "content": question}],
        stream=True,
    )
    for chunk in stream:
        if not first and chunk.choices[0].delta.content:
            first = time.perf_counter() - started
    return first, time.perf_counter() - started


def ui_times(page: Page, question: str) -> tuple[float, float]:
    """Seconds from Enter to the first answer text, and to the finished answer."""
    page.locator("#pqa-clear").click()
    page.wait_for_function("() => !document.querySelector('#pqa-chat .pqa-answer')")
    box = page.locator("#pqa-question textarea")
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(
        """(searching) => {
            const a = document.querySelector('#pqa-chat .pqa-answer');
            return a && a.textContent.trim() && !a.textContent.includes(searching);
        }""",
        arg=SEARCHING,
        polling="raf",
    )
    first = time.perf_counter() - started
    page.locator("#pqa-chat .pqa-footer").wait_for()
    return first, time.perf_counter() - started


class Samples:
    """The four chat timings of one condition (idle, or during an upload)."""

    def __init__(self) -> None:
        self.ui_first: list[float] = []
        self.ui_final: list[float] = []
        self.api_first: list[float] = []
        self.api_final: list[float] = []

    def ask(self, page: Page, client: OpenAI, question: str) -> None:
        shown, done = ui_times(page, question)
        self.ui_first.append(shown)
        self.ui_final.append(done)
        streamed, ended = api_times(client, question)
        self.api_first.append(streamed)
        self.api_final.append(ended)

    def report(self, label: str) -> None:
        print(f"{label}ui Enter → first streamed text:          {percentiles(self.ui_first)}")
        print(f"{label}ui Enter → answer with source cards:     {percentiles(self.ui_final)}")
        print(f"{label}api request → first streamed chunk:      {percentiles(self.api_first)}")
        print(f"{label}api request → [DONE]:                    {percentiles(self.api_final)}")


def upload_in_background(url: str, pdfs: list[Path]) -> tuple[threading.Thread, dict[str, float]]:
    """The UI's /upload of ``pdfs`` in a thread; the dict gets its seconds when it ends."""
    done: dict[str, float] = {}

    def run() -> None:
        started = time.perf_counter()
        Client(url, verbose=False).predict(
            [handle_file(str(p)) for p in pdfs], False, api_name="/upload"
        )
        done["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def copy_without_cache(home: Path, folder: Path) -> Path:
    shutil.copytree(home, folder)
    for cache in folder.glob("vectors.sqlite*"):
        cache.unlink()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="index folder (default $POLICY_QA_HOME)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--upload", type=Path, nargs="*", default=None)
    args = parser.parse_args()
    pdfs = None if args.upload is None else args.upload or sorted(REAL_PDFS.glob("*.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        home = data_home(args.home)
        if pdfs is not None:
            open_index(home)
            home = copy_without_cache(home, Path(tmp) / "home")
        measure(home, args.rounds, pdfs)


def measure(home: Path, rounds: int, pdfs: list[Path] | None) -> None:
    index = open_index(home)
    assistant = Assistant(index)
    assistant.ask(WARM_UP_QUESTION)
    server = start(assistant, index, "127.0.0.1", free_port(), api_key="")
    client = OpenAI(base_url=f"{server.url}v1", api_key="-")
    api_times(client, WARM_UP_QUESTION)  # first request: connection set-up
    baseline: list[float] = []
    idle, busy = Samples(), Samples()
    upload: dict[str, float] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
            page.set_default_timeout(120_000)
            page.goto(server.url)
            page.locator("#pqa-question textarea").wait_for()
            ui_times(page, WARM_UP_QUESTION)  # first page event: connection set-up
            for _ in range(rounds):
                for question in QUESTIONS:
                    # UI first: anything it leaves warm only helps the baseline, so the UI
                    # overhead (ui first − baseline) is, if anything, overstated.
                    idle.ask(page, client, question)
                    baseline.append(baseline_first_piece(assistant, question))
            if pdfs:
                thread, upload = upload_in_background(server.url, pdfs)
                while thread.is_alive():
                    for question in QUESTIONS:
                        busy.ask(page, client, question)
                thread.join()
            browser.close()
    finally:
        server.close()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"baseline (Assistant.stream first piece): {percentiles(baseline)}")
    idle.report("")
    if pdfs:
        names = {p.name for p in pdfs}
        pages = sum(d.pages for d in index.documents() if d.source in names)
        seconds = upload.get("seconds", float("nan"))
        print(f"during the upload of {len(pdfs)} PDFs ({pages} pages indexed) in {seconds:.1f}s:")
        busy.report("  ")


if __name__ == "__main__":
    main()
