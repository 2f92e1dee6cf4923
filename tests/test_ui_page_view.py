"""Cited pages as images: the quote's boxes from pdfplumber, the PNG route, the cache and limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import httpx
import numpy as np
import pdfplumber
import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

from assistant.types import Citation
from index.ingest import Ingestor
from index.policy_index import PolicyIndex
from tests.ui_fixtures import (
    ARTIFACTS,
    ask_in_browser,
    copy_index,
    last_reply,
    make_pdf,
    open_chat,
    start_server,
)
from ui.page_view import MAX_QUOTE_CHARS, OUTLINE, Box, PageImages, quote_boxes

# A made-up page: a heading, then one paragraph whose first sentence wraps onto a second line.
WRAPPED = [
    "架空県交通計画の概要",
    "架空県は2031年度までに県内の全ての路線バスを電気バスへ切り替え、",
    "充電設備を県内40か所に設ける。運賃の改定は行わない。",
]
SECOND_SENTENCE = "運賃の改定は行わない。"
OUTLINE_TOLERANCE = 60  # colour distance that still counts as the frame (antialiasing)
FRAME_SLACK_PT = 5  # a line of this text is 11 pt high and the next one 16 pt down


def text_box(pdf_path: Path, page_number: int, text: str) -> Box:
    """Where pdfplumber's own search finds ``text`` (spaces and line breaks allowed between its
    characters): an independent reference for the highlight."""
    pattern = r"\s*".join(re.escape(char) for char in text)
    with pdfplumber.open(pdf_path) as pdf:
        found = pdf.pages[page_number - 1].search(pattern, regex=True)
    assert found, f"pdfplumber does not find {text!r}"
    return Box(found[0]["x0"], found[0]["top"], found[0]["x1"], found[0]["bottom"])


def frame(png: bytes) -> tuple[Box, float]:
    """The bounding box (image pixels) of the drawn frame, and the image's width."""
    pixels = np.asarray(Image.open(BytesIO(png)).convert("RGB"), dtype=np.int32)
    mask = np.abs(pixels - np.array(OUTLINE[:3])).sum(axis=2) < OUTLINE_TOLERANCE
    rows, cols = np.nonzero(mask)
    assert rows.size, "no highlight frame drawn"
    return Box(cols.min(), rows.min(), cols.max() + 1, rows.max() + 1), pixels.shape[1]


def assert_frame_over(png: bytes, pdf_path: Path, page_number: int, text: str) -> None:
    """Each edge of the frame drawn in ``png`` lies within :data:`FRAME_SLACK_PT` of the same
    edge of the characters of ``text`` (the frame's padding and width, the image's border and
    scaling)."""
    drawn, width = frame(png)
    with pdfplumber.open(pdf_path) as pdf:
        scale = width / pdf.pages[page_number - 1].width
    target = text_box(pdf_path, page_number, text)
    for edge in ("x0", "top", "x1", "bottom"):
        offset = getattr(drawn, edge) - getattr(target, edge) * scale
        assert abs(offset) <= FRAME_SLACK_PT * scale, (edge, offset)


