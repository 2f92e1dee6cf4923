"""Enter → first streamed answer text in the browser, against the assistant's own first piece.

Usage: python bench/ui_latency.py [--home DIR] [--rounds N]

Starts the real Gradio app on a free port, drives Debian Chromium with Playwright, asks the UI's
example questions ``rounds`` times and prints p50/p95 of:
  baseline   ``Assistant.stream`` in this process: call → first text piece (no UI, no network)
  ui first   Enter pressed → first answer text visible in the chat (the default, extractive mode)
  ui final   Enter pressed → answer with its source cards complete
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from playwright.sync_api import Page, sync_playwright

from assistant.pipeline import Assistant
from index.ingest import open_index
from ui.app import EXAMPLES, WARM_UP_QUESTION, build_app, launch
from ui.render import SEARCHING

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="index folder (default $POLICY_QA_HOME)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    index = open_index(args.home)
    assistant = Assistant(index)
    assistant.ask(WARM_UP_QUESTION)
    app = build_app(assistant, index)
    port = free_port()
    launch(app, "127.0.0.1", port, block=False)
    baseline: list[float] = []
    first: list[float] = []
    final: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
            page.set_default_timeout(120_000)
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("#pqa-question textarea").wait_for()
            ui_times(page, WARM_UP_QUESTION)  # first page event: connection set-up
            for _ in range(args.rounds):
                for question in QUESTIONS:
                    # UI first: anything it leaves warm only helps the baseline, so the UI
                    # overhead (ui first − baseline) is, if anything, overstated.
                    shown, done = ui_times(page, question)
                    first.append(shown)
                    final.append(done)
                    baseline.append(baseline_first_piece(assistant, question))
            browser.close()
    finally:
        app.close()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"baseline (Assistant.stream first piece): {percentiles(baseline)}")
    print(f"ui Enter → first streamed text:          {percentiles(first)}")
    print(f"ui Enter → answer with source cards:     {percentiles(final)}")


if __name__ == "__main__":
    main()
