"""Answer feedback: the SQLite store, its export as eval questions, and 👍/👎 in the chat across a
server restart."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from eval.dataset import KEYS, parse_item
from tests.ui_fixtures import (
    ARTIFACTS,
    SLOW,
    ask_in_browser,
    free_port,
    last_reply,
    open_chat,
    run_cli,
)
from ui.feedback import AnswerRecord, FeedbackError, FeedbackStore, eval_item
from ui.feedback_panel import THANKS

ROOT = Path(__file__).resolve().parents[1]
# The chat's buttons in Japanese, and once pressed (Gradio leaves those labels in English).
THUMBS_UP = re.compile(r"^(いいね|Liked)$")
THUMBS_DOWN = re.compile(r"^(よくないね|Disliked)$")
RECORD = AnswerRecord(
    question="デジタル庁の場合は？",
    history=[
        {"role": "user", "content": "総務省はどんな演習を行っていますか？"},
        {"role": "assistant", "content": "総務省：…サイバー防御演習…[1]"},
    ],
    answer="デジタル庁：各府省庁等の職員を対象とした統一的な情報システム研修[1]",
    citations=[{"n": 1, "doc_id": "digital-jinzai", "page": 5, "quote": "デジタル庁：…"}],
    refused=False,
    mode="extractive",
)




def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# ---- the store -----------------------------------------------------------------------------
def test_items_are_added_changed_and_kept_across_reopening(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    first = store.add(RECORD, "down", "  出典が古い  ")
    second = store.add(RECORD, "up", channel="api")
    store.update(first, comment="数字が違う")
    store.update(second, rating="down")
    reopened = FeedbackStore(tmp_path)
    items = reopened.items()
    assert [(i.id, i.rating, i.comment, i.channel) for i in items] == [
        (first, "down", "数字が違う", "ui"),
        (second, "down", "", "api"),
    ]
    assert items[0].record == RECORD
    reopened.remove(second)
    assert [i.id for i in reopened.items("down")] == [first]
    assert reopened.items("up") == []


def test_bad_ratings_and_unknown_items_are_one_line_errors(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    with pytest.raises(FeedbackError, match="rating must be one of up, down, not 'meh'"):
        store.add(RECORD, "meh")
    with pytest.raises(FeedbackError, match="no feedback item 99"):
        store.update(99, comment="x")


def test_the_database_uses_wal_and_takes_concurrent_writers(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def write(n: int) -> int:
        item_id = FeedbackStore(tmp_path).add(RECORD, "up" if n % 2 else "down", f"#{n}")
        store.update(item_id, comment=f"#{n} 追記")
        return item_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(write, range(80)))
    assert len(set(ids)) == 80
    assert sorted(i.comment for i in store.items()) == sorted(f"#{n} 追記" for n in range(80))


def test_export_item_is_an_eval_question_waiting_for_its_answer(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    store.add(RECORD, "down", "違う")
    exported = eval_item(store.items()[0])
    assert tuple(exported) == KEYS
    assert exported["question"] == RECORD.question and exported["history"] == RECORD.history
    assert (exported["type"], exported["any"], exported["all"]) == ("followup", [], [])
    filled = {**exported, "any": ["情報システム研修"]}
    assert parse_item(filled).question == RECORD.question


def test_cli_lists_and_exports(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    down = store.add(RECORD, "down", "根拠のページが違う")
    store.add(AnswerRecord("火星の予算は？", [], "資料には…", [], True, "extractive"), "up")
    listed = run_cli(tmp_path, "feedback", "list")
    assert listed.returncode == 0, listed.stderr
    assert f"fb-{down:04d}" in listed.stdout and "👎" in listed.stdout
    assert "根拠のページが違う" in listed.stdout
    rows = json_lines(run_cli(tmp_path, "feedback", "list", "--jsonl").stdout)
    assert [r["rating"] for r in rows] == ["down", "up"] and rows[0]["citations"][0]["page"] == 5
    exported = json_lines(run_cli(tmp_path, "feedback", "export", "--jsonl").stdout)
    assert [e["id"] for e in exported] == [f"fb-{down:04d}", f"fb-{down + 1:04d}"]
    assert exported[1]["type"] == "" and exported[1]["history"] == []
    only_down = json_lines(run_cli(tmp_path, "feedback", "export", "--rating", "down").stdout)
    assert [e["question"] for e in only_down] == [RECORD.question]


# ---- in the chat, across a restart -------------------------------------------------------
@contextmanager
def served(home: Path) -> Iterator[str]:
    """``policy-qa serve`` in its own process over ``home``; its URL once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "ui.cli", "--home", str(home), "serve", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "the server exited"
            time.sleep(0.5)
        else:
            pytest.fail(f"the server did not answer on {url}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise


def test_browser_thumbs_down_with_a_comment_survives_a_restart(
    browser: Browser, shipped_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(shipped_home, home)
    question = "総務省はどんな演習を行っていますか？"
    with served(home) as url:
        page = open_chat(browser, url, 1280, 900)
        ask_in_browser(page, question)
        expect(page.locator("#pqa-feedback")).to_be_hidden()
        last_reply(page).locator("xpath=..").get_by_role("button", name=THUMBS_DOWN).click()
        comment = page.locator("#pqa-feedback-comment textarea")
        expect(comment).to_be_visible(timeout=SLOW)
        comment.fill("統計の研修についても知りたかった")
        page.locator("#pqa-feedback-send").click()
        expect(page.get_by_text(THANKS)).to_be_visible()
        expect(page.locator("#pqa-feedback")).to_be_hidden()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "feedback.png")
        page.close()
    with served(home) as url:  # a new process over the same data folder
        page = open_chat(browser, url, 390, 844)
        ask_in_browser(page, "デジタル庁はどんな研修をしていますか？")
        thumbs_up = page.get_by_role("button", name=THUMBS_UP).last
        panel = page.locator("#pqa-feedback")
        thumbs_up.click()
        expect(panel).to_be_visible(timeout=SLOW)
        thumbs_up.click()  # taken back: the item goes
        expect(panel).to_be_hidden(timeout=SLOW)
        assert len(json_lines(run_cli(home, "feedback", "list", "--jsonl").stdout)) == 1
        page.get_by_role("button", name=THUMBS_DOWN).last.click()
        expect(panel).to_be_visible(timeout=SLOW)
        thumbs_up.click()  # changed its mind
        page.wait_for_timeout(1000)
        page.close()
    items = json_lines(run_cli(home, "feedback", "list", "--jsonl").stdout)
    assert [(i["rating"], i["question"]) for i in items] == [
        ("down", question),
        ("up", "デジタル庁はどんな研修をしていますか？"),  # 👎 then 👍: one item, changed
    ]
    assert items[0]["comment"] == "統計の研修についても知りたかった"
    assert items[0]["citations"][0]["doc_id"] == "digital-jinzai" and items[0]["history"] == []
    exported = json_lines(run_cli(home, "feedback", "export", "--jsonl").stdout)
    assert exported[0]["question"] == question and tuple(exported[0]) == KEYS