def settle_in_view(page: Page, image: Locator) -> None:
    """Scroll the image to the middle of the chat and wait until it stays there (the chat
    scrolls itself to the bottom after an answer renders, later when the machine is busy)."""
    inside = """image => {
        const box = image.getBoundingClientRect();
        const chat = document.querySelector('#pqa-chat').getBoundingClientRect();
        return box.top >= chat.top && box.bottom <= chat.bottom && box.bottom <= innerHeight;
    }"""
    for _ in range(20):
        image.evaluate("image => image.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(500)
        if image.evaluate(inside):
            return
    pytest.fail("the page image does not stay inside the chat")


@pytest.fixture(scope="module")
def wrapped_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wrapped")
    return make_pdf(folder / "kaku-koutsuu.pdf", "架空県交通計画", WRAPPED, leading=16)


@pytest.fixture(scope="module")
def view_index(
    shipped_home: Path, wrapped_pdf: Path, tmp_path_factory: pytest.TempPathFactory
) -> PolicyIndex:
    index = copy_index(shipped_home, tmp_path_factory.mktemp("page-view"))
    notes = tmp_path_factory.mktemp("notes") / "kaku-memo.md"
    notes.write_text("# 架空メモ\n\n架空メモは紙の資料から作った。\n", encoding="utf-8")
    Ingestor(index).ingest([wrapped_pdf, notes], progress=False)
    return index


@pytest.fixture(scope="module")
def view_url(view_index: PolicyIndex) -> Iterator[str]:
    server, url = start_server(view_index)
    yield url
    server.close()


def test_a_wrapped_sentence_gets_one_box_per_line(wrapped_pdf: Path) -> None:
    sentence = "".join(WRAPPED[1:]).removesuffix(SECOND_SENTENCE)
    boxes = quote_boxes(wrapped_pdf, 1, sentence)
    assert len(boxes) == 2
    first_line, second_line = (text_box(wrapped_pdf, 1, line) for line in WRAPPED[1:])
    assert boxes[0].x0 == pytest.approx(first_line.x0, abs=0.5)
    assert boxes[0].x1 == pytest.approx(first_line.x1, abs=0.5)
    assert boxes[0].top == pytest.approx(first_line.top, abs=1)
    assert boxes[1].top == pytest.approx(second_line.top, abs=1)
    assert boxes[1].x1 == pytest.approx(text_box(wrapped_pdf, 1, SECOND_SENTENCE).x0, abs=0.5)


def test_the_second_sentence_of_a_line_starts_mid_line(wrapped_pdf: Path) -> None:
    [box] = quote_boxes(wrapped_pdf, 1, SECOND_SENTENCE)
    expected = text_box(wrapped_pdf, 1, SECOND_SENTENCE)
    assert (box.x0, box.x1) == pytest.approx((expected.x0, expected.x1), abs=0.5)


def test_a_quote_off_by_a_character_still_matches_and_one_not_there_does_not(
    wrapped_pdf: Path,
) -> None:
    assert quote_boxes(wrapped_pdf, 1, "充電設備を県内40カ所に設ける。")  # カ for か
    assert quote_boxes(wrapped_pdf, 1, "架空県は新しい空港を建設する。") == []


def test_every_sentence_of_the_shipped_pdfs_is_found_on_its_page(
    view_index: PolicyIndex,
) -> None:
    for doc_id in ("digital-jinzai", "chihou-sousei-2"):
        pdf_path = view_index.pdf_copy(doc_id)
        missing = [
            s.text
            for s in view_index.docs[doc_id].document.sentences
            if not quote_boxes(pdf_path, s.page, s.text)
        ]
        assert missing == [], doc_id


def test_a_table_row_is_boxed_across_its_cells(view_index: PolicyIndex) -> None:
    pdf_path = view_index.pdf_copy("digital-jinzai")
    row = (
        "総務省：国の機関、地方公共団体等を対象とした実践的なサイバー防御演習や、"
        "統計データアナリスト等の育成研修"
    )
    [box] = quote_boxes(pdf_path, 5, row)
    ministry = text_box(pdf_path, 5, "総務省")
    measure = text_box(pdf_path, 5, row.split("：")[1])
    assert box.x0 == pytest.approx(ministry.x0, abs=0.5)
    assert box.x1 == pytest.approx(measure.x1, abs=0.5)


def test_page_route_draws_the_frame_over_the_quote(view_url: str, wrapped_pdf: Path) -> None:
    response = httpx.get(f"{view_url}page/kaku-koutsuu/1.png", params={"quote": SECOND_SENTENCE})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert_frame_over(response.content, wrapped_pdf, 1, SECOND_SENTENCE)
    plain = httpx.get(f"{view_url}page/kaku-koutsuu/1.png")
    pixels = np.asarray(Image.open(BytesIO(plain.content)).convert("RGB"), dtype=np.int32)
    assert not (np.abs(pixels - np.array(OUTLINE[:3])).sum(axis=2) < OUTLINE_TOLERANCE).any()


def test_page_images_are_cached_under_the_home(view_index: PolicyIndex, view_url: str) -> None:
    url = f"{view_url}page/digital-jinzai/2.png"
    first = httpx.get(url, params={"quote": "重点取組"})
    cached = list((view_index.home / "pages" / "digital-jinzai").glob("*.png"))
    assert cached and first.content in {path.read_bytes() for path in cached}
    assert httpx.get(url, params={"quote": "重点取組"}).content == first.content


def test_concurrent_renders_of_different_pages_all_succeed(
    view_index: PolicyIndex, view_url: str
) -> None:
    """PDFium is not thread-safe; the server renders one page at a time."""
    document = view_index.docs["chihou-sousei-2"].document
    requests = [(s.page, s.text) for s in document.sentences[:8]]

    def fetch(request: tuple[int, str]) -> httpx.Response:
        page, quote = request
        return httpx.get(
            f"{view_url}page/chihou-sousei-2/{page}.png", params={"quote": quote}, timeout=120
        )

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        responses = list(pool.map(fetch, requests))
    assert [r.status_code for r in responses] == [200] * len(requests)
    assert all(frame(r.content)[0].x1 > 0 for r in responses)


def test_page_route_refuses_bad_requests_in_one_line(
    view_index: PolicyIndex, view_url: str
) -> None:
    assert "kaku-memo" in view_index.docs
    cases = {
        "page/no-such-doc/1.png": 404,
        "page/digital-jinzai/7.png": 404,  # it has 6 pages
        "page/kaku-memo/1.png": 404,  # a Markdown source has no page image
        f"page/digital-jinzai/1.png?quote={'あ' * (MAX_QUOTE_CHARS + 1)}": 400,
        "page/digital-jinzai/one.png": 400,
    }
    for path, status in cases.items():
        response = httpx.get(view_url + path)
        assert response.status_code == status, path
        error = response.json()["error"]
        assert error["message"] and "\n" not in error["message"] and "Traceback" not in str(error)


def test_urls_only_for_documents_with_a_pdf(view_index: PolicyIndex) -> None:
    pages = PageImages(view_index)
    memo = next(d for d in view_index.documents() if d.source == "kaku-memo.md")
    cite = Citation(n=1, doc_id="digital-jinzai", title="t", page=3, section="", quote="a&b")
    assert pages.url([cite]) == "page/digital-jinzai/3.png?quote=a%26b"
    assert pages.url([Citation(**{**cite.__dict__, "doc_id": memo.doc_id})]) is None


@pytest.mark.parametrize(("width", "height", "scale"), [(1280, 900, 2), (390, 844, 3)])
def test_browser_source_card_opens_its_page_with_the_quote_framed(
    browser: Browser,
    view_index: PolicyIndex,
    view_url: str,
    width: int,
    height: int,
    scale: float,
) -> None:
    """Desktop (2 device pixels per CSS pixel) and phone width (3, as phones have)."""
    page = open_chat(browser, view_url, width, height, scale)
    ask_in_browser(page, "架空県は路線バスをどうしますか？")
    card = last_reply(page).locator(".pqa-card").first
    quote = card.locator("mark").first.inner_text()
    assert quote.startswith("架空県は2031年度までに")
    image = card.locator(".pqa-page img")
    expect(image).to_be_hidden()  # behind its disclosure until asked for
    card.locator(".pqa-page summary").click()
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=image.element_handle()
    )
    source = image.get_attribute("src") or ""
    assert source.startswith("page/kaku-koutsuu/1.png?quote=")
    settle_in_view(page, image)
    shown, natural = image.bounding_box(), image.evaluate("i => i.naturalWidth / i.naturalHeight")
    assert shown and shown["width"] / shown["height"] == pytest.approx(natural, rel=0.02)
    text_width = card.locator(".pqa-card-text").bounding_box()["width"]  # type: ignore[index]
    # as wide as the card's text, unless that would be taller than half the window
    assert shown["width"] == pytest.approx(text_width, abs=2) or shown["height"] == height / 2
    assert shown["x"] >= 0 and shown["x"] + shown["width"] <= width
    assert_frame_over(image.screenshot(), view_index.pdf_copy("kaku-koutsuu"), 1, quote)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"page-image-{width}.png")
    page.close()
