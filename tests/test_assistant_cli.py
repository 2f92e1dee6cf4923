"""``policy-qa ask`` (single, --json, --batch) as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.retrieve import Retrieve
from assistant.work import Outcome, Work
from tests.ui_fixtures import run_cli
from ui.cli import main


def test_ask_json_has_answer_citations_refused(shipped_home: Path) -> None:
    result = run_cli(shipped_home, "ask", "統計データアナリストの育成研修はどの省庁？", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert {"answer", "citations", "refused"} <= out.keys()
    assert "総務省" in out["answer"] and out["refused"] is False
    citation = out["citations"][0]
    assert {"n", "doc_id", "title", "page", "section", "quote"} <= citation.keys()
    assert citation["page"] == 5


def test_ask_plain_text_prints_sources(shipped_home: Path) -> None:
    result = run_cli(shipped_home, "ask", "転職なき移住は何のための取組？")
    assert result.returncode == 0, result.stderr
    assert "[1]" in result.stdout and "p.2" in result.stdout


def test_ask_batch_answers_each_line_and_reports_bad_ones(
    shipped_home: Path, tmp_path: Path
) -> None:
    batch = tmp_path / "questions.jsonl"
    lines = [
        {"id": "a", "q": "文部科学省の施策は？", "history": []},
        "this is not json",
        {
            "id": "b",
            "q": "では総務省は？",
            "history": [
                {"role": "user", "content": "文部科学省の施策は？"},
                {
                    "role": "assistant",
                    "content": "数理・データサイエンス・AI教育プログラム認定制度です。",
                },
            ],
        },
        {"id": "c", "q": ""},
    ]
    batch.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines),
        encoding="utf-8",
    )
    result = run_cli(shipped_home, "ask", "--batch", str(batch), "--json")
    assert result.returncode == 2
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == ["a", "b"]
    keys = {"id", "answer", "citations", "refused", "outcome", "reason"}
    assert all(set(a) == keys for a in answers)
    assert "総務省" in answers[1]["answer"]
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2 and "line 2" in errors[0] and "line 4" in errors[1]


def test_ask_without_question_is_a_one_line_error(shipped_home: Path) -> None:
    result = run_cli(shipped_home, "ask")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: ask needs a QUESTION or --batch FILE"


def test_an_unknown_document_id_is_one_line(shipped_home: Path) -> None:
    result = run_cli(shipped_home, "ask", "人口減少の影響は？", "--doc", "no-such-doc")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: unknown document id no-such-doc (see `policy-qa docs`)"


def test_a_question_that_fails_does_not_stop_the_batch(
    shipped_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A stage that raises (injected for one question) gives that line {"id", "error"}; the
    questions after it are still answered and the exit code is 1."""
    real_run = Retrieve.run

    def breaks_on_marker(self: Retrieve, work: Work) -> Outcome | None:
        if "故障" in work.turn.question:
            raise OSError("disk unavailable")
        return real_run(self, work)

    monkeypatch.setattr(Retrieve, "run", breaks_on_marker)
    batch = tmp_path / "questions.jsonl"
    lines = [{"id": "x", "q": "故障する質問"}, {"id": "y", "q": "総務省はどんな研修を行う？"}]
    batch.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    assert main(["--home", str(shipped_home), "ask", "--batch", str(batch), "--json"]) == 1
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first == {"id": "x", "error": "retrieve failed: OSError: disk unavailable"}
    assert second["id"] == "y" and second["outcome"] == "answered"
