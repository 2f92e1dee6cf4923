"""Scanned PDFs: refused with a hint without OCR, read onto the right pages with it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.extract import extract_document
from corpus.model import ExtractionError
from tests.pdf_factory import Heading, Para, build_pdf, scanned_copy

PAGES = [
    [Heading("交通計画の概要", size=20), Para("本市では路線バスの運行本数を増やす。")],
    [Heading("財政の見通し", size=20), Para("令和７年度の歳出は前年度より減少する見込みである。")],
]


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scan")
    return scanned_copy(build_pdf(folder / "source.pdf", PAGES), folder / "scan.pdf")


def test_scan_without_ocr_is_one_line_with_the_hint(scan: Path) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract_document(scan)
    assert str(caught.value) == (
        "scan.pdf: no text layer (scanned image only? ingest with --ocr to read it)"
    )


def test_ocr_reads_each_page_onto_its_own_page(scan: Path) -> None:
    document = extract_document(scan, ocr=True)
    assert [page.ocr for page in document.pages] == [True, True]
    assert "路線バス" in document.page(1).text and "路線バス" not in document.page(2).text
    assert "歳出" in document.page(2).text and "歳出" not in document.page(1).text
    assert document.page(2).title == "財政の見通し"
    assert document.title == "交通計画の概要"
    assert not any(line.startswith("-") for p in document.pages for line in p.text.split("\n"))


def test_cli_ingest_with_ocr_and_title(scan: Path, shipped_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(shipped_home, home)
    command = [sys.executable, "-m", "assistant", "--home", str(home), "ingest", "--quiet"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    refused = subprocess.run([*command, str(scan)], capture_output=True, text=True, env=env)
    assert refused.returncode == 2 and "--ocr" in refused.stderr
    added = subprocess.run(
        [*command, "--ocr", "--title", "みどり市交通計画（スキャン版）", str(scan)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added: ")
    stored = json.loads((home / "docs" / "scan.json").read_text(encoding="utf-8"))["document"]
    assert stored["title"] == "みどり市交通計画（スキャン版）"
    assert stored["pages"][1]["ocr"] and "歳出" in stored["pages"][1]["text"]
    twice = subprocess.run(
        [*command, "--title", "a", "--title", "b", str(scan), str(scan)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert twice.returncode == 2 and "exactly one file" in twice.stderr


def test_a_question_about_a_scanned_page_is_answered_from_that_page(
    scan: Path, tmp_path: Path
) -> None:
    from assistant.pipeline import Assistant
    from index.ingest import Ingestor
    from index.policy_index import PolicyIndex

    index = PolicyIndex(tmp_path / "home")
    assert not Ingestor(index).ingest([scan], progress=False, ocr=True).failed
    answer = Assistant(index).ask("令和7年度の歳出はどうなる見込みですか")
    assert answer.outcome == "answered" and "減少" in answer.answer
    assert answer.citations[0].page == 2
    assert answer.citations[0].ocr  # the source card says the text came from OCR
    from ui.render import OCR_NOTE, answer_html

    assert OCR_NOTE in answer_html(answer, "k")
