"""``policy-qa``: ingest, docs, remove, search, ask, chat, serve, feedback, eval."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from assistant.types import Answer
    from index.policy_index import PolicyIndex

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1  # a question could not be answered (its one-line reason is printed)
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class CliError(Exception):
    """A user error reported as one line with exit code 2."""


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def _read_lines(path: str) -> Iterator[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise CliError(f"{path}: no such file") from err
    except UnicodeDecodeError as err:
        raise CliError(f"{path}: not UTF-8 text") from err
    yield from (line for line in text.splitlines() if line.strip())


# ---- index commands ---------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from index.embedding import forget_embedding_signature
    from index.ingest import Ingestor
    from index.policy_index import PolicyIndex
    from index.store import data_home

    if args.title and len(args.paths) != 1:
        print("error: --title names one document: give exactly one file", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.rebuild:  # everything is embedded again, so the model in use becomes the index's
        forget_embedding_signature(data_home(args.home))
    index = PolicyIndex(args.home)
    try:
        report = Ingestor(index).ingest(
            args.paths,
            rebuild=args.rebuild,
            progress=not args.quiet,
            ocr=args.ocr,
            title=args.title,
        )
    except KeyboardInterrupt:
        print(
            "interrupted: the files stored before it stay in the index; the same command "
            "finishes the rest",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    for result in report.results:
        if result.status == "failed":
            print(f"error: {result.message}", file=sys.stderr)
        else:
            print(
                f"{result.status}: {result.path} ({result.doc_id}, {result.pages} pages, "
                f"{result.chunks} chunks)"
            )
    timing = ", ".join(f"{stage} {secs:.1f}s" for stage, secs in report.seconds.items())
    if timing:
        print(f"time: {timing}")
    return EXIT_BAD_INPUT if report.failed else 0


def cmd_docs(args: argparse.Namespace) -> int:
    from index.ingest import open_index

    documents = open_index(args.home).documents()
    if args.json:
        _print_json([asdict(d) for d in documents])
        return 0
    for d in documents:
        print(f"{d.doc_id}\t{d.title}\t{d.source}\t{d.pages} pages\t{d.chunks} chunks")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from index.policy_index import PolicyIndex
    from ui.documents import DocumentError, remove_document
    from ui.page_view import PageImages

    index = PolicyIndex(args.home)
    try:
        title = remove_document(index, PageImages(index), args.doc_id)
    except DocumentError as err:
        raise CliError(str(err)) from err
    print(f"removed: {args.doc_id} ({title})")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from index.ingest import open_index

    index = open_index(args.home)
    _known_documents(index, args.doc)

    def run(query: str) -> list[dict[str, object]]:
        hits = index.search(query, k=args.k, mode=args.mode, doc_ids=args.doc)
        return [
            {key: value for key, value in asdict(h).items() if key not in {"start", "end"}}
            for h in hits
        ]

    if args.batch:
        for query in _read_lines(args.batch):
            _print_json({"query": query, "results": run(query)})
        return 0
    if not args.query:
        raise CliError("search needs a QUERY or --batch FILE")
    results = run(args.query)
    if args.json:
        _print_json(results)
        return 0
    for r in results:
        print(f"{r['rank']:>2}. [{r['score']:.4f}] {r['title']} p.{r['page']} — {r['section']}")
        print(f"    {str(r['text'])[:120]}")
    return 0


# ---- answer commands ---------------------------------------------------------------------------
def _known_documents(index: PolicyIndex, doc_ids: list[str] | None) -> None:
    """A ``--doc`` the index does not hold is a one-line error, not an empty answer."""
    unknown = sorted(set(doc_ids or ()) - {d.doc_id for d in index.documents()})
    if unknown:
        raise CliError(f"unknown document id {', '.join(unknown)} (see `policy-qa docs`)")


def _assistant(args: argparse.Namespace) -> Assistant:
    from assistant.llm import config_from_args
    from assistant.pipeline import Assistant
    from index.ingest import open_index

    index = open_index(args.home)
    _known_documents(index, args.doc)
    return Assistant(index, mode=args.mode, llm_config=config_from_args(args))


def _answer_live(
    assistant: Assistant, question: str, history: list[dict[str, str]], doc: list[str] | None
) -> Answer:
    """Print generated tokens as they stream, then return the verified answer."""
    streamed = False
    for piece in assistant.stream(question, history, doc_ids=doc):
        if isinstance(piece, str):
            if assistant.mode == "generative":
                print(piece, end="", flush=True)
                streamed = True
        else:
            if streamed:
                print(f"\n--- 検証後の回答 ({piece.path}) ---")
            return piece
    raise RuntimeError("the answer stream ended without an answer")


def _print_answer(answer: Answer) -> None:
    print(answer.answer)
    for c in answer.citations or answer.related:
        print(f"[{c.n}] {c.title} p.{c.page} {c.section}\n    「{c.quote}」")


def _batch_item(line_no: int, line: str) -> tuple[str, str, list[dict[str, str]]]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        raise CliError(f"line {line_no}: not JSON ({err.msg})") from err
    if not isinstance(item, dict) or not isinstance(item.get("q"), str) or not item["q"].strip():
        raise CliError(f'line {line_no}: needs a non-empty string field "q"')
    history = item.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(t, dict) and {"role", "content"} <= t.keys() for t in history
    ):
        raise CliError(f'line {line_no}: "history" must be a list of {{role, content}} objects')
    return str(item.get("id", line_no)), item["q"], history


def cmd_ask(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    if args.batch:
        return _ask_batch(assistant, args)
    if not args.question or not args.question.strip():
        raise CliError("ask needs a QUESTION or --batch FILE")
    if args.json:
        answer = assistant.ask(args.question, doc_ids=args.doc)
        _print_json(answer.to_json())
    else:
        answer = _answer_live(assistant, args.question, [], args.doc)
        _print_answer(answer)
    if answer.outcome == "failed":
        print(f"error: {answer.reason}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _ask_batch(assistant: Assistant, args: argparse.Namespace) -> int:
    """One JSON line per question; a bad line or a failed answer is reported and skipped.
    Exit 2 if a line was bad, else 1 if a question failed."""
    bad_line = failed = False
    for line_no, line in enumerate(_read_lines(args.batch), start=1):
        try:
            item_id, question, history = _batch_item(line_no, line)
        except CliError as err:
            print(f"error: {args.batch}: {err}", file=sys.stderr)
            bad_line = True
            continue
        answer = assistant.ask(question, history, doc_ids=args.doc)
        if answer.outcome == "failed":
            _print_json({"id": item_id, "error": answer.reason})
            failed = True
            continue
        out = answer.to_json()
        keys = ("answer", "citations", "refused", "outcome", "reason")
        _print_json({"id": item_id, **{k: out[k] for k in keys}})
    return EXIT_BAD_INPUT if bad_line else EXIT_FAILED if failed else 0


def cmd_chat(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    history: list[dict[str, str]] = []
    print("質問をどうぞ（終了: exit または Ctrl-D）")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            return 0
        if question in {"exit", "quit"}:
            return 0
        if not question:
            continue
        answer = _answer_live(assistant, question, history, args.doc)
        _print_answer(answer)
        history += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.answer},
        ]


# ---- front-ends (later stages, imported only when asked for) ------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.llm import config_from_args
    from ui.server import serve

    serve(
        host=args.host,
        port=args.port,
        home=args.home,
        mode=args.mode,
        llm_config=config_from_args(args),
    )
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from index.store import data_home
    from ui.feedback import FeedbackStore, eval_item

    items = FeedbackStore(data_home(args.home)).items(args.rating)
    if args.action == "export":
        for item in items:
            _print_json(eval_item(item))
    elif args.jsonl:
        for item in items:
            _print_json(item.to_json())
    else:
        for item in items:
            mark = "👍" if item.rating == "up" else "👎"
            comment = f"\t{item.comment}" if item.comment else ""
            print(f"fb-{item.id:04d}\t{item.created}\t{mark}\t{item.record.question}{comment}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """``policy-qa eval run|template|runs|diff …`` (no sub-command: run)."""
    from eval.commands import main as eval_main

    argv = list(args.eval_args)
    if args.home and "--home" not in argv and argv[:1] != ["template"]:
        argv += ["--home", args.home]
    return eval_main(argv)


# ---- parser -------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from assistant.llm import add_llm_arguments

    parser = argparse.ArgumentParser(
        prog="policy-qa", description="日本の政策文書Q&A (cited answers)"
    )
    parser.add_argument(
        "--home", default=None, help="data folder (default $POLICY_QA_HOME or ./var)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="add PDF/.txt/.md files or folders to the index")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--rebuild", action="store_true", help="drop the index and start over")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.add_argument("--ocr", action="store_true", help="read scanned pages with Tesseract")
    ingest.add_argument("--title", default="", help="the document's title (one file only)")
    ingest.set_defaults(func=cmd_ingest)

    docs = sub.add_parser("docs", help="list indexed documents")
    docs.add_argument("--json", action="store_true")
    docs.set_defaults(func=cmd_docs)

    remove = sub.add_parser("remove", help="remove a document (see `docs` for its id)")
    remove.add_argument("doc_id")
    remove.set_defaults(func=cmd_remove)

    search = sub.add_parser("search", help="search chunks")
    search.add_argument("query", nargs="?")
    search.add_argument("--k", type=int, default=10)
    search.add_argument("--mode", choices=["bm25", "dense", "hybrid"], default="hybrid")
    search.add_argument("--doc", action="append", help="only this document id (repeatable)")
    search.add_argument("--json", action="store_true")
    search.add_argument("--batch", metavar="FILE", help="one query per line; JSON lines out")
    search.set_defaults(func=cmd_search)

    ask = sub.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--doc", action="append", help="only this document id (repeatable)")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--batch", metavar="FILE", help='JSON lines {"id", "q", "history"}')
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="terminal chat with history")
    chat.add_argument("--doc", action="append", help="only this document id (repeatable)")
    chat.set_defaults(func=cmd_chat)

    serve = sub.add_parser("serve", help="start the Gradio chat UI")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    serve.set_defaults(func=cmd_serve)

    for answering in (ask, chat, serve):
        answering.add_argument(
            "--mode",
            choices=["extractive", "generative"],
            default="extractive",
            help="extractive (default, no LLM) or generative (LLM answer, every sentence verified)",
        )
        add_llm_arguments(answering)

    feedback = sub.add_parser("feedback", help="answer feedback from the chat and the API")
    feedback.add_argument(
        "action",
        choices=["list", "export"],
        help="list: the items; export: JSON lines in the eval question format (eval/README.md)",
    )
    feedback.add_argument("--rating", choices=["up", "down"], help="only 👍 (up) or 👎 (down)")
    feedback.add_argument(
        "--jsonl", action="store_true", help="list as JSON lines (export always writes them)"
    )
    feedback.set_defaults(func=cmd_feedback)

    evaluate = sub.add_parser(
        "eval", help="evaluate: eval run|template|runs|diff … (python -m eval …)", add_help=False
    )
    evaluate.set_defaults(func=cmd_eval, eval_args=[])  # filled by main: all that follows eval
    return parser


def _split_eval(argv: list[str]) -> tuple[list[str], list[str]]:
    """``[--home H] eval ARGS…`` → (the arguments up to ``eval``, ARGS) so that ARGS, options
    included, go to the eval commands unparsed; other commands → (argv, [])."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] == "--home" else 1
    if i < len(argv) and argv[i] == "eval":
        return argv[: i + 1], argv[i + 1 :]
    return argv, []


def main(argv: list[str] | None = None) -> int:
    from assistant.llm import LLMConfigError
    from assistant.local_model import ModelUnavailable
    from index.embedding import EmbeddingMismatch
    from index.remote_embedding import EmbeddingServerError
    from index.workers import WorkerCountError

    head, eval_args = _split_eval(sys.argv[1:] if argv is None else list(argv))
    args = build_parser().parse_args(head)
    if args.command == "eval":
        args.eval_args = eval_args
    handler: Callable[[argparse.Namespace], int] = args.func
    try:
        return handler(args)
    except (
        CliError,
        LLMConfigError,
        ModelUnavailable,
        EmbeddingServerError,
        EmbeddingMismatch,
        WorkerCountError,
    ) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
