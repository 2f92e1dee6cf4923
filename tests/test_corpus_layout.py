"""Layout on real-looking PDFs drawn by tests/pdf_factory: reading order, titles, dropped lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus.extract import extract_document
from corpus.model import ExtractedDocument
from corpus.outline import children, heading_of, own_section
from tests.pdf_factory import (
    Box,
    Columns,
    Gap,
    Grid,
    Heading,
    PageSpec,
    Panels,
    Para,
    Spread,
    build_pdf,
    government_report,
    talent_plan,
)

PURPOSE = (
    "本計画は、みどり市における地域交通の維持と利便性の向上を図るため、令和６年度から"
    "令和10年度までの５年間に取り組む施策を定めるものである。"
)


def texts(document: ExtractedDocument, page: int) -> list[str]:
    return [s.text for s in document.sentences if s.page == page]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ExtractedDocument:
    return extract_document(government_report(tmp_path_factory.mktemp("report") / "r.pdf"))


def test_title_is_the_cover_text_not_junk_metadata_or_the_contents(
    report: ExtractedDocument,
) -> None:
    assert report.title == "みどり市地域交通計画（令和６年度改定版）"  # two lines joined


def test_metadata_title_is_kept_when_it_names_the_document(tmp_path: Path) -> None:
    path = government_report(tmp_path / "r.pdf", title="みどり市 地域交通計画 本編")
    assert extract_document(path).title == "みどり市 地域交通計画 本編"


@pytest.mark.parametrize("junk", ["Microsoft Word - report_v3", "r.pdf", "dp2021_06_att", "資料1"])
def test_software_metadata_titles_are_ignored(tmp_path: Path, junk: str) -> None:
    cover = [Gap(100), Heading("山間地域の水道事業経営戦略", size=24), Para("令和６年３月")]
    body = [Heading("１ 概要"), Para("本文である。")]
    path = build_pdf(tmp_path / "r.pdf", [cover, body], title=junk)
    assert extract_document(path).title == "山間地域の水道事業経営戦略"


def test_title_skips_a_document_label_and_never_takes_a_later_heading(tmp_path: Path) -> None:
    cover = [Para("資料２"), Gap(120), Heading("データ人材の育成方針", size=16), Para("2021年8月")]
    body = [Heading("第１章 はじめに", size=22), Para("本書は方針を定める。")]
    document = extract_document(build_pdf(tmp_path / "plan.pdf", [cover, body]))
    assert document.title == "データ人材の育成方針"


def test_a_numbered_heading_right_under_the_title_is_no_part_of_it(tmp_path: Path) -> None:
    document = extract_document(talent_plan(tmp_path / "plan.pdf"))
    assert document.title == "みどり市デジタル人材計画"


def test_a_section_runs_on_over_a_page_break(tmp_path: Path) -> None:
    document = extract_document(talent_plan(tmp_path / "plan.pdf"))
    heading = next(s for s in document.sentences if s.text == "2. 人材の区分")
    item = next(s for s in document.sentences if s.text == "(2) 分析人材")
    assert (heading.page, item.page) == (1, 2)
    assert heading_of(document, 2, own_section(heading)) == heading  # from the page after
    assert [s.text for s in children(document, heading)] == [
        "(1) 企画人材",
        "(2) 分析人材",
        "(3) 開発人材",
    ]
    later = next(s for s in document.sentences if s.text == "3. 推進体制")
    assert heading_of(document, 2, own_section(later)) == later  # a section of its own
    # the title's section holds every later page without a title: read on its own page only
    title = next(s for s in document.sentences if s.text == "みどり市デジタル人材計画")
    assert [s.text for s in children(document, title)] == ["1. 目的", "2. 人材の区分"]


def test_short_numbered_lines_stay_items_of_their_own(tmp_path: Path) -> None:
    # the longest item reaches its box's right edge, as a wrapped line would
    items = ["５：中心的に関与", "４：主要メンバーとして関与", "３：メンバーとして関与", "２：助言"]
    page = [Heading("関与の度合い", size=14), Para("乗数をかける。"), Para("\n".join(items))]
    document = extract_document(build_pdf(tmp_path / "items.pdf", [page]))
    assert texts(document, 1)[-4:] == items


def test_contents_page_and_running_lines_leave_nothing(report: ExtractedDocument) -> None:
    assert report.page(2).text == ""  # 目次 and its dot-leader lines
    for page in report.pages[1:]:  # (the cover's title is the running header's text)
        lines = page.text.split("\n")
        assert "みどり市地域交通計画" not in lines
        assert not any(re.fullmatch(r"-? ?\d+ ?-?", line) for line in lines)  # page numbers
        assert not re.search(r"(?:…|\.\.\.|・・・)\s*\d+$", page.text, re.MULTILINE)


def test_contents_without_leaders_under_a_spaced_heading_is_dropped(tmp_path: Path) -> None:
    contents = [Heading("目　次", size=16), Para("１．はじめに"), Para("２．現状と課題")]
    body = [Heading("１．はじめに"), Para("本書の目的を述べる。")]
    document = extract_document(build_pdf(tmp_path / "c.pdf", [contents, body]))
    assert document.page(1).text == ""
    assert texts(document, 2) == ["１．はじめに", "本書の目的を述べる。"]


def test_margin_line_numbers_stay_out_of_sentences(report: ExtractedDocument) -> None:
    first = texts(report, 3)[1]
    assert first == PURPOSE  # wrapped over two lines, each with a number beside it
    assert not any(re.search(r"\d{1,2}$", s) for s in texts(report, 3) if s != "１ 計画の目的")


def test_side_label_is_a_heading_not_part_of_the_sentence(report: ExtractedDocument) -> None:
    [survey] = [s for s in report.sentences if s.text.startswith("市民の移動の実態")]
    assert survey.text == (
        "市民の移動の実態を把握するため、市内在住の2,000世帯を対象に交通行動調査を実施した。"
    )
    assert survey.section == ("１ 計画の目的", "調査目的")


def test_letter_spaced_and_shadowed_headings_read_once(report: ExtractedDocument) -> None:
    assert report.page(4).title == "２職員と財政の状況"
    assert report.page(5).text.split("\n")[0] == "３ 今後の取組"
    assert report.page(5).text.count("今後の取組") == 1


def test_columns_and_boxes_read_as_units(report: ExtractedDocument) -> None:
    assert texts(report, 5)[1:5] == [
        "デマンド交通の運行区域を市内全域に拡大し、予約はスマートフォンと電話の両方で受け付ける。",
        "路線バスの運行本数を見直し、通勤時間帯の便を増やす。",
        "あわせてバス停の待合環境を改善する。",
        "利用者アンケートの結果は、毎年度の交通会議で報告し、施策の見直しに反映する。",
    ]


def test_sentences_end_cleanly(report: ExtractedDocument) -> None:
    for sentence in report.sentences:
        if sentence.kind == "text" and sentence.page > 1:  # the cover's date line aside
            assert sentence.text.endswith(("。", "）")), sentence.text


def test_boxed_slide_text_is_paragraphs_not_tables(tmp_path: Path) -> None:
    long = [
        "オンライン診療の導入により、通院に要する時間が大幅に短縮されることが期待される。",
        "遠隔授業の実施により、離島の児童生徒も多様な授業を受けられるようになった。",
    ]
    slide = [
        Heading("デジタル技術の活用事例", size=20),
        Grid(rows=[[text] for text in long], widths=[440], size=10.5),  # one column of boxes
        Grid(rows=[long], widths=[220, 220], size=10.5),  # one row of two boxes
        Box("各地域の実情に応じて、活用の方法を選ぶことが重要である。"),
    ]
    document = extract_document(build_pdf(tmp_path / "slide.pdf", [slide]))
    assert document.tables == []
    assert [s.text for s in document.sentences if s.kind == "text"] == [
        *long,
        *long,
        "各地域の実情に応じて、活用の方法を選ぶことが重要である。",
    ]


def test_two_column_page_reads_left_column_first(tmp_path: Path) -> None:
    left = [
        "左の段の最初の文である。",
        "左の段は二つの段落からなり、行をまたいで続く長い文も含んでいる。",
    ]
    right = ["右の段の文である。"]
    page = PageSpec([Heading("二段組の頁", size=18), Columns(left, right)])
    document = extract_document(build_pdf(tmp_path / "cols.pdf", [page]))
    assert texts(document, 1) == ["二段組の頁", *left, *right]


def test_a_spread_out_form_row_reads_as_one_line(tmp_path: Path) -> None:
    row = Spread([(0, "策定日："), (60, "平成"), (130, "30"), (160, "年"), (220, "3"), (245, "月")])
    page = PageSpec([Heading("事業の概要", size=18), row, Gap(24), Para("計画は毎年度見直す。")])
    document = extract_document(build_pdf(tmp_path / "form.pdf", [page]))
    assert texts(document, 1) == ["事業の概要", "策定日：平成30年3月", "計画は毎年度見直す。"]


def _chart(current: str) -> Grid:
    rows = [["", "R4", "R5"], ["当該値", "80.1", current], ["平均値", "70.1", "71.2"]]
    return Grid(rows=rows, widths=[45, 40, 40])


def test_charts_side_by_side_each_read_under_their_own_title(tmp_path: Path) -> None:
    charts = {"①有収率": "82.3", "②料金回収率": "97.0", "③施設利用率": "60.2"}
    panels = Panels([(title, _chart(value)) for title, value in charts.items()])
    page = PageSpec([Heading("経営比較分析表", size=18), panels])
    document = extract_document(build_pdf(tmp_path / "charts.pdf", [page]))
    rows = [s for s in document.sentences if s.kind == "table_row" and "当該値" in s.text]
    assert [(s.section, s.text[-4:]) for s in rows] == [
        (("経営比較分析表", title), value) for title, value in charts.items()
    ]
    headings = [s.section for s in document.sentences if s.kind == "heading"]
    assert headings[1:] == [("経営比較分析表", title) for title in charts]  # siblings, not labels


def test_a_chart_s_labels_in_a_row_are_no_headings(tmp_path: Path) -> None:
    """Category labels under a chart's bars print larger than the body, side by side; they
    neither open sections nor keep the next numbered heading from closing its predecessor."""
    labels = Spread([(20, "みどり市"), (160, "類似団体平均"), (310, "全国平均")], size=12)
    first = PageSpec(
        [
            Heading("みどり市の給与の状況", size=18),
            Heading("(3) 給与水準の状況", size=14),
            Para("給与水準は全国平均を下回っている。"),
            Gap(60),
            labels,
            Para("（注）指数は各年4月1日現在の値である。"),
        ]
    )
    second = PageSpec([Heading("(4) 給与改定の状況", size=14), Para("本年度の改定は行わない。")])
    document = extract_document(build_pdf(tmp_path / "chart-labels.pdf", [first, second]))
    sections = {s.text: s.section for s in document.sentences if s.kind == "text"}
    assert sections["（注）指数は各年4月1日現在の値である。"] == (
        "みどり市の給与の状況",
        "(3) 給与水準の状況",
    )
    assert sections["本年度の改定は行わない。"] == ("(4) 給与改定の状況",)
    headings = {s.text for s in document.sentences if s.kind == "heading"}
    assert not headings & {"みどり市", "類似団体平均", "全国平均"}


def test_large_titles_of_tables_side_by_side_stay_headings(tmp_path: Path) -> None:
    charts = {"有収率": "82.3", "料金回収率": "97.0", "施設利用率": "60.2"}
    panels = Panels([(title, _chart(value)) for title, value in charts.items()], title_size=14)
    page = PageSpec([Heading("経営比較分析表", size=18), Para(PURPOSE), panels])
    document = extract_document(build_pdf(tmp_path / "titled-charts.pdf", [page]))
    headings = [s.text for s in document.sentences if s.kind == "heading"]
    assert headings == ["経営比較分析表", *charts]


def test_a_figure_printed_large_is_not_a_heading(tmp_path: Path) -> None:
    page = PageSpec([Heading("料金回収率", size=18), Heading("【76.78】", size=14), Para(PURPOSE)])
    document = extract_document(build_pdf(tmp_path / "axis.pdf", [page]))
    assert [s.text for s in document.sentences if s.kind == "heading"] == ["料金回収率"]
    assert {s.section for s in document.sentences} == {("料金回収率",)}


def test_figures_without_a_word_are_no_sentences(tmp_path: Path) -> None:
    """A chart's axis ticks and a figure printed alone say nothing without their chart: they
    are not indexed, so never cited as an answer."""
    figures = ["85.00", "80.00", "【76.78】"]
    page = PageSpec(
        [
            Heading("料金回収率", size=18),
            *map(Para, figures[:2]),
            Heading(figures[2]),
            Para(PURPOSE),
        ]
    )
    document = extract_document(build_pdf(tmp_path / "ticks.pdf", [page]))
    texts = [s.text for s in document.sentences]
    assert texts[0] == "料金回収率" and len(texts) > 1
    assert not set(texts) & set(figures)


def test_numbered_items_written_1_close_paren_head_what_follows(tmp_path: Path) -> None:
    roles = {
        "1)交通計画担当": "路線の再編案を作り、住民説明会を開く。",
        "2)運行管理担当": "バスの運行を委託先と調整する。",
    }
    body = [element for role, duty in roles.items() for element in (Para(role), Para(duty))]
    page = PageSpec([Heading("担当の役割", size=18), *body])
    document = extract_document(build_pdf(tmp_path / "roles.pdf", [page]))
    sections = {s.text: s.section for s in document.sentences if s.kind == "text"}
    assert sections == {duty: ("担当の役割", role) for role, duty in roles.items()}


def test_a_double_spaced_paragraph_keeps_its_sentences_whole(tmp_path: Path) -> None:
    first = (
        "本計画は、みどり市の路線バスとデマンド交通を一体として見直し、通院や通学、買い物に"
        "使いやすい運行を令和８年度までに実現することを目指すものであり、各地区の住民の意見を"
        "踏まえ、運行の実績と利用者の満足度を確かめながら、毎年度その内容を見直すこととする。"
    )
    second = "また、運行の実績と利用者の満足度は、年に一度、市のホームページで公表する。"
    page = PageSpec(
        [
            Heading("計画の目的", size=18),
            Para(first, leading=2.6),
            Para(second, leading=2.6),
        ]
    )
    document = extract_document(build_pdf(tmp_path / "double.pdf", [page]))
    assert texts(document, 1) == ["計画の目的", first, second]


def test_a_section_goes_on_over_a_page_without_a_title(tmp_path: Path) -> None:
    first = PageSpec([Heading("交通計画", size=18), Para("１ 計画の目的"), Para(PURPOSE)])
    going_on = PageSpec([Para("あわせて、運行の実績を毎年度公表する。")])
    titled = PageSpec([Heading("運行の実績", size=18), Para("利用者は前年度より増えた。")])
    pages = [first, going_on, titled]
    document = extract_document(build_pdf(tmp_path / "report.pdf", pages))
    sections = {s.page: s.section for s in document.sentences if s.kind == "text"}
    assert sections == {
        1: ("交通計画", "１ 計画の目的"),
        2: ("交通計画", "１ 計画の目的"),
        3: ("運行の実績",),
    }


def test_a_section_heading_in_the_middle_of_a_page_is_no_page_title(tmp_path: Path) -> None:
    first = PageSpec(
        [
            Heading("職員の給与の状況", size=18),
            Gap(40),
            Heading("(1) 職員の平均年齢", size=14),
            Para("①一般行政職"),
            Para("一般行政職の平均年齢は39.4歳である。"),
        ]
    )
    second = PageSpec(
        [
            Para("②技能労務職"),
            Para("技能労務職の平均年齢は46.2歳である。"),
            Heading("(2) 職員の初任給の状況", size=14),
            Para("大学卒の初任給は201,500円である。"),
        ]
    )
    document = extract_document(build_pdf(tmp_path / "kyuyo.pdf", [first, second]))
    sections = {s.text: s.section for s in document.sentences if s.kind == "text"}
    assert sections["技能労務職の平均年齢は46.2歳である。"] == (
        "職員の給与の状況",
        "(1) 職員の平均年齢",
        "②技能労務職",
    )
    assert sections["大学卒の初任給は201,500円である。"] == (
        "職員の給与の状況",
        "(2) 職員の初任給の状況",
    )


def test_a_numbered_heading_is_the_sibling_of_the_one_before_it_whatever_its_size(
    tmp_path: Path,
) -> None:
    first = PageSpec(
        [
            Heading("職員の手当の状況", size=18),
            Gap(40),
            Heading("(3) 住居手当", size=14),
            Para("住居手当は国と同じ額である。"),
            Heading("(4) 特殊勤務手当", size=12),
            Para("特殊勤務手当の種類は７である。"),
        ]
    )
    second = PageSpec(
        [
            Heading("(5) 時間外勤務手当", size=14),
            Para("時間外勤務手当の支給実績は3,000千円である。"),
            Heading("(6) その他の手当", size=12),
            Para("扶養手当の支給単価は国と同じである。"),
        ]
    )
    document = extract_document(build_pdf(tmp_path / "teate.pdf", [first, second]))
    sections = {s.text: s.section for s in document.sentences if s.kind == "text"}
    assert sections["特殊勤務手当の種類は７である。"] == ("職員の手当の状況", "(4) 特殊勤務手当")
    assert sections["時間外勤務手当の支給実績は3,000千円である。"] == ("(5) 時間外勤務手当",)
    other = sections["扶養手当の支給単価は国と同じである。"]
    assert other == ("職員の手当の状況", "(6) その他の手当")


def test_a_heading_ranks_by_its_size_in_the_whole_document_not_on_its_page(
    tmp_path: Path,
) -> None:
    first = PageSpec(
        [
            Heading("地域交通計画", size=18),
            Gap(40),
            Heading("基本方針", size=14),
            Heading("運行の考え方", size=12),
            Para("路線バスは幹線に集約する。"),
        ]
    )
    second = PageSpec(
        [
            Para("デマンド交通は支線を受け持つ。"),
            Heading("費用の考え方", size=12),
            Para("運行費は市が負担する。"),
        ]
    )
    document = extract_document(build_pdf(tmp_path / "plan.pdf", [first, second]))
    sections = {s.text: s.section for s in document.sentences if s.kind == "text"}
    going_on = sections["デマンド交通は支線を受け持つ。"]
    assert going_on == ("地域交通計画", "基本方針", "運行の考え方")
    assert sections["運行費は市が負担する。"] == ("地域交通計画", "基本方針", "費用の考え方")
