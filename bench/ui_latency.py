"""Enter → first streamed answer text in the browser, and the OpenAI-compatible API's first
streamed chunk, against the assistant's own first piece.

Usage: python bench/ui_latency.py [--home DIR] [--rounds N]

Starts the real server (chat and API on one port) on a free port, drives Debian Chromium with
Playwright and the ``openai`` client, asks the UI's example questions ``rounds`` times and prints
p50/p95 of:
  baseline   ``Assistant.stream`` in this process: call → first text piece (no UI, no network)
  ui first   Enter pressed → first answer text visible in the chat (the default, extractive mode)
  ui final   Enter pressed → answer with its source cards complete
  api first  ``stream=True`` request sent → first chunk with answer text (the API streams
             verified text only, so this includes citation verification)
  api final  request sent → ``[DONE]``
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

from openai import OpenAI
from playwright.sync_api import Page, sync_playwright

from assistant.pipeline import Assistant
from index.ingest import open_index
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="index folder (default $POLICY_QA_HOME)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    index = open_index(args.home)
    assistant = Assistant(index)
    assistant.ask(WARM_UP_QUESTION)
    server = start(assistant, index, "127.0.0.1", free_port(), api_key="")
    client = OpenAI(base_url=f"{server.url}v1", api_key="-")
    api_times(client, WARM_UP_QUESTION)  # first request: connection set-up
    baseline: list[float] = []
    first: list[float] = []
    final: list[float] = []
    api_first: list[float] = []
    api_final: list[float] = []
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
            for _ in range(args.rounds):
                for question in QUESTIONS:
                    # UI first: anything it leaves warm only helps the baseline, so the UI
                    # overhead (ui first − baseline) is, if anything, overstated.
                    shown, done = ui_times(page, question)
                    first.append(shown)
                    final.append(done)
                    streamed, ended = api_times(client, question)
                    api_first.append(streamed)
                    api_final.append(ended)
                    baseline.append(baseline_first_piece(assistant, question))
            browser.close()
    finally:
        server.close()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(f"baseline (Assistant.stream first piece): {percentiles(baseline)}")
    print(f"ui Enter → first streamed text:          {percentiles(first)}")
    print(f"ui Enter → answer with source cards:     {percentiles(final)}")
    print(f"api request → first streamed chunk:      {percentiles(api_first)}")
    print(f"api request → [DONE]:                    {percentiles(api_final)}")


if __name__ == "__main__":
    main()
