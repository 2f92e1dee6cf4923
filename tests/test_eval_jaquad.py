"""JaQuAD as a retrieval task: a small SQuAD-format folder made here stands in for the data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.jaquad import (
    HELD_OUT_EVERY,
    Article,
    Question,
    conversation_items,
    elide_title,
    load_split,
)
from eval.run import main

TOWNS = ["青葉町", "白石村", "緑川市", "黒岩町", "赤坂村", "金山市", "銀河町", "朝日村", "夕陽市"]


def article(number: int) -> dict[str, Any]:
    """An article with one paragraph that states a unique founding year and mascot."""
    town = TOWNS[number % len(TOWNS)] + f"{number}"
    year = f"{1900 + number}年"
    context = (
        f"{town}は山あいにある自治体である。{town}は{year}に設立された。"
        f"マスコットは「{town}くん」と呼ばれている。"
    )
    qas = [
        {
            "id": f"q-{number}-year",
            "question": f"{town}が設立されたのは何年ですか。",
            "answers": [{"text": year, "answer_start": context.index(year), "answer_type": "Date"}],
        }
    ]
    return {"title": town, "paragraphs": [{"context": context, "qas": qas}]}


@pytest.fixture(scope="module")
def jaquad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("jaquad")
    (folder / "dev").mkdir()
    data = {"version": "test", "data": [article(n) for n in range(HELD_OUT_EVERY)]}
    (folder / "dev" / "jaquad_dev_0000.json").write_text(json.dumps(data, ensure_ascii=False))
    return folder


def test_articles_become_pages_and_every_tenth_is_held_out(jaquad_dir: Path) -> None:
    articles = load_split("dev", jaquad_dir)
    assert [a.held_out for a in articles] == [False] * (HELD_OUT_EVERY - 1) + [True]
    assert articles[0].text().startswith(f"{articles[0].title}\n\n")
    assert articles[0].questions[0].page == 1


def test_a_run_asks_indexed_questions_and_held_out_ones_to_refuse(
    jaquad_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    argv = ["--jaquad", "dev", "--jaquad-dir", str(jaquad_dir), "--home", str(tmp_path)]
    argv += ["--answerable", "9", "--unanswerable", "1", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    [report] = out.glob("*.json")
    results = json.loads(report.read_text(encoding="utf-8"))
    records = results["questions"]
    assert len(records) == 10
    assert [q["refuse_expected"] for q in records].count(True) == 1
    held_out = next(q for q in records if q["refuse_expected"])
    assert held_out["id"] == f"q-{HELD_OUT_EVERY - 1}-year"
    assert f"jaquad-{HELD_OUT_EVERY - 1:04d}" not in results["run"]["documents"]
    hybrid = results["retrieval"]["ours-hybrid"]["overall"]
    assert hybrid["recall@1"] == 1.0  # each town's question names that town only
    assert results["answers"]["ours-extractive"]["overall"]["accuracy_answerable"] >= 0.8


def test_missing_data_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--jaquad", "dev", "--jaquad-dir", str(tmp_path / "nothing"), "--home", str(tmp_path)]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "JaQuAD not found" in err and err.count("\n") == 1


def test_a_title_is_left_to_the_previous_turn_only_where_it_stands_as_a_word() -> None:
    assert elide_title("青葉町の人口は何人ですか。", "青葉町") == "その人口は何人ですか。"
    assert elide_title("青葉町は何年に設立されたか。", "青葉町") == "何年に設立されたか。"
    assert elide_title("『青葉町』が舞台の映画は何？", "青葉町") == "舞台の映画は何？"
    assert elide_title("新青葉町の人口は何人ですか。", "青葉町") is None  # part of a longer name
    assert elide_title("青葉町長の名前は何ですか。", "青葉町") is None  # 町長 is not 町
    assert elide_title("青葉町の人口と、青葉町の面積は？", "青葉町") is None  # twice
    assert elide_title("青葉町はどこ？", "青葉町") is None  # too little left


def test_conversation_items_pair_followups_topic_changes_and_refusals() -> None:
    def questions(town: str, number: int) -> tuple[Question, ...]:
        asked = ["の人口は何人ですか。", "は何年に設立されたか。", "の特産品は何ですか。"]
        return tuple(
            Question(f"q{number}-{i}", town + tail, (f"答{number}-{i}",), "Other", 1)
            for i, tail in enumerate(asked)
        )

    articles = [
        Article(n, TOWNS[n % len(TOWNS)], ("本文",), questions(TOWNS[n % len(TOWNS)], n))
        for n in range(HELD_OUT_EVERY)
    ]
    items = conversation_items(articles, 20)
    kinds = {item.type for item in items}
    assert kinds == {"followup", "switch", "unanswerable"}
    for item in items:
        previous = item.history[0]["content"]
        if item.type == "switch":
            assert item.question not in previous and not item.refuse
            assert not any(item.question.startswith(t) and t in previous for t in TOWNS)
        else:
            title = next(t for t in TOWNS if previous.startswith(t))
            assert title not in item.question and item.refuse == (item.type == "unanswerable")
