"""Answer latency of the default (extractive) chain: cold start, then warm p50/p95.

    python bench/answer_latency.py [--home DIR] [--questions eval/questions.jsonl]

Cold start = a fresh ``policy-qa ask`` process on an existing index, from exec to the printed
answer (imports, model load, index open, one answer). Warm = ``Assistant.ask`` over the question
set after one warm-up question, in this process; the per-stage split shows where time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.pipeline import Assistant  # noqa: E402
from index.ingest import open_index  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cold_start(home: Path, question: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "assistant", "--home", str(home), "ask", question],
            check=True,
            capture_output=True,
            cwd=ROOT,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=os.environ.get("POLICY_QA_HOME", str(ROOT / "var")))
    parser.add_argument("--questions", default=str(ROOT / "eval" / "questions.jsonl"))
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()
    home = Path(args.home)

    index = open_index(home)  # builds from the shipped corpus on first use
    assistant = Assistant(index)
    items = [json.loads(line) for line in Path(args.questions).read_text().splitlines() if line]
    assistant.ask(items[0]["question"])  # warm-up

    total: list[float] = []
    stages: dict[str, list[float]] = {}
    for item in items:
        started = time.perf_counter()
        answer = assistant.ask(item["question"], item.get("history") or [])
        total.append(time.perf_counter() - started)
        for stage, seconds in answer.timings.items():
            stages.setdefault(stage, []).append(seconds)

    cold = cold_start(home, items[0]["question"], args.cold_runs)
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores)")
    print(
        f"warm answers over {len(total)} questions: p50 {statistics.median(total) * 1000:.0f} ms, "
        f"p95 {percentile(total, 0.95) * 1000:.0f} ms, max {max(total) * 1000:.0f} ms"
    )
    for stage, values in stages.items():
        print(
            f"  {stage:16s} p50 {statistics.median(values) * 1000:7.1f} ms   "
            f"p95 {percentile(values, 0.95) * 1000:7.1f} ms"
        )
    print(
        f"cold start to first answer (fresh process, {len(cold)} runs): "
        f"min {min(cold):.1f} s, median {statistics.median(cold):.1f} s"
    )


if __name__ == "__main__":
    main()
