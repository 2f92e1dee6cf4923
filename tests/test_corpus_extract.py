"""Extraction of the shipped PDFs: pages, sentences, sections, tables, cleaned text."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pdfplumber
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from corpus.build_pdfs import FONT, register_font
from corpus.extract import extract_document
from corpus.manifest import ManifestEntry, load_manifest
from corpus.model import ExtractedDocument
from corpus.outline import enumeration_after

DJ, CS = "digital-jinzai", "chihou-sousei-2"
CS_TITLE = "地方創生2.0の「基本的な考え方」概要"
PAGE_TITLES = {
    DJ: [
        "デジタル田園都市国家構想総合戦略の全体像",
        "総合戦略の基本的考え方",
        "地域ビジョンの実現に向けた施策間連携・地域間連携の推進",
        "「デジタル田園都市国家構想総合戦略」で掲げるデジタル人材の育成・確保",
        "デジタル人材育成に向けた各省庁の取組",
        "デジタル人材育成のこれまでの進捗",
    ],
    CS: [CS_TITLE] * 4,
}
MINISTRY_PAGE_TITLE = "デジタル人材育成に向けた各省庁の取組"

Documents = dict[str, ExtractedDocument]


def source_table(doc_id: str, page_title: str) -> list[list[str]]:
    """The pipe table under ``# page_title`` in the committed Markdown source, header first."""
    entry = next(e for e in load_manifest() if e.doc_id == doc_id)
    page = entry.source_path.read_text(encoding="utf-8").split(f"# {page_title}\n", 1)[1]
    page = page.split("\n# ", 1)[0]
    rows = [
        line.strip().strip("|").split("|") for line in page.splitlines() if line.startswith("|")
    ]
    return [[cell.strip() for cell in row] for row in rows if not set("".join(row)) <= {"-", " "}]


def raw_lines(path: Path, page_number: int) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [line["text"] for line in pdf.pages[page_number - 1].extract_text_lines()]


def test_page_titles_follow_the_page_plan(corpus_documents: Documents) -> None:
    for doc_id, titles in PAGE_TITLES.items():
        document = corpus_documents[doc_id]
        assert [page.title for page in document.pages] == titles
        assert [page.number for page in document.pages] == list(range(1, len(titles) + 1))
        for page in document.pages:
            assert page.text.split("\n")[0] == page.title


def test_document_metadata_comes_from_the_manifest(corpus_documents: Documents) -> None:
    for entry in load_manifest():
        document = corpus_documents[entry.doc_id]
        assert document.source == entry.file
        assert document.content_hash == hashlib.sha256(entry.pdf_path.read_bytes()).hexdigest()
        assert (document.title, document.issuer, document.date, document.attribution) == (
            entry.title,
            entry.issuer,
            entry.date,
            entry.attribution,
        )
    assert corpus_documents[CS].date == "2024-12-24"
    assert "公共データ利用規約" in corpus_documents[DJ].attribution


def test_sentence_offsets_are_exact(corpus_documents: Documents) -> None:
    for document in corpus_documents.values():
        assert len(document.sentences) > 50
        for sentence in document.sentences:
            page = document.page(sentence.page)
            assert page.text[sentence.start : sentence.end] == sentence.text
            assert sentence.text == sentence.text.strip() and sentence.text
            assert sentence.kind in {"heading", "text", "table_row"}
            assert sentence.section[0] == page.title


def test_every_page_has_sentences(corpus_documents: Documents) -> None:
    for document in corpus_documents.values():
        numbers = {sentence.page for sentence in document.sentences}
        assert numbers == {page.number for page in document.pages}


def test_text_sentences_end_at_a_full_stop_or_at_the_end_of_their_line(
    corpus_documents: Documents,
) -> None:
    for document in corpus_documents.values():
        for sentence in document.sentences:
            line_end = document.page(sentence.page).text.find("\n", sentence.start)
            at_line_end = sentence.end == (
                line_end if line_end >= 0 else len(document.page(sentence.page).text)
            )
            assert sentence.text.endswith(("。", "！", "？")) or at_line_end


def test_no_private_use_glyphs_headers_footers_or_page_numbers(
    corpus_documents: Documents,
) -> None:
    for entry in load_manifest():
        document = corpus_documents[entry.doc_id]
        issuer = entry.issuer + ("（推定）" if entry.issuer_estimated else "")
        for page in document.pages:
            raw = raw_lines(entry.pdf_path, page.number)
            assert raw[0] == entry.short_title  # the running header is in the PDF ...
            assert raw[-1] == f"{issuer} {page.number}"  # ... and so is the footer
            lines = page.text.split("\n")
            assert entry.short_title not in lines or entry.short_title == page.title
            assert f"{issuer} {page.number}" not in page.text
            assert not any(line.startswith(issuer) or line.isdigit() for line in lines)
            assert not re.search("[\ue000-\uf8ff]", page.text)
            assert not any(line.startswith(("•", "・", "○", "〇")) for line in lines)


