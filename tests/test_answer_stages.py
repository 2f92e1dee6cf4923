"""The answer stages one by one, on two small documents written here (not the shipped corpus)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.features import FEATURES, TermWeights, candidate_features
from assistant.pipeline import Assistant
from assistant.question import Focus, Question, analyse
from assistant.rank import expected_first
from assistant.rephrase import rewrite
from assistant.select import Select, in_named_section, labels_item
from assistant.selector import load_selector
from assistant.stage import Stage
from assistant.types import FAILURE, REFUSAL, Citation
from assistant.verify import VerifyCitations
from assistant.work import Answered, Candidate, Draft, Failed, Outcome, Refusal, Refused, Work
from index.ingest import Ingestor
from index.policy_index import PolicyIndex
from tests.pdf_factory import talent_plan

PLAN = """# みどり市こども未来計画

## 計画の目的
本計画は、子育て世帯の経済的な負担を軽くし、出生数の減少に歯止めをかけるために策定した。

## 計画期間
計画期間は2025年度から2029年度までの5年間とする。

## 重点施策
- 保育所の待機児童を2027年度までにゼロにする
- 小学校の給食費を無償化する
- 放課後児童クラブを12か所に増やす

## 担当部署

| 施策 | 担当部署 |
|---|---|
| 保育所の整備 | こども政策課 |
| 給食費の無償化 | 学校教育課 |
| 放課後児童クラブの増設 | 生涯学習課 |
"""

DISASTER = """# みどり市地域防災計画

## 避難所
市内の小中学校18校を指定避難所とし、備蓄倉庫を各校に置く。

## 訓練
毎年9月に全市一斉の避難訓練を行い、自主防災組織の参加を求める。
"""


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> PolicyIndex:
    folder = tmp_path_factory.mktemp("small-docs")
    (folder / "kodomo-plan.md").write_text(PLAN, encoding="utf-8")
    (folder / "bousai-plan.md").write_text(DISASTER, encoding="utf-8")
    index = PolicyIndex(tmp_path_factory.mktemp("small-home"))
    report = Ingestor(index).ingest([folder], progress=False)
    assert not report.failed
    return index


@pytest.fixture(scope="module")
def small(small_index: PolicyIndex) -> Assistant:
    return Assistant(small_index)


def written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def index_of(tmp_path: Path, source: Path) -> PolicyIndex:
    """An index of ``source`` alone, in a data folder of its own."""
    index = PolicyIndex(tmp_path / "home")
    assert not Ingestor(index).ingest([source], progress=False).failed
    return index


def run(assistant: Assistant, question: str, **kwargs: object) -> tuple[Work, Outcome]:
    work = assistant.start(question, **kwargs)  # type: ignore[arg-type]
    return work, assistant.run(work)


def test_retrieve_reads_every_sentence_of_the_chunks_it_finds(small: Assistant) -> None:
    work, _ = run(small, "計画期間はいつまでですか")
    assert work.retrieved is not None
    texts = [c.sentence.text for c in work.retrieved.candidates]
    assert any("2029年度" in t for t in texts)
    assert all(c.vector is not None and c.chunk_rank >= 1 for c in work.retrieved.candidates)


def test_rank_puts_the_answering_sentence_first(small: Assistant) -> None:
    work, outcome = run(small, "こども未来計画は何年度までの計画？")
    assert isinstance(outcome, Answered)
    assert work.ranked is not None
    assert "2029年度" in work.ranked.candidates[0].sentence.text
    probabilities = [c.probability for c in work.ranked.candidates]
    assert probabilities == sorted(probabilities, reverse=True)


def test_a_question_the_documents_do_not_answer_is_refused_for_low_confidence(
    small: Assistant,
) -> None:
    _, outcome = run(small, "火星探査機の打ち上げ費用はいくらですか")
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.LOW_CONFIDENCE
    answer = small.ask("火星探査機の打ち上げ費用はいくらですか")
    assert answer.refused and answer.answer == REFUSAL and answer.outcome == "refused"
    assert answer.reason.startswith("low_confidence")
    assert answer.related  # the closest passages are shown instead


@pytest.mark.parametrize(
    ("question", "absent"),
    [
        ("札幌市の指定避難所になっている学校は何校？", 1.0),  # 札幌市: in no document
        ("2027年度までにゼロにするのは何？", 0.0),  # 2027年度: in the plan
        ("指定避難所になっている学校は何校？", 0.0),  # names nothing
    ],
)
def test_a_name_no_document_mentions_is_a_feature_of_every_candidate(
    small: Assistant, small_index: PolicyIndex, question: str, absent: float
) -> None:
    work, _ = run(small, question)
    assert work.query is not None and work.retrieved is not None
    features = candidate_features(work.query.facts, work.retrieved, TermWeights(small_index))
    assert len(features) and set(features[:, FEATURES.index("question_absent")]) == {absent}


def test_a_question_about_a_place_no_document_names_is_refused_saying_so(
    small: Assistant,
) -> None:
    _, outcome = run(small, "札幌市の指定避難所になっている学校は何校ありますか")
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.LOW_CONFIDENCE
    assert outcome.detail.endswith("not in the documents: 札幌市")


def test_nothing_to_search_is_refused_for_no_passage(small: Assistant) -> None:
    _, outcome = run(small, "計画期間はいつまで？", doc_ids=[])
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.NO_PASSAGE


def test_an_empty_question_is_refused_as_empty(small: Assistant) -> None:
    _, outcome = run(small, "   ")
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.EMPTY_QUESTION


def test_a_list_question_gets_the_items_under_their_heading(small: Assistant) -> None:
    answer = small.ask("重点施策にはどんなものがありますか")
    lead, *items = answer.answer.splitlines()
    assert "重点施策" in lead
    assert len(items) == 3 and all(line.startswith("- ") for line in items)
    assert "給食費" in items[1]


def test_an_ordinal_picks_one_item(small: Assistant) -> None:
    answer = small.ask("重点施策の2つ目は何ですか")
    assert "給食費" in answer.answer and "待機児童" not in answer.answer


def test_a_table_value_is_stated_with_its_row_and_column(small: Assistant) -> None:
    answer = small.ask("給食費の無償化を担当する部署はどこですか")
    assert "学校教育課" in answer.answer and "給食費の無償化" in answer.answer
    assert "担当部署" in answer.answer  # the column header travels with the value


def test_the_asked_figure_is_marked_in_the_citation(small: Assistant) -> None:
    answer = small.ask("指定避難所になっている学校は何校ありますか")
    assert not answer.refused and "18校" in answer.answer
    assert "18校" in answer.citations[0].marks


BUDGET = """# みどり市防災予算の概要

