"""Retake docs/screenshot.png: a real answer with its source card opened on the cited page.

Usage: python docs/screenshot.py [--home DIR]   (Debian's Chromium through Playwright)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from playwright.sync_api import sync_playwright

from assistant.pipeline import Assistant
from index.ingest import open_index
from tests.ui_fixtures import CHROMIUM, CHROMIUM_ARGS, ask_in_browser, free_port, last_reply
from ui.server import start

QUESTION = "国土交通省はどんな研修をしていますか？"
OUT = Path(__file__).with_name("screenshot.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="index folder (default $POLICY_QA_HOME)")
    args = parser.parse_args()
    index = open_index(args.home)
    server = start(Assistant(index), index, "127.0.0.1", free_port(), api_key="")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1400}, locale="ja-JP")
            page.set_default_timeout(120_000)
            page.goto(server.url)
            page.locator("#pqa-question textarea").wait_for()
            ask_in_browser(page, QUESTION)
            card = last_reply(page).locator(".pqa-card").first
            card.locator(".pqa-page summary").click()
            image = card.locator(".pqa-page img")
            page.wait_for_function(
                "image => image.complete && image.naturalWidth > 0", arg=image.element_handle()
            )
            page.wait_for_timeout(1500)  # the chat's own scroll to the bottom comes first
            question = page.locator("#pqa-chat .user-row").last
            question.evaluate("row => row.scrollIntoView({block: 'start'})")
            page.evaluate("window.scrollTo(0, 0)")  # the chat scrolled, the page back to its top
            page.screenshot(path=OUT)
            browser.close()
    finally:
        server.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