def test_sentence_wrapped_over_lines_is_rejoined_without_spaces(
    corpus_documents: Documents,
) -> None:
    phrase = "230万人を2022年度から2026年度末までの"
    [sentence] = [s for s in corpus_documents[DJ].sentences if phrase in s.text]
    assert sentence.page == 4
    assert sentence.text.startswith("デジタル社会の推進に必要なデジタル推進人材数と")
    assert sentence.text.endswith("2024年度末までに年間45万人を育成する。")
    assert " " not in sentence.text
    pdf_lines = raw_lines(next(e.pdf_path for e in load_manifest() if e.doc_id == DJ), 4)
    assert not any(sentence.text in line for line in pdf_lines)  # it really was wrapped


def test_ministry_table_gives_seven_records_matching_the_source(
    corpus_documents: Documents,
) -> None:
    header, *rows = source_table(DJ, MINISTRY_PAGE_TITLE)
    records = [r for r in corpus_documents[DJ].tables if r.page == 5]
    assert len(records) == len(rows) == 7
    assert [(r.label, r.cells) for r in records] == [(row[0], tuple(row)) for row in rows]
    page = corpus_documents[DJ].page(5)
    for index, record in enumerate(records):
        assert record.header == tuple(header) == ("担当省庁", "施策")
        assert (record.doc_id, record.table, record.row) == (DJ, 0, index)
        assert page.text[record.start : record.end] == f"{record.label}｜施策: {record.cells[1]}"


def test_region_table_rows_name_each_column(corpus_documents: Documents) -> None:
    title = PAGE_TITLES[DJ][2]
    header, *rows = source_table(DJ, title)
    records = [r for r in corpus_documents[DJ].tables if r.page == 3]
    assert header == ["分野", "取組", "地域"]
    assert [r.cells for r in records] == [tuple(row) for row in rows]
    page = corpus_documents[DJ].page(3)
    for record, row in zip(records, rows, strict=True):
        assert record.label == row[0]
        assert page.text[record.start : record.end] == f"{row[0]}｜取組: {row[1]}｜地域: {row[2]}"


def test_table_row_is_one_sentence_under_its_page_section(corpus_documents: Documents) -> None:
    rows = [s for s in corpus_documents[DJ].sentences if s.kind == "table_row" and s.page == 5]
    assert len(rows) == 7
    meti = next(s for s in rows if s.text.startswith("経済産業省｜"))
    assert meti.section == (MINISTRY_PAGE_TITLE,)
    assert "施策: " in meti.text and "情報処理技術者試験" in meti.text


def test_numbered_pillar_item_has_its_full_section_path(corpus_documents: Documents) -> None:
    [item] = [s for s in corpus_documents[CS].sentences if s.text.startswith("ブロックチェーン")]
    assert item.page == 4 and item.kind == "text"
    assert item.section == (
        CS_TITLE,
        "◆地方創生2.0の基本構想の５本柱",
        "④デジタル・新技術の徹底活用",
    )
    assert "オンライン診療" in item.text  # the wrapped item is one sentence


def test_marker_and_label_sections(corpus_documents: Documents) -> None:
    def section_of(doc_id: str, start: str) -> tuple[str, ...]:
        return next(
            s.section for s in corpus_documents[doc_id].sentences if s.text.startswith(start)
        )

    assert section_of(DJ, "しかし、デジタル人材が") == (PAGE_TITLES[DJ][3], "【現状と課題】")
    assert section_of(CS, "GX・DXインフラの整備") == (
        CS_TITLE,
        "◆地方創生2.0を検討していく方向性（1.0との違い）",
        "（基盤）",
    )
    assert section_of(CS, "インバウンドの増加") == (
        CS_TITLE,
        "◆地方創生をめぐる情勢の変化",
        "●地方にとって追い風となる変化",
    )
    assert section_of(CS, "我が国の成長力を") == (CS_TITLE, "◆地方創生2.0起動の必要性")