## 事業別の予算

| 事業 | 予算額（千円） |
|---|---|
| 備蓄倉庫の更新 | 12,400 |
| 避難訓練の実施 | 3,150 |
"""


COUNCIL = """# みどり市防災会議

## 会議の役割
防災会議は年2回開き、地域防災計画を見直す。

## 専門部会
専門部会の部会長は山田太郎教授が務める。
"""


@pytest.fixture(scope="module")
def budgeted(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    folder = tmp_path_factory.mktemp("budget-docs")
    documents = {"kodomo-plan": PLAN, "bousai-plan": DISASTER, "budget": BUDGET, "council": COUNCIL}
    for name, text in documents.items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    index = PolicyIndex(tmp_path_factory.mktemp("budget-home"))
    assert not Ingestor(index).ingest([folder], progress=False).failed
    return Assistant(index)


def test_a_figure_in_a_unit_no_likely_sentence_states_is_refused_as_no_figure(
    budgeted: Assistant,
) -> None:
    question = "放課後児童クラブの整備にかかる予算はいくら？"
    work, outcome = run(budgeted, question)
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.NO_FIGURE
    assert work.ranked is not None and work.ranked.answerable >= budgeted.selector().threshold
    assert budgeted.ask(question).reason.startswith("no_figure")


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("備蓄倉庫の更新の予算額はいくら？", "12,400"),  # a table prints its unit in the header
        ("放課後児童クラブを何か所に増やす？", "12か所"),
    ],
)
def test_a_figure_in_the_unit_asked_for_is_answered(
    budgeted: Assistant, question: str, figure: str
) -> None:
    answer = budgeted.ask(question)
    assert not answer.refused and figure in answer.answer


@pytest.mark.parametrize(("table", "prose", "refused"), [(1.0, 0.0, True), (0.0, 1.0, False)])
def test_a_question_whose_likeliest_sentence_is_a_table_row_meets_the_table_threshold(
    budgeted: Assistant, table: float, prose: float, refused: bool
) -> None:
    selector = replace(budgeted.selector(), threshold=prose, table_threshold=table)
    assistant = Assistant(budgeted.index, selector=selector)
    work, outcome = run(assistant, "備蓄倉庫の更新の予算額はいくら？")
    assert work.ranked is not None and work.ranked.candidates[0].sentence.kind == "table_row"
    assert isinstance(outcome, Refused) == refused
    if refused:
        assert outcome.reason is Refusal.LOW_CONFIDENCE
        assert "(likeliest: a table row)" in outcome.detail


def test_who_holds_an_office_no_likely_sentence_names_is_refused_as_no_name(
    budgeted: Assistant,
) -> None:
    _, outcome = run(budgeted, "防災会議の会長は誰ですか？")
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.NO_NAME
    answer = budgeted.ask("専門部会の部会長は誰？")
    assert not answer.refused and "山田太郎" in answer.answer


def test_a_year_no_likely_sentences_page_mentions_is_refused_as_no_year(
    budgeted: Assistant,
) -> None:
    work, outcome = run(budgeted, "2029年度の避難訓練は何月に行いますか？")
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.NO_YEAR
    assert "2029年度" in outcome.detail  # in the plan, not on the disaster plan's page
    assert work.ranked is not None and "避難訓練" in work.ranked.candidates[0].sentence.text
    answer = budgeted.ask("令和9年度までに保育所の待機児童をどうしますか？")  # 令和9年度 = 2027年度
    assert not answer.refused and "ゼロ" in answer.answer


def test_verify_drops_a_statement_whose_quote_is_not_on_its_page(
    small_index: PolicyIndex, small: Assistant
) -> None:
    work, _ = run(small, "避難訓練はいつ行いますか")
    assert work.draft is not None and work.draft.citations
    good = work.draft.citations[0]
    bad = Citation(2, good.doc_id, good.title, good.page, good.section, "どこにもない文")
    work.draft = Draft(f"{good.quote}[1]\n作り話です[2]", [good, bad])
    assert isinstance(VerifyCitations(small_index).run(work), Answered)
    assert work.draft.text == f"{good.quote}[1]" and work.draft.citations == [good]
    work.draft = Draft("作り話です[1]", [Citation(1, good.doc_id, "", good.page, "", "作り話")])
    outcome = VerifyCitations(small_index).run(work)
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.NO_VERIFIED_CITATION


class Broken(Stage):
    name = "broken"

    def run(self, work: Work) -> Outcome | None:
        raise RuntimeError("disk on fire")


@pytest.fixture
def broken(small_index: PolicyIndex) -> Iterator[Assistant]:
    assistant = Assistant(small_index)
    assistant.stages.insert(2, Broken())
    yield assistant


def test_a_stage_that_raises_ends_the_run_as_failed_not_as_a_traceback(broken: Assistant) -> None:
    _, outcome = run(broken, "計画期間はいつまで？")
    assert outcome == Failed("broken", "RuntimeError: disk on fire")
    answer = broken.ask("計画期間はいつまで？")
    assert answer.outcome == "failed" and answer.answer == FAILURE
    assert answer.reason == "broken failed: RuntimeError: disk on fire"


def test_the_stream_ends_with_the_answer_after_its_text(small: Assistant, tmp_path: Path) -> None:
    pieces = list(small.stream("避難訓練は毎年何月に行いますか"))
    *text, final = pieces
    assert "".join(str(p) for p in text) == final.answer  # type: ignore[union-attr]
    assert "9月" in final.answer  # type: ignore[union-attr]


REPEATED = """# みどり市水道事業の経営指標

