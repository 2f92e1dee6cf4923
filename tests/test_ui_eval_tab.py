"""The evaluation tab end to end: a real Gradio server over a copy of the shipped index, a real
Chromium uploading a question sheet, and gradio_client for the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from index.policy_index import PolicyIndex
from tests.eval_fixtures import JA_HEADER, QUESTIONS, sheet_row, write_csv, write_xlsx
from tests.ui_fixtures import ARTIFACTS, chromium, copy_index, start_server

SLOW = 120_000  # ms: the first run loads the models
SHEET = QUESTIONS[:5]
BAD = ["t-bad", "", "何か所ありますか？", "", "", "", "", "", "いいえ", ""]


@pytest.fixture(scope="module")
def eval_index(shipped_home: Path, tmp_path_factory: pytest.TempPathFactory) -> PolicyIndex:
    return copy_index(shipped_home, tmp_path_factory.mktemp("ui-eval"))


@pytest.fixture(scope="module")
def eval_url(eval_index: PolicyIndex) -> Iterator[str]:
    app, url = start_server(eval_index)
    try:
        yield url
    finally:
        app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_a_sheet_runs_in_the_tab_and_its_reports_download(
    browser: Browser, eval_url: str, eval_index: PolicyIndex, tmp_path: Path
) -> None:
    rows = [sheet_row(q, "はい" if q["refuse"] else "いいえ") for q in SHEET]
    sheet = write_xlsx(tmp_path / "評価シート.xlsx", [*rows[:3], BAD, *rows[3:]], JA_HEADER)
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="ja-JP")
    page.set_default_timeout(SLOW)
    page.goto(eval_url)
    page.get_by_role("tab", name="評価").click()
    page.locator("#pqa-eval-sheet input[type=file]").set_input_files(str(sheet))
    page.locator("#pqa-eval-run").click()
    status = page.locator("#pqa-eval-status .pqa-eval-done")
    expect(status).to_be_visible(timeout=SLOW)
    [run] = list((eval_index.home / "eval-runs").iterdir())
    assert run.name.endswith("-extractive-hybrid-評価シート")
    assert run.name in status.inner_text()
    headline = status.locator("table.pqa-eval-headline")
    expect(headline.get_by_role("row", name="質問数 5")).to_be_visible()
    expect(status).to_contain_text(
        "評価シート.xlsx row 5, column 正解: an answerable question needs 正解 (any)"
    )
    links = page.locator("#pqa-eval-reports a[download]")
    expect(links).to_have_count(2)
    names = sorted(links.nth(i).get_attribute("download") or "" for i in range(2))
    assert names == [f"{run.name}.html", f"{run.name}.xlsx"]
    html_link = page.locator('#pqa-eval-reports a[download$=".html"]')
    html = page.request.get(html_link.get_attribute("href") or "").text()
    assert all(q["question"] in html for q in SHEET)
    expect(page.locator("#pqa-eval-runs")).to_contain_text(run.name)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "eval-tab.png", full_page=True)

    page.reload()  # a later visit: the run is listed, and clicking it offers its reports
    page.get_by_role("tab", name="評価").click()
    expect(page.locator("#pqa-eval-reports a[download]")).to_have_count(0)
    page.locator("#pqa-eval-runs").get_by_test_id("cell-0-0").click()
    expect(page.locator("#pqa-eval-reports a[download]")).to_have_count(2)
    page.close()

    table = load_workbook(run / f"{run.name}.xlsx")["ours-extractive"]
    assert sorted(row[1] for row in table.iter_rows(min_row=2, values_only=True)) == sorted(
        q["id"] for q in SHEET
    )


def test_the_api_lists_runs_and_rejects_a_sheet_without_questions(
    eval_url: str, tmp_path: Path
) -> None:
    client = Client(eval_url, verbose=False)
    bad = write_csv(tmp_path / "no-questions.csv", [["仕事"]], header=["正解"])
    message = r"^no-questions\.csv row 1: the header has no 質問/question column$"
    with pytest.raises(AppError, match=message):
        client.predict(sheet=handle_file(bad), api_name="/eval")
    listed = client.predict(api_name="/eval_runs")
    assert listed["headers"][:3] == ["実行名", "質問数", "正答率"]
