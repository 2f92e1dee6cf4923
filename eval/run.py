"""``python -m eval run`` / ``policy-qa eval``: answer the questions, score them, report."""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from eval.dataset import QUESTIONS, DatasetError, EvalItem
from eval.jaquad import SPLITS, JaquadMissing
from eval.sheets import QuestionSet, load_questions

if TYPE_CHECKING:
    from eval.answers import AnswerRecord
    from eval.retrieval import RetrievalResult, Retriever
    from index.policy_index import PolicyIndex

MODES = ("extractive", "generative")
RETRIEVERS = ("bm25", "dense", "hybrid")
EXIT_BAD_INPUT = 2


class CorpusError(ValueError):
    """A ``--corpus`` folder that cannot be evaluated; ``str(err)`` is the one-line reason."""


@dataclass
class Clock:
    """Seconds spent per phase of the run, and since the start."""

    started: float = field(default_factory=time.perf_counter)
    phases: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        since = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = round(time.perf_counter() - since, 2)

    def total(self) -> float:
        return round(time.perf_counter() - self.started, 2)


def build_parser() -> argparse.ArgumentParser:
    from assistant.llm import add_llm_arguments

    parser = argparse.ArgumentParser(
        prog="python -m eval run",
        description="Evaluate the assistant on a question set and write a report.",
    )
    parser.add_argument("--mode", choices=[*MODES, "both"], default="extractive")
    parser.add_argument("--retriever", choices=RETRIEVERS, default="hybrid",
                        help="retriever the assistant uses (all three are scored anyway)")
    parser.add_argument("--baselines", action="store_true",
                        help="also score plain BM25 and llama-index's default pipeline")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, metavar="FILE",
                        help="question set: .jsonl, .csv or .xlsx (see eval/README.md)")
    parser.add_argument("--corpus", type=Path, nargs="+", default=None, metavar="PATH",
                        help="evaluate against these files or folders (default: shipped corpus)")
    parser.add_argument("--jaquad", choices=SPLITS, default=None, metavar="SPLIT",
                        help="JaQuAD train|dev as a retrieval task (instead of --questions)")
    parser.add_argument("--jaquad-dir", type=Path, default=None, metavar="DIR",
                        help="JaQuAD folder (default $POLICY_QA_JAQUAD or ../shared/data/jaquad)")
    parser.add_argument("--answerable", type=_positive, default=1200, metavar="N",
                        help="JaQuAD: answerable questions sampled from the indexed articles")
    parser.add_argument("--unanswerable", type=_positive, default=150, metavar="N",
                        help="JaQuAD: questions sampled from the held-out articles")
    parser.add_argument("--articles", type=_positive, default=None, metavar="N",
                        help="JaQuAD: only the first N articles of the split (as make selector)")
    parser.add_argument("--conversation", type=_positive, default=None, metavar="N",
                        help="JaQuAD: chat turns instead: N follow-ups that leave the topic to "
                             "the previous turn, N changes of topic, N/10 follow-ups to refuse")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="also copy the run's files (and latest.md) here, e.g. eval/results")
    parser.add_argument("--label", default=None, metavar="TEXT",
                        help="name of the run folder after its time stamp "
                             "(default <mode>-<retriever>[-<question file>])")
    parser.add_argument("--xlsx", type=Path, default=None, metavar="FILE",
                        help="also write the per-question table to this .xlsx file")
    parser.add_argument("--limit", type=_positive, default=None, metavar="N",
                        help="only the first N questions")
    parser.add_argument("--home", default=None,
                        help="data folder (default $POLICY_QA_HOME or ./var)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_llm_arguments(parser)
    return parser


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def corpus_files(paths: Sequence[Path]) -> list[Path]:
    """The ingestible files named by ``paths`` (folders searched recursively)."""
    from index.ingest import expand_paths

    files, missing = expand_paths(paths)
    if missing:
        raise CorpusError(missing[0].message)
    if not files:
        raise CorpusError(f"{' '.join(map(str, paths))}: no PDF, .txt or .md files")
    return files


def corpus_home(home: Path, files: Sequence[Path]) -> Path:
    """A data folder of its own for one set of documents (named by a hash of their bytes)."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return home / f"eval-{digest.hexdigest()[:12]}"


def open_eval_index(
    home: str | None, corpus: Sequence[Path] | None, progress: bool
) -> tuple[PolicyIndex, list[Path]]:
    """The index to evaluate and the files it was built from."""
    from corpus.manifest import shipped_pdfs
    from index.ingest import Ingestor, open_index
    from index.policy_index import PolicyIndex
    from index.store import data_home

    if corpus is None:
        index, pdfs = open_index(home, progress=progress), shipped_pdfs()
        names = {p.name for p in pdfs}
        extra = sorted(d.doc_id for d in index.documents() if d.source not in names)
        if extra:
            print(f"warning: the index also holds {', '.join(extra)}", file=sys.stderr)
        return index, pdfs
    files = corpus_files(corpus)
    index = PolicyIndex(corpus_home(data_home(home), files))
    report = Ingestor(index).ingest(files, progress=progress)
    for failure in report.failed:
        print(f"warning: skipped {failure.message}", file=sys.stderr)
    if index.is_empty:
        raise CorpusError(f"{' '.join(map(str, corpus))}: none of its files could be read")
    return index, files


def assistant_answers(
    index: PolicyIndex, args: argparse.Namespace, items: list[EvalItem], clock: Clock
) -> dict[str, list[AnswerRecord]]:
    """The assistant's graded answers, per requested mode."""
    from assistant.llm import config_from_args
    from assistant.pipeline import Assistant
    from eval.answers import ask_all

    llm_config = config_from_args(args)
    answers: dict[str, list[AnswerRecord]] = {}
    for mode in MODES if args.mode == "both" else (args.mode,):
        with clock.phase(f"answers-{mode}"):
            assistant = Assistant(
                index, mode=mode, retriever_mode=args.retriever, llm_config=llm_config
            )
            answers[f"ours-{mode}"] = ask_all(assistant, items, mode, not args.quiet)
    return answers


RetrievalRun = tuple[str, "Retriever", dict[str, str]]


def retrieval_runs(
    index: PolicyIndex,
    files: list[Path],
    items: list[EvalItem],
    standalone: dict[str, str],
    with_baselines: bool,
) -> list[RetrievalRun]:
    """(label, retriever, query per item id): our three retrievers on the standalone questions
    and on the raw follow-ups, and the baselines on the questions as asked."""
    from eval.baselines import LlamaIndexBaseline, PlainBM25Baseline
    from eval.retrieval import IndexRetriever

    followups = {item.id: item.question for item in items if item.history}
    runs: list[RetrievalRun] = []
    for mode in RETRIEVERS:
        retriever = IndexRetriever(index, mode)
        runs.append((retriever.name, retriever, standalone))
        if followups:
            runs.append((f"{retriever.name}:raw-followup", retriever, followups))
    if with_baselines:
        documents = {d.source: d.doc_id for d in index.documents()}
        cache = index.home / "eval-baseline-embeddings.json"
        readable = [f for f in files if f.name in documents]
        asked = {item.id: item.question for item in items}
        runs.append((PlainBM25Baseline.name, PlainBM25Baseline(index.chunks()), asked))
        llama = LlamaIndexBaseline(readable, documents, index.embed_model, cache)
        runs.append((llama.name, llama, asked))
    return runs


def evaluate(
    args: argparse.Namespace,
    items: list[EvalItem],
    clock: Clock,
    opened: tuple[PolicyIndex, list[Path]] | None = None,
) -> dict[str, Any]:
    """Everything the report needs: run facts, metrics per system, per-question records.

    ``opened`` is an index already open (and the files it was built from) to evaluate instead
    of the one ``args`` names."""
    from eval.answers import naive_answers, top_passage_answers
    from eval.baselines import BASELINES, NAIVE_NAME, NaiveReader
    from eval.retrieval import recording_query_vectors, run_retrievers
    from eval.summary import summarize_answers, summarize_retrieval

    with clock.phase("index"):
        index, files = opened or open_eval_index(args.home, args.corpus, not args.quiet)
    with recording_query_vectors() as known_vectors:
        answers = assistant_answers(index, args, items, clock)
    standalone = {r.item_id: r.standalone for r in next(iter(answers.values()))}
    with clock.phase("retrievers-build"):
        runs = retrieval_runs(index, files, items, standalone, args.baselines)
    with clock.phase("retrieval"):
        embed = index.embed_model.get_query_embedding
        retrieval = run_retrievers(runs, items, embed, known_vectors, not args.quiet)
    for name in BASELINES if args.baselines else ():
        answers[name] = top_passage_answers(name, items, retrieval[name])
    if args.baselines:
        with clock.phase("naive-reader"):
            answers[NAIVE_NAME] = naive_answers(NaiveReader(index), items, embed, known_vectors)

    return {
        "run": {
            "mode": args.mode,
            "retriever": args.retriever,
            "baselines": args.baselines,
            "questions_file": str(args.questions),
            "questions": len(items),
            "limit": args.limit,
            "corpus": corpus_label(args),
            "index_home": str(index.home),
            "documents": sorted(d.doc_id for d in index.documents()),
            "documents_sha256": {
                d.doc_id: index.document(d.doc_id).content_hash for d in index.documents()
            },
            "embedding": index.embed_model.model_name,
            "cpus": os.cpu_count(),
            "llm": llm_description(args) if args.mode != "extractive" else None,
        },
        "answers": {name: summarize_answers(items, recs) for name, recs in answers.items()},
        "retrieval": {name: summarize_retrieval(items, res) for name, res in retrieval.items()},
        "passages": {name: pool_stats(r) for name, r, _ in runs if ":" not in name},
        "questions": question_records(items, answers, retrieval),
    }


def corpus_label(args: argparse.Namespace) -> str:
    if args.jaquad:
        return f"JaQuAD {args.jaquad} ({len(args.corpus)} articles indexed)"
    return " ".join(map(str, args.corpus)) if args.corpus else "shipped"


def jaquad_task(args: argparse.Namespace) -> list[EvalItem]:
    """JaQuAD as documents (written into the data folder) and its sampled questions;
    ``args.corpus`` is set to the written files."""
    from eval.jaquad import conversation_items, eval_items, load_split, write_corpus
    from index.store import data_home

    articles = load_split(args.jaquad, args.jaquad_dir)[: args.articles]
    args.corpus = write_corpus(articles, data_home(args.home) / f"jaquad-{args.jaquad}-docs")
    if args.conversation:
        args.questions = f"jaquad:{args.jaquad}:conversation"
        return conversation_items(articles, args.conversation)[: args.limit]
    args.questions = f"jaquad:{args.jaquad}"
    return eval_items(articles, args.answerable, args.unanswerable)[: args.limit]


def llm_description(args: argparse.Namespace) -> dict[str, str]:
    """Which LLM generative mode used (never the API key)."""
    from assistant.llm import config_from_args

    config = config_from_args(args)
    return {"backend": config.backend.value, "model": config.model or "default local model"}


def pool_stats(retriever: Retriever) -> dict[str, Any]:
    """How many passages a retriever chooses from, and how long they are."""
    from eval.metrics import percentile

    lengths = [len(p.text) for p in retriever.passages()]
    return {"passages": len(lengths), "chars_p50": round(percentile(lengths, 50) or 0)}


def question_records(
    items: Sequence[EvalItem],
    answers: dict[str, list[AnswerRecord]],
    retrieval: dict[str, list[RetrievalResult]],
) -> list[dict[str, Any]]:
    """One record per question: what was asked, each system's answer and retrieval ranks."""
    answer_by = {name: {r.item_id: r for r in recs} for name, recs in answers.items()}
    ranks_by = {name: {r.item_id: r for r in res} for name, res in retrieval.items()}
    records = []
    for item in items:
        first = next(iter(answer_by.values()))[item.id]
        records.append({
            "id": item.id,
            "type": item.type,
            "question": item.question,
            "history": list(item.history),
            "standalone": first.standalone,
            "refuse_expected": item.refuse,
            "expected_any": list(item.any),
            "expected_all": list(item.all),
            "evidence": [asdict(e) for e in item.evidence],
            "answers": {
                name: {k: v for k, v in asdict(by_id[item.id]).items() if k != "item_id"}
                for name, by_id in answer_by.items()
            },
            "retrieval": {
                name: {
                    "query": by_id[item.id].query,
                    "rank": by_id[item.id].first_rank,
                    "relevant_total": by_id[item.id].relevant_total,
                    "top": [f"{p.doc_id}:p{p.page}" for p in by_id[item.id].ranked],
                }
                for name, by_id in ranks_by.items()
                if item.id in by_id
            },
        })
    return records


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; 0 on success, 2 on bad input (one-line message on stderr)."""
    from assistant.llm import LLMConfigError
    from assistant.local_model import ModelUnavailable

    clock = Clock()
    args = build_parser().parse_args(argv)
    try:
        found = (
            QuestionSet(jaquad_task(args)) if args.jaquad
            else load_questions(args.questions, args.limit)
        )
        for line in found.warnings:
            print(f"warning: {line}", file=sys.stderr)
        for line in found.errors:
            print(f"error: {line}", file=sys.stderr)
        results = evaluate(args, found.items, clock)
        results["run"]["command"] = " ".join(
            ["python -m eval run", shlex.join(argv if argv is not None else sys.argv[2:])]
        ).strip()
    except (DatasetError, CorpusError, JaquadMissing, LLMConfigError, ModelUnavailable) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from eval.commands import print_runs
    from eval.history import runs_root, save_run, summary
    from index.store import data_home

    folder = save_run(results, clock, runs_root(data_home(args.home)), args.label, args.out)
    if args.xlsx:
        args.xlsx.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / f"{folder.name}.xlsx", args.xlsx)
    print_runs([summary(folder)])
    print(f"report: {folder / folder.name}.html")
    print(f"run time: {clock.total():.1f} s")
    return EXIT_BAD_INPUT if found.errors else 0