## 令和5年度の指標
料金回収率は前年度より改善した。
経常収支比率は前年度並みだった。

## 令和6年度の指標
料金回収率は前年度より改善した。
給水人口は減少が続いている。
"""

LABELS = """# みどり市簡易水道事業経営戦略

## 団体名：みどり市
## 事業名：簡易水道事業
## 経営の基本方針
安全な水道水を安定して供給し、老朽化した施設を計画的に更新する。
"""


def answered_on(folder: Path, text: str, question: str) -> tuple[Work, list[str]]:
    """Ask ``question`` of an index of ``text`` alone; the run and its citations' quotes."""
    (folder / "docs").mkdir()
    (folder / "docs" / "plan.md").write_text(text, encoding="utf-8")
    index = PolicyIndex(folder / "home")
    assert not Ingestor(index).ingest([folder / "docs"], progress=False).failed
    work, outcome = run(Assistant(index), question)
    assert isinstance(outcome, Answered) and work.draft is not None
    return work, [c.quote for c in work.draft.citations]


def test_an_answer_never_states_a_repeated_line_twice(tmp_path: Path) -> None:
    work, quotes = answered_on(tmp_path, REPEATED, "料金回収率はどうなった？")
    assert work.ranked is not None
    top = [c.sentence.text for c in work.ranked.candidates[:2]]
    assert top[0] == top[1]  # both copies are the likeliest: the case this test is about
    assert quotes and len(quotes) == len(set(quotes))


