"""The chat end to end: a real Gradio server, real gradio_client users and a real Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from playwright.sync_api import Browser, Page, expect

from assistant.pipeline import Assistant
from index.policy_index import PolicyIndex
from tests.ui_fixtures import (
    ARTIFACTS,
    GOOD_LINES,
    GOOD_TITLE,
    SCRIPT,
    SLOW,
    XSS_LINES,
    XSS_TITLE,
    ask_in_browser,
    bad_pdf,
    copy_index,
    free_port,
    last_reply,
    make_pdf,
    open_chat,
    start_server,
)
from ui.app import MODES, build_app
from ui.render import MAX_QUESTION_CHARS, NOTICE

# (question, text the answer must contain) — facts stated in the shipped documents.
QUESTIONS = [
    ("国土交通省はどんな研修をしていますか？", "３次元モデル"),
    ("2023年度のデジタル人材育成は目標を上回りましたか？", "51万人"),
    ("大学の教育プログラムを国が認定する制度はどの省の担当ですか？", "文部科学省"),
    ("総務省はどんな演習を行っていますか？", "サイバー防御演習"),
]


@pytest.fixture(scope="module")
def ui_index(shipped_home: Path, tmp_path_factory: pytest.TempPathFactory) -> PolicyIndex:
    return copy_index(shipped_home, tmp_path_factory.mktemp("ui-index"))


@pytest.fixture(scope="module")
def ui_url(ui_index: PolicyIndex) -> Iterator[str]:
    app, url = start_server(ui_index)
    try:
        yield url
    finally:
        app.close()


def client(url: str) -> Client:
    return Client(url, verbose=False)


def client_or_none(url: str) -> Client | None:
    """A client once the server answers, else None."""
    try:
        return client(url)
    except httpx.ConnectError:
        return None


def sources(text: str) -> list[str]:
    """The plain-text source lines of an API answer."""
    _, _, tail = text.partition("\n出典:\n")
    return [line for line in tail.splitlines() if line.startswith("[")]


# ---- gradio_client -------------------------------------------------------------------------
def test_chat_api_answers_with_citations(ui_url: str) -> None:
    text = client(ui_url).predict(message=QUESTIONS[0][0], api_name="/chat")
    assert QUESTIONS[0][1] in text
    assert "[1]" in text.partition("\n出典:")[0]
    assert sources(text)[0].startswith("[1] デジタル人材育成の取組 p.5")


def test_chat_api_streams_text_before_the_sources(ui_url: str) -> None:
    job = client(ui_url).submit(message=QUESTIONS[1][0], api_name="/chat")
    final = job.result()
    outputs = job.outputs()
    assert len(outputs) > 2
    assert all(final.startswith(partial.rstrip()) for partial in outputs[:-1])
    assert "出典:" not in outputs[0] and sources(final)


def test_follow_up_uses_the_history_of_its_client_session(ui_url: str) -> None:
    user = client(ui_url)
    first = user.predict(message="総務省のデジタル人材の取組は？", api_name="/chat")
    assert "サイバー防御演習" in first
    follow_up = user.predict(message="じゃあ厚生労働省は？", api_name="/chat")
    assert "職業訓練" in follow_up
    assert sources(follow_up)
    user.predict(api_name="/clear")
    assert "職業訓練" in user.predict(message="厚生労働省の取組は？", api_name="/chat")


def test_overlong_question_is_cut_with_a_message(ui_url: str) -> None:
    question = QUESTIONS[0][0] + "詳しく教えてください。" * 60
    text = client(ui_url).predict(message=question, api_name="/chat")
    assert text.splitlines()[0].startswith("質問が長すぎるため")
    assert f"先頭の{MAX_QUESTION_CHARS}文字" in text.splitlines()[0]


def test_eight_concurrent_clients_all_get_cited_answers(ui_url: str) -> None:
    asked = QUESTIONS * 2

    def ask(question: str) -> str:
        return client(ui_url).predict(message=question, api_name="/chat")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(asked)) as pool:
        answers = list(pool.map(ask, [q for q, _ in asked]))
    print(f"8 concurrent clients: {time.perf_counter() - started:.1f}s")
    for (_, expected), answer in zip(asked, answers, strict=True):
        assert expected in answer
        assert sources(answer)


# ---- browser -------------------------------------------------------------------------------
def check_cards(page: Page) -> None:
    """[n] markers link to anchors in cards that show title, page, section and highlighted quotes;
    following a marker brings its card into view."""
    reply = last_reply(page)
    cards = reply.locator(".pqa-card")
    anchors = reply.locator(".pqa-anchor")
    markers = reply.locator("a.pqa-marker")
    assert cards.count() >= 1 and markers.count() >= 1
    anchor_ids = {f"#{anchors.nth(i).get_attribute('id')}" for i in range(anchors.count())}
    targets = [markers.nth(i).get_attribute("href") for i in range(markers.count())]
    assert set(targets) <= anchor_ids and len(anchor_ids) == anchors.count()
    first = cards.first
    assert first.locator(".pqa-card-title").inner_text().strip()
    assert first.locator(".pqa-card-page").inner_text().startswith("p.")
    assert first.locator(".pqa-card-section").inner_text().strip()
    quote = first.locator("mark").first.inner_text()
    assert quote and quote in first.locator(".pqa-card-text").inner_text()
    assert NOTICE in reply.inner_text()

    markers.last.click()
    assert page.evaluate("location.hash") == targets[-1]
    expect(reply.locator(f".pqa-card:has({targets[-1]})")).to_be_in_viewport()


def test_browser_desktop_answer_with_source_cards(browser: Browser, ui_url: str) -> None:
    page = open_chat(browser, ui_url, 1280, 900)
    seconds = ask_in_browser(page, "これまでの地方創生の取組の反省点は何ですか？")
    print(f"desktop: Enter → first streamed text {seconds:.2f}s")
    answer = last_reply(page).locator(".pqa-answer")
    assert "取組の反省" in answer.inner_text()  # stated from the section on past efforts
    page.wait_for_timeout(1500)  # the chat's own scroll to the bottom comes after rendering
    question = page.locator("#pqa-chat .user-row").last
    question.evaluate("element => element.scrollIntoView({block: 'start'})")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "desktop.png", full_page=True)
    check_cards(page)

    page.get_by_text("国土交通省はどんな研修をしていますか？", exact=True).click()
    page.locator("#pqa-chat .pqa-footer").nth(1).wait_for()
    assert QUESTIONS[0][1] in last_reply(page).inner_text()

    page.locator("#pqa-clear").click()
    page.wait_for_function("() => !document.querySelector('#pqa-chat .pqa-answer')")
    page.close()


def test_browser_phone_width_keeps_cards_on_screen(browser: Browser, ui_url: str) -> None:
    page = open_chat(browser, ui_url, 390, 844)
    ask_in_browser(page, QUESTIONS[0][0])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for box in (c.bounding_box() for c in page.locator("#pqa-chat .pqa-card").all()):
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "phone.png")
    check_cards(page)
    page.close()


# ---- upload (adds documents, so after the tests that show the shipped ones) ------------
def test_upload_adds_a_good_pdf_and_reports_a_bad_one(ui_url: str, tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "kaku-library.pdf", GOOD_TITLE, GOOD_LINES)
    user = client(ui_url)
    results, documents = user.predict(
        files=[handle_file(good), handle_file(bad_pdf(tmp_path))], api_name="/upload"
    )
    rows = {row[0]: row for row in results["data"]}
    assert rows["kaku-library.pdf"][1] == "追加"
    assert rows["kaku-library.pdf"][2].startswith("1ページ・")
    assert rows["broken.pdf"][1:] == ["失敗", "broken.pdf: not a PDF (no %PDF header)"]
    assert GOOD_TITLE in [row[0] for row in documents["data"]]
    answer = user.predict(message="架空市は移動図書館車を何台導入しますか？", api_name="/chat")
    assert "12台" in answer
    assert any(GOOD_TITLE in line for line in sources(answer))


def test_upload_refuses_files_that_are_not_pdf(ui_url: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("PDFではないファイル", encoding="utf-8")
    with pytest.raises(AppError, match=r"^Invalid file type\. .*\['\.pdf'\]$"):
        client(ui_url).predict(files=[handle_file(notes)], api_name="/upload")


def test_browser_upload_of_a_pdf_with_markup_injects_nothing(
    browser: Browser, ui_url: str, tmp_path: Path
) -> None:
    hostile = make_pdf(tmp_path / "kaku-bousai.pdf", XSS_TITLE, XSS_LINES)
    page = open_chat(browser, ui_url, 1280, 900)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator("#pqa-files input[type=file]").set_input_files(
        [str(hostile), str(bad_pdf(tmp_path))]
    )
    page.locator("#pqa-add").click()
    results = page.locator("#pqa-results")
    failed = results.get_by_role(
        "row", name="broken.pdf 失敗 broken.pdf: not a PDF (no %PDF header)"
    )
    expect(failed).to_be_visible(timeout=SLOW)
    expect(
        results.get_by_role("row", name=re.compile(r"^kaku-bousai\.pdf 追加 1ページ"))
    ).to_be_visible()
    expect(page.locator("#pqa-documents")).to_contain_text(XSS_TITLE)

    ask_in_browser(page, "架空町は避難所を何か所整備しますか？")
    reply = last_reply(page)
    assert "27か所" in reply.locator(".pqa-answer").inner_text()
    assert SCRIPT in reply.inner_text()  # shown as text
    assert reply.locator(".pqa-card-title").first.inner_text() == XSS_TITLE
    injected = page.evaluate(
        """() => ({
            scripts: document.querySelectorAll('#pqa-chat script, #pqa-documents script').length,
            images: document.querySelectorAll('img[src="x"]').length,
            handlers: document.querySelectorAll('[onerror]').length,
            bold: document.querySelectorAll('#pqa-chat b, #pqa-documents b').length,
        })"""
    )
    assert injected == {"scripts": 0, "images": 0, "handlers": 0, "bold": 0}
    page.wait_for_timeout(500)  # an injected onerror handler would have fired by now
    assert dialogs == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "markup-pdf.png", full_page=True)
    page.close()


# ---- app construction ----------------------------------------------------------------------
def test_serve_answers_on_the_given_host_and_port(shipped_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(shipped_home, home)
    port = free_port()
    code = f"from ui.server import serve; serve('127.0.0.1', {port}, {str(home)!r})"
    server = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parents[1])
    try:
        deadline = time.monotonic() + 120
        while not client_or_none(f"http://127.0.0.1:{port}/"):
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.5)
        text = client(f"http://127.0.0.1:{port}/").predict(
            message=QUESTIONS[2][0], api_name="/chat"
        )
        assert QUESTIONS[2][1] in text and sources(text)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_mode_selector_only_with_an_llm(ui_index: PolicyIndex) -> None:
    assistant = Assistant(ui_index)
    for llm_available in (False, True):
        app = build_app(assistant, ui_index, llm_available=llm_available)
        dropdowns = [
            b for b in app.blocks.values() if isinstance(b, gr.Dropdown) and b.label == "回答の方法"
        ]
        assert [d.visible for d in dropdowns] == [llm_available]
        assert [value for _, value in dropdowns[0].choices] == [value for _, value in MODES]
        chat_api = next(d for d in app.fns.values() if d.api_name == "chat")
        assert (dropdowns[0] in chat_api.inputs) is llm_available
