"""No question makes the answer path fail: ≥ 500 questions made from a real-looking PDF's
sentences, headings and table cells (built here), plus odd strings and odd chat histories."""

from __future__ import annotations

import random

import pytest

from assistant.pipeline import Assistant
from index.ingest import Ingestor
from index.policy_index import PolicyIndex
from tests.pdf_factory import government_report

TEMPLATES = (
    "{}とは何ですか？",
    "{}はいつですか",
    "{}は何人？",
    "{}について教えて",
    "なぜ{}のですか",
    "{}はどの課の担当？",
    "{}を一覧で挙げて",
    "{}の2つ目は？",
    "「{}」はどこに書かれていますか",
    "{}の金額はいくら",
)
ODD = [
    "",
    " ",
    "？",
    "。。。",
    "「",
    "」」」",
    "①②③",
    "それは？",
    "では？",
    "2つ目は？",
    "a" * 600,
    "あ" * 2000,
    "\x00\x01\x02",
    "😀🎉",
    "[1][2][3]",
    "SELECT * FROM docs;",
    "<script>alert(1)</script>",
    "令和元年度の十二月三十一日は？",
    "１，２３４，５６７円は何割？",
    "の の の は は は",
]
HISTORIES = (
    [],
    [{"role": "user", "content": ""}],
    [{"role": "assistant", "content": "- 項目[1]\n- 項目[2]"}],
    [{"role": "user", "content": "職員数は？"}, {"role": "assistant", "content": "「A」「B」"}],
    [{"role": "user", "content": "😀"}, {"role": "assistant", "content": ""}],
)


@pytest.fixture(scope="module")
def report_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    folder = tmp_path_factory.mktemp("fuzz-docs")
    government_report(folder / "midori-kotsu.pdf")
    index = PolicyIndex(tmp_path_factory.mktemp("fuzz-home"))
    assert not Ingestor(index).ingest([folder], progress=False).failed
    return Assistant(index)


def fragments(assistant: Assistant) -> list[str]:
    """Pieces of the document's own text: sentence halves, headings, table cells and labels."""
    pieces: list[str] = []
    for document in assistant.index.docs.values():
        for sentence in document.document.sentences:
            text = sentence.text
            pieces += [text, text[: len(text) // 2], text[len(text) // 2 :]]
        for record in document.document.tables:
            pieces += [record.label, *record.header, *record.cells]
    return [p for p in dict.fromkeys(pieces) if p]


def test_five_hundred_questions_end_answered_or_refused(report_assistant: Assistant) -> None:
    rng = random.Random(7)
    pieces = fragments(report_assistant)
    questions = [rng.choice(TEMPLATES).format(rng.choice(pieces)) for _ in range(480)] + ODD
    assert len(questions) >= 500
    failures = []
    for number, question in enumerate(questions):
        history = HISTORIES[number % len(HISTORIES)]
        answer = report_assistant.ask(question, history)
        if answer.outcome == "failed":
            failures.append((question[:40], answer.reason))
            continue
        assert answer.outcome in ("answered", "refused")
        for citation in answer.citations:
            page = report_assistant.index.document(citation.doc_id).page(citation.page)
            assert citation.quote in page.text
    assert failures == []


def test_the_report_answers_from_its_text(report_assistant: Assistant) -> None:
    answer = report_assistant.ask("交通行動調査の回答率は何％でしたか")
    assert not answer.refused and "48.5" in answer.answer