def test_a_heading_with_nothing_under_it_is_stated_once(tmp_path: Path) -> None:
    work, quotes = answered_on(tmp_path, LABELS, "事業名は何ですか")
    assert work.ranked is not None and work.ranked.candidates[0].sentence.kind == "heading"
    assert quotes and len(quotes) == len(set(quotes))


LIBRARY = """# 緑ヶ丘町立図書館

## 施設

緑ヶ丘町立図書館の所在地は緑ヶ丘町中央三丁目で、町役場の隣にある。
緑ヶ丘町立図書館の蔵書数は約十二万冊である。
公式の交流サイトでは、新着図書と子ども向け行事の案内を重視して発信している。
"""


PLAN_PERIOD = [
    {"role": "user", "content": "みどり市こども未来計画の計画期間は？"},
    {"role": "assistant", "content": "2025年度から2029年度までの5年間です。"},
]


def test_a_question_the_documents_do_not_answer_alone_is_read_as_a_followup_in_a_chat(
    small: Assistant,
) -> None:
    question = "計画を作った一番の狙いは何ですか？"  # no follow-up cue: read as it stands first
    assert rewrite(question, PLAN_PERIOD) == (question, "as-is")
    _, alone = run(small, question)
    assert isinstance(alone, Refused) and alone.reason is Refusal.LOW_CONFIDENCE
    work, outcome = run(small, question, history=PLAN_PERIOD)
    assert isinstance(outcome, Answered)
    assert work.query is not None and work.query.rewrite == "topic"
    assert work.turn.as_followup and "こども未来計画" in work.query.standalone
    assert work.draft is not None and "出生数" in work.draft.text


def test_a_followup_joined_to_the_last_question_is_ranked_by_its_own_words(
    tmp_path: Path,
) -> None:
    """Retrieval and answerability see the previous question's topic; the evidence is ranked by
    the follow-up's own words (the measured gain is in JaQuAD conversations, see rephrase.JOINS)."""
    history = [
        {"role": "user", "content": "緑ヶ丘町立図書館の所在地はどこ？"},
        {"role": "assistant", "content": "緑ヶ丘町中央三丁目です。"},
    ]
    index = index_of(tmp_path, written(tmp_path / "library.md", LIBRARY))
    work, outcome = run(
        Assistant(index), "その交流サイトで重視して発信しているのは何？", history=history
    )
    assert work.query is not None and work.query.rewrite == "pointer"
    assert "所在地" in work.query.standalone  # retrieval still searches with the topic
    assert work.query.joined is not None and "所在地" not in work.query.facts.text
    assert isinstance(outcome, Answered) and work.draft is not None
    assert any("新着図書" in c.quote for c in work.draft.citations)


FINANCES = """# 北野町の財政状況について

## 総括

## 人件費の状況

| 区分 | 人件費 |
|---|---|
| 令和5年度 | 421,000千円 |

## 公債費の状況
公債費は前年度より減った。
"""


def test_a_page_title_over_sub_headings_is_no_answer_to_a_fact_question(tmp_path: Path) -> None:
    question = "北野町の財政状況について教えて。人件費の額は？"
    work, _ = answered_on(tmp_path, FINANCES, question)
    assert work.ranked is not None
    assert work.ranked.candidates[0].sentence.text == "北野町の財政状況について"  # the case
    assert work.draft is not None and "421,000千円" in work.draft.text
    assert "総括" not in work.draft.text  # not the page's contents


ROLES = """# 緑ヶ丘町データ人材計画

## 人材の種類
データ整備員の人材は、その仕事の内容に合わせて町の研修で育成する。

## データ整備員
各課が持つ台帳の項目をそろえ、共通の形式で公開する。

## データ分析員
集めた統計から施策の効果を測り、議会に報告する。
"""


