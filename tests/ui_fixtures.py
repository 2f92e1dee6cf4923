"""Helpers for the UI tests: a real server over a copy of the shipped index, the chat in a
browser, and PDFs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, sync_playwright
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from assistant.pipeline import Assistant
from index.ingest import open_index
from index.policy_index import PolicyIndex
from ui.render import SEARCHING
from ui.server import Server, start

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLOW = 120_000  # ms: first answers load the models; an upload embeds its sentences
FONT_PATH = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"
FONT_NAME = "IPAexGothic"
ARTIFACTS = Path(__file__).parent / "artifacts"

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
# A made-up document whose text carries markup; its facts exist nowhere else in the index.
XSS_TITLE = "架空町<b>防災</b>計画" + IMG
XSS_LINES = [
    "架空町防災計画の概要",
    f"架空町は防災拠点として{SCRIPT}避難所を27か所整備する。",
    f"架空町の備蓄倉庫{IMG}には非常食を3日分備える。",
]
GOOD_TITLE = "架空市図書館整備計画"
GOOD_LINES = [
    "架空市図書館整備計画の概要",
    "架空市は2030年度までに移動図書館車を12台導入する。",
    "架空市の中央図書館は開館時間を午後9時まで延長する。",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    """The system Chromium, headless, through Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def run_cli(
    home: Path, *args: str, timeout: int = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    """``policy-qa --home HOME ARGS…`` in a fresh process, with ``env`` added to the environment."""
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_pdf(path: Path, title: str, lines: list[str], leading: float = 28) -> Path:
    """A one-page Japanese PDF (IPAex Gothic) with ``title`` in its metadata; lines closer than
    the default ``leading`` (in points) are read as one paragraph."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, FONT_PATH))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(title)
    y = A4[1] - 80
    for n, line in enumerate(lines):
        pdf.setFont(FONT_NAME, 16 if n == 0 else 11)
        pdf.drawString(60, y, line)
        y -= leading
    pdf.save()
    return path


def copy_index(shipped_home: Path, into: Path) -> PolicyIndex:
    """A copy of the shipped index that a test may add documents to (without the evaluation
    runs other tests kept there)."""
    home = into / "home"
    shutil.copytree(shipped_home, home, ignore=shutil.ignore_patterns("eval-runs"))
    return open_index(home)


def start_server(index: PolicyIndex, api_key: str | None = None) -> tuple[Server, str]:
    """The real server (chat at "/", API at "/v1") on a free port over ``index``, and its URL.

    ``api_key`` "" (the default here) means no key, whatever ``$POLICY_QA_API_KEY`` says."""
    server = start(Assistant(index), index, "127.0.0.1", free_port(), api_key=api_key or "")
    return server, server.url


def bad_pdf(folder: Path) -> Path:
    path = folder / "broken.pdf"
    path.write_bytes(b"this is not a PDF at all\n")
    return path


def open_chat(browser: Browser, url: str, width: int, height: int, scale: float = 1) -> Page:
    """The chat in a new page of ``width`` × ``height`` CSS pixels (``scale``: device pixels
    per CSS pixel), once its question box is there."""
    page = browser.new_page(
        viewport={"width": width, "height": height}, device_scale_factor=scale, locale="ja-JP"
    )
    page.set_default_timeout(SLOW)
    page.goto(url)
    page.locator("#pqa-question textarea").wait_for()
    return page


def ask_in_browser(page: Page, question: str) -> float:
    """Type, press Enter, wait for the final answer; seconds from Enter to the first text."""
    answers = page.locator("#pqa-chat .pqa-answer")
    before = page.locator("#pqa-chat .pqa-footer").count()
    box = page.locator("#pqa-question textarea")
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(
        """([n, searching]) => {
            const a = document.querySelectorAll('#pqa-chat .pqa-answer')[n];
            return a && a.textContent.trim() && !a.textContent.includes(searching);
        }""",
        arg=[before, SEARCHING],
    )
    first_text = time.perf_counter() - started
    page.locator("#pqa-chat .pqa-footer").nth(before).wait_for()
    assert answers.count() == before + 1
    return first_text


def last_reply(page: Page) -> Locator:
    return page.locator("#pqa-chat .bot-row").last
