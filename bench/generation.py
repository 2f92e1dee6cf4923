"""Generative mode speed of the default local model (Qwen2.5-Coder-0.5B Q4_K_M) per backend.

    python bench/generation.py [--backends llama_cpp transformers] [--evidence 5] [--max-tokens 128]

For each backend, in this process: model load time, then for each question the prompt size, time
to first token, decode speed (tokens/s after the first token) and whether the answer verified.
llama.cpp is the baseline; the first question is cold (whole prompt evaluated), later ones reuse
the cached system prompt and worked example where the backend can (llama.cpp does, transformers
does not). Evidence is consecutive sentences of the ministry page of the shipped PDF.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.generate import answer_messages, fit_to_context, stream_answer  # noqa: E402
from assistant.llm import Backend, LLMConfig, build_llm  # noqa: E402
from assistant.local_model import QWEN_CODER_05B, models_dir  # noqa: E402
from assistant.types import Evidence  # noqa: E402
from assistant.verify_generated import verify  # noqa: E402
from corpus.extract import extract_document  # noqa: E402
from corpus.manifest import load_manifest  # noqa: E402

QUESTIONS = [
    "厚生労働省はどのような取組をしていますか？",
    "デジタル庁の研修は誰を対象としていますか？",
    "文部科学省は何を認定していますか？",
]
PAGE_TITLE = "デジタル人材育成に向けた各省庁の取組"


def shipped_evidence(count: int) -> list[Evidence]:
    """``count`` consecutive text sentences of the ministry page, as the chain would pass them."""
    entry = next(e for e in load_manifest() if e.doc_id == "digital-jinzai")
    document = extract_document(entry.pdf_path)
    page = next(p for p in document.pages if p.title == PAGE_TITLE)
    sentences = [s for s in document.sentences if s.page == page.number and s.kind != "heading"]
    return [
        Evidence.of_sentence(document, s, f"{document.doc_id}-{s.page}", page.text)
        for s in sentences[:count]
    ]


def run_backend(backend: Backend, evidence: list[Evidence], max_tokens: int) -> None:
    cached = any((models_dir() / "hf").glob(f"{Path(QWEN_CODER_05B.filename).stem}-*/config.json"))
    note = {
        Backend.LLAMA_CPP: "GGUF via llama.cpp",
        Backend.TRANSFORMERS: "cached safetensors" if cached else "GGUF → safetensors conversion",
    }[backend]
    started = time.perf_counter()
    llm = build_llm(LLMConfig(backend=backend, context_window=2048, max_tokens=max_tokens))
    print(f"\n== {backend.value}: load {time.perf_counter() - started:.1f} s ({note})")
    print("  run  prompt_tok  ttft_s  out_tok  decode_tok/s  total_s  verified")
    for run, question in enumerate(QUESTIONS, start=1):
        used = fit_to_context(llm, evidence, question)
        prompt = "".join(m.content or "" for m in answer_messages(question, used))
        started = time.perf_counter()
        first = None
        pieces = []
        for piece in stream_answer(llm, question, used):
            first = first or time.perf_counter()
            pieces.append(piece)
        ended = time.perf_counter()
        text = "".join(pieces)
        out_tokens = llm.count_tokens(text)
        ttft = (first or ended) - started
        decode = (out_tokens - 1) / (ended - first) if first and out_tokens > 1 else 0.0
        result = verify(text, used, question)
        print(
            f"  {run:>3}  {llm.count_tokens(prompt):>10}  {ttft:>6.2f}  {out_tokens:>7}  "
            f"{decode:>12.1f}  {ended - started:>7.2f}  {result.supported!s:>8}"
        )
        print(f"       answer: {text.strip()[:120]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backends", nargs="+", default=["llama_cpp", "transformers"], choices=list(Backend)
    )
    parser.add_argument("--evidence", type=int, default=5, help="evidence sentences per prompt")
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    evidence = shipped_evidence(args.evidence)
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    print(f"evidence: {len(evidence)} sentences, {sum(len(e.text) for e in evidence)} characters")
    for backend in args.backends:
        run_backend(Backend(backend), evidence, args.max_tokens)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