def test_what_a_named_section_says_answers_a_question_about_its_heading(tmp_path: Path) -> None:
    """「データ整備員は…」 is answered under the heading データ整備員, not by the sentence
    elsewhere that mentions it with more of the question's words."""
    work, quotes = answered_on(tmp_path, ROLES, "データ整備員はどういう仕事をする人材ですか")
    assert work.ranked is not None
    assert work.ranked.candidates[0].sentence.section[-1] != "データ整備員"  # the case
    assert quotes[0] == "各課が持つ台帳の項目をそろえ、共通の形式で公開する。"


PAY = """# 青葉村職員の初任給

## 初任給の状況

| 職種 | 区分 | 青葉村 | 県 |
|---|---|---|---|
| 事務職 | 大学卒 | 205,100 円 | 200,400 円 |
| 技術職 | 大学卒 | 211,300 円 | 209,800 円 |
"""


def test_a_table_row_whose_figures_carry_another_unit_states_no_count(tmp_path: Path) -> None:
    # 「205,100 円」 answers no 何人; a bare figure under a header with its unit would. No
    # threshold, so that the figure check (which follows the answerability one) is what decides.
    index = index_of(tmp_path, written(tmp_path / "pay.md", PAY))
    selector = replace(load_selector(), threshold=0.0, table_threshold=0.0)
    work, outcome = run(Assistant(index, selector=selector), "青葉村の事務職の職員は何人？")
    assert work.ranked is not None and work.ranked.candidates[0].sentence.kind == "table_row"
    assert isinstance(outcome, Refused) and outcome.reason is Refusal.NO_FIGURE


def test_a_table_row_keeps_the_figure_asked_for_beside_the_cell_the_question_names(
    tmp_path: Path,
) -> None:
    """The question names the 区分 cell (大学卒) and no other, but asks いくら: the answer shows
    the figures too, though the table writes a space before 円."""
    question = "青葉村で技術職として大学卒で採用された場合の初任給はいくら？"
    work, _ = answered_on(tmp_path, PAY, question)
    assert work.draft is not None
    first = work.draft.text.split("[1]")[0]
    assert "大学卒" in first and "211,300 円" in first


def test_a_value_is_stated_with_the_row_header_cells_before_it(tmp_path: Path) -> None:
    """The question names the row by its first cell (技術職) only; the row's second header cell
    (区分: 大学卒) says which of the rows it is, so it is stated with the value."""
    work, _ = answered_on(tmp_path, PAY, "青葉村の技術職の初任給はいくら？")
    assert work.draft is not None
    first = work.draft.text.split("[1]")[0]
    assert "技術職｜区分: 大学卒｜青葉村: 211,300 円" in first


GRADES = """# 青葉村の給料表

## 級別職員数と給料月額

| 区分 | 職員数 | 構成比 | 最高号給の給料月額 |
|---|---|---|---|
| ５級 | ２人 | 8.0％ | 352,000円 |
| ６級 | ５人 | 20.0％ | 368,500円 |
"""


def test_a_value_is_stated_with_the_cell_the_question_picked_its_row_by(tmp_path: Path) -> None:
    """The row's key is a grade (「６級」), which reads like a figure: no row header cell comes
    before the values, but the question names it, so it is stated with the value."""
    work, _ = answered_on(tmp_path, GRADES, "青葉村では６級だと最高号給の給料月額がいくら？")
    assert work.draft is not None
    first = work.draft.text.split("[1]")[0]
    assert "６級" in first and "368,500円" in first and "５人" not in first


STAFF = """# 若葉村の職員の状況

## 職種別の平均年齢と給料

| 職種 | 平均年齢 | 職員数 | 平均給料月額 | 民間の平均年齢 |
|---|---|---|---|---|
| 一般行政職 | 41.5歳 | 12人 | 301,000円 | － |
| 技能労務職 | 45.2歳 | 3人 | 280,000円 | － |
"""


def test_a_column_the_question_names_is_the_value_stated_in_any_unit(tmp_path: Path) -> None:
    """いくつ foresees a count (「…つ」「…人」), but the column the question names (平均年齢)
    holds an age: that cell is stated, not the whole row; the placeholder 「－」 under the
    other 平均年齢 column is not a rival."""
    work, _ = answered_on(tmp_path, STAFF, "若葉村の技能労務職の平均年齢はいくつ？")
    assert work.draft is not None
    first = work.draft.text.split("[1]")[0]
    assert "技能労務職" in first and "平均年齢" in first and "45.2歳" in first
    assert "280,000円" not in first and "－" not in first