def test_full_width_forms_and_quotes_are_kept(corpus_documents: Documents) -> None:
    text = corpus_documents[CS].page(3).text
    assert "適切な定量的ＫＰＩを設定し" in text
    assert "「若者・女性にも選ばれる地方（＝楽しい地方）」" in text
    assert "約４万２千人（約28％）※。" in corpus_documents[DJ].page(6).text


def test_pdf_extraction_equals_ingesting_the_markdown_source(
    corpus_documents: Documents, corpus_source_documents: Documents
) -> None:
    for doc_id, document in corpus_documents.items():
        source = corpus_source_documents[doc_id]
        assert document.pages == source.pages
        assert document.sentences == source.sentences
        assert document.tables == source.tables


def test_json_round_trip(corpus_documents: Documents) -> None:
    for document in corpus_documents.values():
        assert ExtractedDocument.from_json(document.to_json()) == document


def _generic_pdf(path: Path, title: str | None) -> None:
    """Three pages with a running header, page-number footer and a repeated body line."""
    register_font()
    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    if title:
        canvas.setTitle(title)
    width, height = A4
    for number in (1, 2, 3):
        canvas.setFont(FONT, 8)
        canvas.drawString(50, height - 25, "社外秘 サンプル報告書")
        canvas.drawCentredString(width / 2, 20, f"- {number} -")
        canvas.setFont(FONT, 18)
        canvas.drawString(50, height - 80, f"第{number}章の概要")
        canvas.setFont(FONT, 10)
        canvas.drawString(
            50, height - 120, "本章では、地域の課題解決に向けた取組を整理し、その成果"
        )
        canvas.drawString(50, height - 134, "を報告する。次に課題を述べる。")
        canvas.drawString(50, height - 170, "共通の注意事項")
        canvas.showPage()
    canvas.save()


def test_generic_pdf_drops_running_lines_and_keeps_repeated_body_text(tmp_path: Path) -> None:
    path = tmp_path / "Sample Report 2024.pdf"
    _generic_pdf(path, "サンプル報告書")
    document = extract_document(path)
    assert document.doc_id == "sample-report-2024"
    assert document.title == "サンプル報告書"
    assert (document.issuer, document.date) == ("", "")
    for page in document.pages:
        assert page.title == f"第{page.number}章の概要"
        assert page.text.split("\n") == [
            page.title,
            "本章では、地域の課題解決に向けた取組を整理し、その成果を報告する。次に課題を述べる。",
            "共通の注意事項",
        ]
    texts = [s.text for s in document.sentences if s.page == 1]
    assert texts[1:3] == [
        "本章では、地域の課題解決に向けた取組を整理し、その成果を報告する。",
        "次に課題を述べる。",
    ]


def test_pdf_without_metadata_title_uses_first_heading_and_hashed_id(tmp_path: Path) -> None:
    path = tmp_path / "報告書.pdf"
    _generic_pdf(path, None)
    document = extract_document(path, meta={"issuer": "試験機関"})
    assert document.title == "第1章の概要"
    assert document.issuer == "試験機関"
    assert re.fullmatch(r"doc-[0-9a-f]{12}", document.doc_id)
    assert extract_document(path, doc_id="custom").doc_id == "custom"


@pytest.mark.parametrize("entry", load_manifest(), ids=lambda e: e.doc_id)
def test_shipped_pdf_renamed_is_not_matched_to_the_manifest(
    entry: ManifestEntry, tmp_path: Path
) -> None:
    copy = tmp_path / f"copy-of-{entry.file}"
    copy.write_bytes(entry.pdf_path.read_bytes())
    document = extract_document(copy)
    assert document.doc_id == f"copy-of-{entry.doc_id}"
    assert document.title == entry.title  # from the PDF's Title metadata
    assert document.issuer == ""


def test_a_lead_in_introduces_the_numbered_headings_after_it(tmp_path: Path) -> None:
    source = tmp_path / "koutsu.md"
    source.write_text(
        "# みどり市交通計画\n\n## 基本方針\n本計画では、次の3つの方針を定める。\n\n"
        "### ① 幹線の維持\n路線バスの幹線を維持する。\n\n"
        "### ② 支線の再編\n支線はデマンド交通に置き換える。\n\n"
        "### ③ 運賃の見直し\n運賃を市内均一にする。\n\n"
        "## 計画期間\n計画期間は2030年度までとする。\n",
        encoding="utf-8",
    )
    document = extract_document(source)
    lead = next(s for s in document.sentences if s.text.startswith("本計画では"))
    items = [s.text for s in enumeration_after(document, lead)]
    assert items == ["① 幹線の維持", "② 支線の再編", "③ 運賃の見直し"]
