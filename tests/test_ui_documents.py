"""Documents in the chat: asking only some of them, and removing one (chat and command line)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client
from playwright.sync_api import Browser, Page, expect

from index.ingest import Ingestor
from index.policy_index import PolicyIndex
from tests.ui_fixtures import (
    ARTIFACTS,
    GOOD_LINES,
    GOOD_TITLE,
    SLOW,
    ask_in_browser,
    copy_index,
    last_reply,
    make_pdf,
    open_chat,
    run_cli,
    start_server,
)
from ui.documents import NO_DOCUMENT, DocumentError, remove_document, selected_documents
from ui.page_view import PageImages
from ui.server import Server

DIGITAL = "デジタル人材育成の取組"
CHIHOU = "地方創生2.0の「基本的な考え方」概要"
# Both documents speak of growing people in the regions; unfiltered, the answer cites DIGITAL.
PEOPLE = "地域の人材はどう育てますか？"
LIBRARY = "架空市は移動図書館車を何台導入しますか？"




@pytest.fixture()
def home_index(shipped_home: Path, tmp_path: Path) -> PolicyIndex:
    """A copy of the shipped index with a third, made-up document (kaku-library)."""
    index = copy_index(shipped_home, tmp_path)
    library = make_pdf(tmp_path / "kaku-library.pdf", GOOD_TITLE, GOOD_LINES)
    Ingestor(index).ingest([library], progress=False)
    return index


@pytest.fixture()
def served(home_index: PolicyIndex) -> Iterator[tuple[Server, str]]:
    server, url = start_server(home_index)
    try:
        yield server, url
    finally:
        server.close()


def card_titles(page: Page) -> set[str]:
    titles = last_reply(page).locator(".pqa-card-title")
    return {titles.nth(i).inner_text() for i in range(titles.count())}


def test_selection_means_all_documents_only_when_all_are_chosen(
    home_index: PolicyIndex,
) -> None:
    every = list(home_index.docs)
    assert selected_documents(home_index, every) is None
    assert selected_documents(home_index, [*every, "gone"]) is None
    assert selected_documents(home_index, ["chihou-sousei-2", "gone"]) == ["chihou-sousei-2"]
    assert selected_documents(home_index, []) == []


def test_removal_refuses_unknown_ids_and_the_last_document(home_index: PolicyIndex) -> None:
    pages = PageImages(home_index)
    with pytest.raises(DocumentError, match="unknown document id nothing"):
        remove_document(home_index, pages, "nothing")
    remove_document(home_index, pages, "kaku-library")
    remove_document(home_index, pages, "digital-jinzai")
    with pytest.raises(DocumentError, match="chihou-sousei-2 is the only document"):
        remove_document(home_index, pages, "chihou-sousei-2")
    assert list(home_index.docs) == ["chihou-sousei-2"]


def test_cli_remove_takes_the_document_out_of_search_and_docs(home_index: PolicyIndex) -> None:
    home = home_index.home
    assert home_index.pdf_copy("kaku-library").is_file()
    PageImages(home_index).png("kaku-library", 1, ["移動図書館車を12台導入する"])
    del home_index  # the command line opens the folder itself
    removed = run_cli(home, "remove", "kaku-library")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == f"removed: kaku-library ({GOOD_TITLE})"
    listed = json.loads(run_cli(home, "docs", "--json").stdout)
    assert {d["doc_id"] for d in listed} == {"digital-jinzai", "chihou-sousei-2"}
    hits = json.loads(run_cli(home, "search", "移動図書館車 12台", "--json").stdout)
    assert all(hit["doc_id"] != "kaku-library" for hit in hits)
    assert not (home / "files" / "kaku-library.pdf").exists()
    assert not (home / "pages" / "kaku-library").exists()
    again = run_cli(home, "remove", "kaku-library")
    assert again.returncode == 2
    assert again.stderr.strip() == "error: unknown document id kaku-library (see `policy-qa docs`)"


def test_browser_filter_and_removal(
    browser: Browser, home_index: PolicyIndex, served: tuple[Server, str]
) -> None:
    server, url = served
    page = open_chat(browser, url, 1280, 900)
    doc_filter = page.locator("#pqa-doc-filter")
    for title in (DIGITAL, CHIHOU, GOOD_TITLE):
        expect(doc_filter.get_by_label(title)).to_be_checked()

    ask_in_browser(page, PEOPLE)
    assert DIGITAL in card_titles(page)
    doc_filter.get_by_label(DIGITAL).uncheck()
    ask_in_browser(page, PEOPLE)
    assert card_titles(page) == {CHIHOU}

    for title in (CHIHOU, GOOD_TITLE):
        doc_filter.get_by_label(title).uncheck()
    page.locator("#pqa-question textarea").fill(PEOPLE)
    page.locator("#pqa-question textarea").press("Enter")
    expect(page.get_by_text(NO_DOCUMENT)).to_be_visible()
    for title in (DIGITAL, CHIHOU, GOOD_TITLE):
        doc_filter.get_by_label(title).check()

    ask_in_browser(page, LIBRARY)
    assert "12台" in last_reply(page).inner_text() and card_titles(page) == {GOOD_TITLE}
    page.locator("#pqa-remove-choice input").click()
    page.get_by_role("option", name=GOOD_TITLE).click()
    page.locator("#pqa-remove").click()
    expect(page.locator("#pqa-documents")).not_to_contain_text(GOOD_TITLE, timeout=SLOW)
    expect(doc_filter.get_by_label(GOOD_TITLE)).to_have_count(0)
    expect(doc_filter.get_by_label(DIGITAL)).to_be_checked()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "documents.png", full_page=True)

    ask_in_browser(page, LIBRARY)
    assert "12台" not in last_reply(page).locator(".pqa-answer").inner_text()
    assert GOOD_TITLE not in card_titles(page)
    page.close()

    hits = home_index.search("移動図書館車 12台", k=10, mode="hybrid")
    assert hits and all(hit.doc_id != "kaku-library" for hit in hits)
    user = Client(url, verbose=False)
    endpoints = user.view_api(print_info=False, return_format="dict")["named_endpoints"]
    chat = {"/chat", "/clear", "/upload", "/documents"}
    assert set(endpoints) == chat | {"/eval", "/eval_runs", "/runs"}  # + the 評価 tab's
    documents = user.predict(api_name="/documents")
    assert GOOD_TITLE not in {row[0] for row in documents["data"]}
    server.close()
    listed = json.loads(run_cli(home_index.home, "docs", "--json").stdout)
    assert {d["doc_id"] for d in listed} == {"digital-jinzai", "chihou-sousei-2"}