PROJECTS = """# みなと県の地域プロジェクト

## 取組の例

| 分野 | 取組 | 地域 |
|---|---|---|
| 観光 | 古い倉庫を改装した宿泊施設の整備 | みなと県汐見町 |
| 医療 | 移動診察車によるへき地診療 | みなと県岬村 |
"""


def test_a_cell_the_question_names_by_its_text_is_stated_with_the_rest_of_its_row(
    tmp_path: Path,
) -> None:
    """The question names the 取組 cell by its words, not by its column, and asks which
    自治体 (no どこ, so no kind of fact to look for): that cell is the row's key, and the
    answer is the row's other cells, so the whole row is stated, 地域 included."""
    question = "古い倉庫を宿泊施設に改装している自治体を教えてください"
    work, _ = answered_on(tmp_path, PROJECTS, question)
    assert work.query is not None and work.query.facts.expects is None
    assert work.draft is not None
    first = work.draft.text.split("[1]")[0]
    assert "倉庫" in first and "地域: みなと県汐見町" in first


WATER = """# みどり市水道ビジョン

## 広域連携
広域連携とは、①施設の統合、②料金の統一、③職員の相互派遣をいう。

## 事業の概要

| 項目 | 内容 |
|---|---|
| 事業名 | 上水道事業 |
| 給水人口 | 12,000人 |
| 浄水場 | 2か所 |
"""


def test_a_sentence_that_numbers_its_items_answers_a_list_question(tmp_path: Path) -> None:
    index = index_of(tmp_path, written(tmp_path / "water.md", WATER))
    answer = Assistant(index).ask("広域連携の形態として挙げられている3つは何ですか？")
    assert not answer.refused
    assert all(item in answer.answer for item in ("施設の統合", "料金の統一", "職員の相互派遣"))
    assert "給水人口" not in answer.answer  # not the rows of another section's table


DATA_POLICY = """# みどり市データ利用指針

## 1. はじめに
本指針は、みどり市の各部署がデータを業務で使う際の考え方を示す。データガバナンスの考え方を全庁で共有することを目的とする。

## 2. データガバナンスの推進
各部署は、データガバナンスの方針を定め、責任者を置く。データガバナンスの体制は年1回見直す。

## 3. データガバナンスの運用
データの利用状況を記録し、問題があれば速やかにデータガバナンス委員会に報告する。

## 4. 用語

### オープンデータ
誰もが自由に使えるよう公開されたデータを指す。

### データガバナンス
データの収集から廃棄までの扱いを定めた規程と、それを守らせる体制の設計と運用を指す。
"""


def test_a_quoted_term_that_heads_a_glossary_entry_is_read_from_it_first(tmp_path: Path) -> None:
    # the definition does not repeat the term, which the sections before it use throughout
    index = index_of(tmp_path, written(tmp_path / "data.md", DATA_POLICY))
    question = "みどり市データ利用指針でいう「データガバナンス」の定義を教えて"
    work, _ = run(Assistant(index), question)
    assert work.query is not None and work.retrieved is not None and work.ranked is not None
    assert any("廃棄までの扱い" in c.sentence.text for c in work.retrieved.candidates)
    # under the heading quoted whole, not under 「2. データガバナンスの推進」, whose words it uses
    first = in_named_section(work.query.facts, work.ranked.candidates)[0]
    assert "廃棄までの扱い" in first.sentence.text


DIVISIONS = """# みどり市デジタル人材計画

## 2. 人材の定義と区分
本計画では人材を企画人材、分析人材、開発人材の三つに区分し、それぞれの人材を次のとおり定義する。

### (1) 企画人材
業務改革の企画を担う。

### (2) 分析人材
統計を読み解き、施策の効果を測る。
"""


def test_a_heading_the_question_names_in_full_comes_before_one_it_names_in_part(
    tmp_path: Path,
) -> None:
    index = index_of(tmp_path, written(tmp_path / "divisions.md", DIVISIONS))
    work, _ = run(Assistant(index), "分析人材はどんな人材として定義されている？")
    assert work.query is not None and work.ranked is not None
    assert work.ranked.candidates[0].sentence.text.startswith("本計画では人材を")
    # 「(2) 分析人材」: both its words asked; 「2. 人材の定義と区分」: two of its three
    first = in_named_section(work.query.facts, work.ranked.candidates)[0]
    assert first.sentence.text == "統計を読み解き、施策の効果を測る。"


