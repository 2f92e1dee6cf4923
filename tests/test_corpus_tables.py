"""Tables as data: multi-row headers, merged cells, units above numbers, row labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.extract import extract_document
from corpus.japanese import fold
from corpus.model import ExtractedDocument
from corpus.tables import clean_cell, row_line
from tests.pdf_factory import STAFF_TABLE, Grid, Heading, Para, build_pdf

SURVEY = Grid(
    rows=[
        ["地区", "回答数", "割合", ""],
        ["", "", "満足", "不満"],
        ["北地区", "件\n320", "％\n61.2", "％\n18.4"],
        ["", "件\n45", "％\n40.0", "％\n35.5"],
        ["南地区", "件\n410", "％\n55.0", "％\n21.0"],
    ],
    spans=[(0, 0, 0, 1), (1, 0, 1, 1), (2, 0, 3, 0), (0, 2, 0, 3)],
    widths=[90, 70, 70, 70],
)


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> ExtractedDocument:
    page = [
        Heading("２ 財政の状況", size=16),
        Para("職員給与費の状況"),  # a caption: a short line just above the table
        STAFF_TABLE,
        Para("(2) 住民満足度調査の結果"),
        SURVEY,
        Para("調査は毎年度実施している。"),
    ]
    return extract_document(build_pdf(tmp_path_factory.mktemp("t") / "t.pdf", [page]))


def test_multi_row_header_with_merged_cells_and_units(document: ExtractedDocument) -> None:
    staff = [r for r in document.tables if r.table == 0]
    assert staff[0].header == (
        "区分",
        "職員数Ａ",
        "給与費 / 給料",
        "給与費 / 職員手当",
        "給与費 / 期末・勤勉手当",
        "給与費 / 計Ｂ",
    )
    assert staff[0].cells == (
        "令和5年度",
        "57人",
        "215,644千円",
        "42,786千円",
        "87,954千円",
        "346,384千円",
    )
    assert [r.label for r in staff] == ["令和5年度", "令和4年度"]
    line = document.page(1).text[staff[0].start : staff[0].end]
    assert line == (
        "令和5年度｜職員数Ａ: 57人｜給与費 / 給料: 215,644千円｜給与費 / 職員手当: 42,786千円"
        "｜給与費 / 期末・勤勉手当: 87,954千円｜給与費 / 計Ｂ: 346,384千円"
    )


def test_merged_row_label_continues_and_every_value_has_its_header(
    document: ExtractedDocument,
) -> None:
    survey = [r for r in document.tables if r.table == 1]
    assert survey[0].header == ("地区", "回答数", "割合 / 満足", "割合 / 不満")
    assert [r.label for r in survey] == ["北地区", "北地区", "南地区"]
    lines = [document.page(1).text[r.start : r.end] for r in survey]
    assert lines[1] == "北地区｜回答数: 45件｜割合 / 満足: 40.0％｜割合 / 不満: 35.5％"
    for record, line in zip(survey, lines, strict=True):
        for header, cell in zip(record.header[1:], record.cells[1:], strict=True):
            assert f"{header}: {cell}" in line


def test_table_rows_sit_under_their_caption_heading(document: ExtractedDocument) -> None:
    rows = [s for s in document.sentences if s.kind == "table_row"]
    assert {s.section for s in rows[:2]} == {("２ 財政の状況", "職員給与費の状況")}
    survey = ("２ 財政の状況", "(2) 住民満足度調査の結果")
    assert {s.section for s in rows[2:]} == {survey}
    kinds = {s.text: s.kind for s in document.sentences}
    assert kinds["職員給与費の状況"] == kinds["(2) 住民満足度調査の結果"] == "heading"
    after = next(s for s in document.sentences if s.text == "調査は毎年度実施している。")
    assert after.section == survey  # the first table's caption is not on the section stack


def test_key_value_form_without_header_keeps_cells_in_order(tmp_path: Path) -> None:
    form = Grid(
        rows=[["供用開始年月日", "昭和45年4月1日"], ["計画給水人口", "2,480人"]],
        widths=[150, 150],
    )
    document = extract_document(build_pdf(tmp_path / "f.pdf", [[Heading("事業の概要"), form]]))
    assert [r.header for r in document.tables] == [("", ""), ("", "")]
    assert document.page(1).text.split("\n")[1:] == [
        "供用開始年月日｜昭和45年4月1日",
        "計画給水人口｜2,480人",
    ]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("人\n636", "636人"),
        ("千円\n2,050,134", "2,050,134千円"),
        ("千円 79,947", "79,947千円"),
        ("％\n－", "－"),
        ("区 分", "区分"),
        ("(参 考 )類 似 団\n体 平 均", "(参考)類似団体平均"),
        ("総務省 経済産業省", "総務省 経済産業省"),
        ("", ""),
    ],
)
def test_clean_cell(raw: str, clean: str) -> None:
    assert clean_cell(raw) == clean


def test_row_line_skips_empty_cells_and_writes_headerless_cells_alone() -> None:
    header = ("指標", "現状値", "", "目標値")
    assert (
        row_line(header, ("利用者数", "12,400人", "注1", ""), 0)
        == "利用者数｜現状値: 12,400人｜注1"
    )
    assert row_line(header, ("", "", "", ""), 0) == ""
    assert row_line(("", ""), ("6,077千円", "5,419千円"), None) == "6,077千円｜5,419千円"


def _lines(tmp_path: Path, grid: Grid) -> list[str]:
    pdf = build_pdf(tmp_path / "g.pdf", [[Heading("表"), grid]])
    document = extract_document(pdf)
    return [document.page(1).text[r.start : r.end] for r in document.tables]


def test_years_name_columns(tmp_path: Path) -> None:
    grid = Grid(
        rows=[["区分", "30年度", "31年度"], ["地方債残高", "138,123", "126,885"]],
        widths=[120, 80, 80],
    )
    assert _lines(tmp_path, grid) == ["地方債残高｜30年度: 138,123｜31年度: 126,885"]


def test_a_row_of_names_between_figures_heads_the_rows_below(tmp_path: Path) -> None:
    grid = Grid(
        rows=[
            ["人口（人）", "面積(km2)"],
            ["790", "275.63"],
            ["契約件数(件)", "区域面積(km2)"],
            ["1,912", "4.75"],
        ],
        widths=[130, 130],
    )
    assert _lines(tmp_path, grid) == [
        "人口（人）: 790｜面積(km2): 275.63",
        "契約件数(件): 1,912｜区域面積(km2): 4.75",
    ]


def test_a_form_of_name_value_pairs_names_every_value(tmp_path: Path) -> None:
    grid = Grid(
        rows=[
            ["供用開始年月日", "昭和45年4月1日", "計画給水人口", "2,480人"],
            ["法適・非適の区分", "非適用", "契約件数", "1,912件"],
        ],
        widths=[110, 110, 90, 70],
    )
    assert _lines(tmp_path, grid) == [
        "供用開始年月日: 昭和45年4月1日｜計画給水人口: 2,480人",
        "法適・非適の区分: 非適用｜契約件数: 1,912件",
    ]


def test_a_first_row_repeated_below_or_of_sentences_is_data_not_header(tmp_path: Path) -> None:
    grid = Grid(
        rows=[["委託料", "なし"], ["修繕費", "計画的に修繕する。"], ["広域化", "なし"]],
        widths=[100, 200],
    )
    assert _lines(tmp_path, grid) == ["委託料｜なし", "修繕費｜計画的に修繕する。", "広域化｜なし"]


def test_a_row_of_names_over_figures_heads_them_in_a_mixed_table(tmp_path: Path) -> None:
    grid = Grid(
        rows=[
            ["業務名", "業種名", "事業名"],
            ["法非適用", "水道事業", "簡易水道事業"],
            ["資金不足比率(％)", "普及率(％)", "家庭料金(円)"],
            ["-", "88.40", "2,950"],
        ],
        widths=[110, 110, 110],
    )
    figures = "資金不足比率(％): -｜普及率(％): 88.40｜家庭料金(円): 2,950"
    assert _lines(tmp_path, grid)[1] == figures


def test_rows_printed_in_one_cell_without_rules_are_rows_of_their_own(tmp_path: Path) -> None:
    grid = Grid(
        rows=[
            ["区分", "", "月額"],
            ["委\n員", "委員長\n委員", "120,000円\n98,000円"],
            ["手\n当", "委員長\n委員", "（支給割合）\n2.20月分"],
        ],
        spans=[(0, 0, 1, 0)],
        widths=[30, 90, 120],
    )
    assert _lines(tmp_path, grid) == [
        "委員｜区分: 委員長｜月額: 120,000円",
        "委員｜区分: 委員｜月額: 98,000円",
        "手当｜区分: 委員長委員｜月額: （支給割合）2.20月分",
    ]


def test_a_bare_year_column_takes_the_era_the_document_dates_by(tmp_path: Path) -> None:
    # 「30年度」 two pages after 「平成29年度」 is 平成30年度 (2018), as a reader takes it
    grid = Grid(
        rows=[["区分", "30年度", "31年度"], ["地方債残高", "138,123", "126,885"]],
        widths=[120, 80, 80],
    )
    pages = [
        [Heading("経営戦略"), Para("計画期間は平成29年度から平成38年度までの10年間とする。")],
        [Heading("概要"), Para("村の簡易水道の現況を示す。")],
        [Heading("収支計画"), grid],
    ]
    document = extract_document(build_pdf(tmp_path / "plan.pdf", pages))
    rows = [document.page(r.page).text[r.start : r.end] for r in document.tables]
    assert rows == ["地方債残高｜平成30年度: 138,123｜平成31年度: 126,885"]
    assert "2018年度" in fold(rows[0])
