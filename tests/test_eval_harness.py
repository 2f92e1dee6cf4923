"""The eval harness end to end with real components: shipped index, assistant, both baselines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.compose import STREAM_PIECE
from assistant.pipeline import Assistant
from eval.answers import streamed
from eval.dataset import load_items
from eval.metrics import answer_correct
from eval.run import main
from index.policy_index import PolicyIndex

SMALL = Path(__file__).parent / "fixtures" / "eval_small.jsonl"
SYSTEMS = (
    "ours-extractive",
    "baseline-naive-reader",
    "baseline-bm25okapi",
    "baseline-llamaindex",
)
RETRIEVERS = ("ours-bm25", "ours-dense", "ours-hybrid", "baseline-bm25okapi", "baseline-llamaindex")


def known_items(index: PolicyIndex) -> list[dict[str, Any]]:
    """Two items built from a real chunk: asked with the chunk's own text, so BM25 must rank it
    first; the second points its gold evidence at a page that does not exist. The chunk is the
    longest one whose phrase no other chunk holds (chunks overlap)."""

    def phrase_of(text: str) -> str:
        return "".join(text.split())[20:32]

    texts = ["".join(c.text.split()) for c in index.chunks()]
    unique = [c for c in index.chunks() if sum(phrase_of(c.text) in t for t in texts) == 1]
    chunk = max(unique, key=lambda c: len(c.text))
    phrase = phrase_of(chunk.text)
    gold = {"doc_id": chunk.metadata["doc_id"], "page": chunk.metadata["page"], "phrase": phrase}
    base = {
        "type": "probe",
        "question": chunk.text,
        "history": [],
        "any": [phrase],
        "all": [],
        "refuse": False,
    }
    return [
        {"id": "probe-hit", **base, "evidence": [gold]},
        {"id": "probe-nowhere", **base, "evidence": [{**gold, "page": 99}]},
    ]


@pytest.fixture(scope="module")
def run(
    shipped_home: Path, shipped_index: PolicyIndex, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    work = tmp_path_factory.mktemp("eval-harness")
    questions = work / "questions.jsonl"
    probes = [json.dumps(item, ensure_ascii=False) for item in known_items(shipped_index)]
    questions.write_text(
        SMALL.read_text(encoding="utf-8") + "\n".join(probes) + "\n", encoding="utf-8"
    )
    out = work / "results"
    out.mkdir()
    (out / "20000101-000000-extractive.md").write_text("an older run", encoding="utf-8")
    (out / "notes.txt").write_text("not a run file", encoding="utf-8")
    argv = [
        "--questions",
        str(questions),
        "--out",
        str(out),
        "--home",
        str(shipped_home),
        "--baselines",
        "--quiet",
    ]
    assert main(argv) == 0
    [report] = out.glob("*.json")
    return out, json.loads(report.read_text(encoding="utf-8"))


def by_id(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in results["questions"]}


def test_keeps_the_run_and_copies_it_into_out_deleting_nothing(
    run: tuple[Path, dict[str, Any]], shipped_home: Path
) -> None:
    out, results = run
    name = results["run"]["name"]
    assert name == f"{results['run']['stamp']}-extractive-hybrid-questions"
    files = sorted(
        [
            f"{name}.json",
            f"{name}.md",
            f"{name}.html",
            f"{name}.xlsx",
            *(f"{name}-{plot}.png" for plot in ("accuracy", "latency", "retrieval")),
        ]
    )
    kept = shipped_home / "eval-runs" / name
    assert sorted(p.name for p in kept.iterdir()) == sorted([*files, "config.json"])
    older = ["20000101-000000-extractive.md", "notes.txt"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*files, *older, "latest.md"])
    report = (out / f"{name}.md").read_text(encoding="utf-8")
    assert (out / "latest.md").read_text(encoding="utf-8") == report
    assert (kept / f"{name}.md").read_text(encoding="utf-8") == report
    for plot in out.glob("*.png"):
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.name in report
    assert "## Ours vs baselines" in report
    assert all(f"| {name}" in report for name in SYSTEMS[1:])
    assert f"run time: **{results['run']['total_seconds']:.1f} s**" in report


def test_known_ranks_from_a_probe_chunk(run: tuple[Path, dict[str, Any]]) -> None:
    _, results = run
    questions = by_id(results)
    hit, nowhere = questions["probe-hit"], questions["probe-nowhere"]
    for name in ("ours-bm25", "baseline-bm25okapi"):
        assert hit["retrieval"][name]["rank"] == 1
    for name in RETRIEVERS:
        assert nowhere["retrieval"][name]["rank"] is None
        assert nowhere["retrieval"][name]["relevant_total"] == 0
    for name in RETRIEVERS[:4]:  # the retrievers over our chunks (llama-index has its own)
        assert hit["retrieval"][name]["relevant_total"] == 1
        probe = results["retrieval"][name]["by_type"]["probe"]
        assert probe["gold_in_a_chunk"] == 0.5
        assert probe["recall@10"] == (0.5 if hit["retrieval"][name]["rank"] else 0.0)
    okapi = hit["answers"]["baseline-bm25okapi"]
    assert okapi["correct"] and okapi["quote_supported"] and okapi["page_supported"]
    assert nowhere["answers"]["baseline-bm25okapi"]["page_supported"] is False


def test_aggregates_match_the_per_question_records(run: tuple[Path, dict[str, Any]]) -> None:
    _, results = run
    items = {i.id: i for i in load_items(SMALL)}
    records = results["questions"]
    answerable = [q for q in records if not q["refuse_expected"]]
    for system in SYSTEMS:
        overall = results["answers"][system]["overall"]
        correct = [q["answers"][system]["correct"] for q in records]
        assert overall["n"] == len(records) == 7
        assert overall["accuracy"] == pytest.approx(sum(correct) / len(correct))
        refused = records_of(records, system, "small-unans")["refused"]
        assert overall["refusal_recall"] == (1.0 if refused else 0.0)
        for q in records:
            answer = q["answers"][system]
            if q["id"] in items:
                assert answer["correct"] == answer_correct(
                    items[q["id"]], answer["answer"], answer["refused"]
                )
    for name in RETRIEVERS:
        ranks = [q["retrieval"][name]["rank"] for q in answerable]
        overall = results["retrieval"][name]["overall"]
        assert overall["n"] == len(answerable)
        assert overall["recall@1"] == pytest.approx(ranks.count(1) / len(ranks))
        assert overall["recall@5"] == pytest.approx(
            sum(1 for r in ranks if r and r <= 5) / len(ranks)
        )
        assert overall["mrr@10"] == pytest.approx(
            sum(1 / r for r in ranks if r and r <= 10) / len(ranks)
        )


def records_of(records: list[dict[str, Any]], system: str, item_id: str) -> dict[str, Any]:
    return next(q["answers"][system] for q in records if q["id"] == item_id)


def test_followups_are_retrieved_with_standalone_and_raw_text(
    run: tuple[Path, dict[str, Any]],
) -> None:
    _, results = run
    followup = by_id(results)["small-followup"]
    assert followup["retrieval"]["ours-hybrid"]["query"] == followup["standalone"]
    assert followup["retrieval"]["ours-hybrid:raw-followup"]["query"] == followup["question"]
    assert followup["retrieval"]["baseline-llamaindex"]["query"] == followup["question"]
    assert "ours-hybrid:raw-followup" not in by_id(results)["small-num"]["retrieval"]
    assert results["retrieval"]["ours-hybrid:raw-followup"]["overall"]["n"] == 1


def test_latency_is_measured_for_every_answer(run: tuple[Path, dict[str, Any]]) -> None:
    _, results = run
    latencies = [q["answers"]["ours-extractive"]["latency"] for q in results["questions"]]
    assert all(isinstance(t, float) and t > 0 for t in latencies)
    overall = results["answers"]["ours-extractive"]["overall"]
    assert min(latencies) <= overall["latency_p50"] <= overall["latency_p95"] <= max(latencies)


def test_another_corpus_gets_its_own_index(tmp_path: Path) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "town-plan.md").write_text(
        "# 町の施設計画\n\n- 町立図書館を2030年度までに建て替える。\n- 公園を3か所整備する。\n",
        encoding="utf-8",
    )
    questions = tmp_path / "q.jsonl"
    item = {
        "id": "t-1",
        "type": "date",
        "question": "図書館はいつまでに建て替えますか？",
        "history": [],
        "any": ["2030年度"],
        "all": [],
        "evidence": [{"doc_id": "town-plan", "page": 1, "phrase": "図書館を2030年度までに"}],
        "refuse": False,
    }
    questions.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = [
        "--questions",
        str(questions),
        "--corpus",
        str(corpus),
        "--out",
        str(out),
        "--home",
        str(tmp_path / "home"),
        "--baselines",
        "--quiet",
    ]
    assert main(argv) == 0
    [report] = out.glob("*.json")
    results = json.loads(report.read_text(encoding="utf-8"))
    assert results["run"]["documents"] == ["town-plan"]
    assert Path(results["run"]["index_home"]).parent == tmp_path / "home"
    assert Path(results["run"]["index_home"]).name.startswith("eval-")
    for name in RETRIEVERS:
        assert results["retrieval"][name]["overall"]["recall@1"] == 1.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--questions", "absent.jsonl"], "absent.jsonl: no such file"),
        (
            ["--questions", str(SMALL), "--corpus", "no-such-folder"],
            "no-such-folder: no such file or folder",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--out", str(tmp_path), "--home", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not list(tmp_path.glob("*.md"))


def test_streamed_answers_time_the_first_piece(assistant: Assistant) -> None:
    [item] = load_items(SMALL, limit=1)
    answer, first, rate = streamed(assistant, item)
    asked = assistant.ask(item.question, list(item.history))
    assert (answer.answer, answer.citations) == (asked.answer, asked.citations)
    assert first is not None and first > 0
    assert len(answer.answer) <= STREAM_PIECE or (rate is not None and rate > 0)