def test_a_list_under_a_heading_runs_on_over_the_page_break(tmp_path: Path) -> None:
    index = index_of(tmp_path, talent_plan(tmp_path / "plan.pdf"))
    answer = Assistant(index).ask("人材の区分にはどんなものがある？")
    assert not answer.refused
    assert all(role in answer.answer for role in ("企画人材", "分析人材", "開発人材"))
    assert {c.page for c in answer.citations} == {1, 2}  # the heading, then the items


def test_a_list_under_a_heading_the_question_names_wins_over_one_under_a_likelier_heading(
    tmp_path: Path,
) -> None:
    index = index_of(tmp_path, talent_plan(tmp_path / "plan.pdf"))
    assistant = Assistant(index)
    work, _ = run(assistant, "人材の区分にはどんなものがある？")
    assert work.query is not None and work.retrieved is not None
    found = {c.sentence.text: c for c in work.retrieved.candidates}
    purpose, lead_in = (
        found["1. 目的"],
        found["本計画では、市のデジタル人材を次の三つの区分に分けて育成する。"],
    )
    select = next(stage for stage in assistant.stages if isinstance(stage, Select))
    lead, items = select.likeliest_list(work.query.facts, [purpose, lead_in])
    assert lead is not None and lead.sentence.text == "2. 人材の区分"  # not 1. 目的's sentences
    assert [c.sentence.text for c in items][:3] == ["(1) 企画人材", "(2) 分析人材", "(3) 開発人材"]


ACTION_PLAN = """# あおば町デジタル行動計画

## 1. 計画の位置づけ
本計画は、あおば町の行政サービスをデジタル化するための行動目標を定める。あおば町の行動目標は、町民の利便性を高める目標と、職員の働き方を変える目標からなる。

## 2. 分野別の取組
2-1 窓口手続のオンライン化2-2 紙の申請書の原則廃止2-3 職員研修の年2回実施

## 3. 進め方
各課は行動目標ごとに担当者を置き、どんな目標も進み具合を毎年度末に町長へ報告する。あおば町の行動目標は3年ごとに見直す。
"""


def test_a_question_that_numbers_an_item_is_answered_from_the_sentence_labelled_with_it(
    tmp_path: Path,
) -> None:
    # the item's text shares no word with the question, and its heading does not name it; the
    # sentences around it repeat the question's words (fails without numbered_item_first)
    index = index_of(tmp_path, written(tmp_path / "plan.md", ACTION_PLAN))
    work, outcome = run(Assistant(index), "あおば町の行動目標のうち「2-2」はどんな目標ですか？")
    assert work.query is not None and work.query.facts.item_numbers == ("2-2",)
    assert outcome.kind == "answered" and work.selection is not None
    assert "紙の申請書の原則廃止" in work.selection.evidence[0].text


@pytest.mark.parametrize(
    ("question", "numbers"),
    [
        ("行動目標の3-2は何？", ("3-2",)),
        ("「3-1-1」の内容は", ("3-1-1",)),
        ("参加者が5-10人の会議は？", ()),  # a range
        ("研修は3-4日かかる？", ()),
        ("AB12-3型の車両は何両？", ()),  # a model name
    ],
)
def test_an_item_number_is_told_from_a_range_or_a_model_name(
    question: str, numbers: tuple[str, ...]
) -> None:
    assert analyse(question).item_numbers == numbers


def test_an_item_is_labelled_by_a_number_that_opens_it_or_stands_before_a_space() -> None:
    assert labels_item("3-2", "3-2 人材の育成")
    assert labels_item("5-2", "5-1 機能の検証5-2 外部の意見の検討")
    assert not labels_item("3-2", "13-2 別の項目")
    assert not labels_item("3-2", "3-21 別の項目")
    assert not labels_item("3-4", "量は3-4倍になった")


SEWER_PLAN = """# みなと町下水道経営計画

## 1. 計画の概要
計画期間は令和4年度から令和8年度までの5年間とする。みなと町の下水道使用料収入は、令和7年度にかけて人口減少により減っていくと見込まれている。使用料収入の確保が今後の課題であり、みなと町は収支計画に沿って使用料の見直しを検討する。

## 2. 収支計画
| 区分 | 5年度 | 6年度 | 7年度 |
|---|---|---|---|
| ア使用料収入 | 8,200 | 8,050 | 7,900 |
| イ一般会計繰入金 | 3,100 | 3,150 | 3,200 |
| ウ維持管理費 | 9,000 | 9,100 | 9,150 |
"""


def test_a_table_row_the_question_names_by_row_and_year_comes_first(tmp_path: Path) -> None:
    # the prose repeats the question's words and the model prefers it; the row holds the figure
    index = index_of(tmp_path, written(tmp_path / "sewer.md", SEWER_PLAN))
    assistant = Assistant(index)
    question = "みなと町下水道経営計画の収支計画で、令和7年度の使用料収入はいくらと見込まれますか？"
    work, outcome = run(assistant, question)
    assert outcome.kind == "answered" and work.ranked is not None and work.draft is not None
    assert work.ranked.candidates[0].sentence.text.startswith("ア使用料収入｜令和5年度: 8,200")
    assert "7,900" in work.draft.text.splitlines()[0]
    # named without a year column, the row is ranked as the model ranks it
    work, _ = run(assistant, "みなと町の使用料収入はどう見込まれていますか？")
    assert work.ranked is not None
    assert work.ranked.candidates[0].sentence.kind != "table_row"


def test_the_likeliest_sentence_holding_the_figure_asked_for_comes_first(
    small: Assistant,
) -> None:
    work, _ = run(small, "指定避難所は何校？")
    assert work.query is not None and work.retrieved is not None
    question = work.query.facts
    candidates = work.retrieved.candidates
    figure = next(c for c in candidates if "18校" in c.sentence.text)
    plain = [c for c in candidates if not any(ch.isdigit() for ch in c.sentence.text)][:3]
    assert len(plain) == 3

    def order(ranked: list[Candidate]) -> list[str]:
        return [c.sentence.text for c in expected_first(question, ranked)]

    assert order([plain[0], plain[1], figure]) == [
        figure.sentence.text,
        plain[0].sentence.text,
        plain[1].sentence.text,
    ]
    beyond = [*plain, figure]  # past the likeliest three it stays where the model put it
    assert order(beyond) == [c.sentence.text for c in beyond]
    why = analyse("なぜ指定避難所を小中学校に置くの？")  # any sentence may give a reason
    assert [c.sentence.text for c in expected_first(why, [plain[0], figure])] == [
        plain[0].sentence.text,
        figure.sentence.text,
    ]


COMMITTEE = """# みどり市デジタル推進委員会

## 委員会の運営
委員会は毎月第二火曜日に市役所で開かれる。
委員会の座長は山田太郎が務める。
"""


def retrieved_on(tmp_path: Path, text: str, question: str) -> tuple[Question, dict[str, Candidate]]:
    """What ``question`` asks, and its retrieved candidates by text, on an index of ``text``."""
    index = index_of(tmp_path, written(tmp_path / "doc.md", text))
    work, _ = run(Assistant(index), question)
    assert work.query is not None and work.retrieved is not None
    return work.query.facts, {c.sentence.text: c for c in work.retrieved.candidates}


def first_of(question: Question, ranked: list[Candidate]) -> str:
    """The sentence expected_first puts first."""
    return expected_first(question, ranked)[0].sentence.text


def test_a_person_asked_for_is_a_name_fugashi_reads_that_the_question_does_not_name(
    tmp_path: Path,
) -> None:
    question, found = retrieved_on(tmp_path, COMMITTEE, "デジタル推進委員会の座長は誰？")
    meets, chair = (
        found["委員会は毎月第二火曜日に市役所で開かれる。"],
        found["委員会の座長は山田太郎が務める。"],
    )
    assert first_of(question, [meets, chair]) == chair.sentence.text
    successor = analyse("山田太郎の次に座長を務めるのは誰？")  # a name it names answers nothing
    assert successor.focus is Focus.PERSON
    assert first_of(successor, [meets, chair]) == meets.sentence.text


STOCKPILE = """# みどり市備蓄計画

## 備蓄倉庫
市内の小中学校18校を指定避難所とし、備蓄倉庫の整備を進める。
備蓄倉庫は市内12か所に置く。
"""


def test_a_figure_the_question_already_states_is_not_the_one_asked_for(tmp_path: Path) -> None:
    question, found = retrieved_on(
        tmp_path, STOCKPILE, "18校の指定避難所とは別に、備蓄倉庫は何か所ある？"
    )
    schools = found["市内の小中学校18校を指定避難所とし、備蓄倉庫の整備を進める。"]
    places = found["備蓄倉庫は市内12か所に置く。"]
    assert first_of(question, [schools, places]) == places.sentence.text  # 18校 is asked
