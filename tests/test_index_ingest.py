"""Ingest: incremental and idempotent, bad input reported per file, crash-safe, Chroma server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import numpy as np
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from corpus.manifest import shipped_pdfs
from index.ingest import Ingestor, Progress
from index.policy_index import PolicyIndex
from index.store import LEGACY_CHUNKS, SENTENCES, chroma_client, vector_collection
from index.workers import EMBED_TASK, InlineExecutor, embed_all
from tests.ui_fixtures import run_cli

FONT = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"


@pytest.fixture()
def home(shipped_home: Path, tmp_path: Path) -> Path:
    """A private copy of the shipped index, free to change."""
    copy = tmp_path / "home"
    shutil.copytree(shipped_home, copy)
    return copy


def write_md(path: Path, body: str) -> Path:
    path.write_text(f"# 試験用の文書\n\n{body}\n", encoding="utf-8")
    return path


def vector_ids(index: PolicyIndex) -> set[str]:
    return set(index.sentence_collection.get(include=[])["ids"])


def test_shipped_corpus_is_listed(shipped_index: PolicyIndex) -> None:
    docs = {d.doc_id: d for d in shipped_index.documents()}
    assert set(docs) == {"digital-jinzai", "chihou-sousei-2"}
    assert (docs["digital-jinzai"].pages, docs["chihou-sousei-2"].pages) == (6, 4)
    assert all(d.chunks > 3 for d in docs.values())
    assert vector_ids(shipped_index) == shipped_index.sentence_ids()


def test_same_file_twice_adds_nothing(home: Path) -> None:
    index = PolicyIndex(home)
    before = vector_ids(index)
    report = Ingestor(index).ingest(shipped_pdfs(), progress=False)
    assert [r.status for r in report.results] == ["unchanged", "unchanged"]
    assert vector_ids(index) == before


def test_changed_file_replaces_its_chunks(home: Path, tmp_path: Path) -> None:
    index = PolicyIndex(home)
    ingestor = Ingestor(index)
    path = write_md(tmp_path / "memo.md", "旧い内容として、試験用の蜜柑の話を書く。")
    assert ingestor.ingest([path], progress=False).results[0].status == "added"
    old_ids = {c.id for c in index.docs["memo"].chunks}
    write_md(path, "新しい内容として、試験用の葡萄の話を書く。")
    assert ingestor.ingest([path], progress=False).results[0].status == "replaced"
    new_ids = {c.id for c in index.docs["memo"].chunks}
    assert old_ids.isdisjoint(new_ids)
    assert vector_ids(index) == index.sentence_ids()
    assert index.search("葡萄", mode="bm25")[0].doc_id == "memo"
    assert index.search("蜜柑", mode="bm25") == []


def test_rebuild_starts_over(home: Path, tmp_path: Path) -> None:
    path = write_md(tmp_path / "only.md", "再構築の後はこの文書だけが残る。")
    result = run_cli(home, "ingest", "--rebuild", "--quiet", str(path))
    assert result.returncode == 0, result.stderr
    index = PolicyIndex(home)
    assert [d.doc_id for d in index.documents()] == ["only"]
    assert vector_ids(index) == index.sentence_ids()


def test_a_pdf_is_kept_while_its_document_is_indexed(home: Path, tmp_path: Path) -> None:
    index = PolicyIndex(home)
    shipped = {p.stem: p for p in shipped_pdfs()}
    for doc_id in ("digital-jinzai", "chihou-sousei-2"):
        assert index.pdf_copy(doc_id).read_bytes() == shipped[doc_id].read_bytes()
    index.pdf_copy("digital-jinzai").unlink()  # a data folder from before copies were kept
    Ingestor(index).ingest(shipped_pdfs(), progress=False)
    assert index.pdf_copy("digital-jinzai").is_file()
    # the same doc_id from a Markdown source has no PDF to show
    renamed = tmp_path / "chihou-sousei-2.md"
    write_md(renamed, "地方創生の試験用メモとして書く。")
    assert Ingestor(index).ingest([renamed], progress=False).results[0].status == "replaced"
    assert not index.pdf_copy("chihou-sousei-2").exists()
    index.remove_document("digital-jinzai")
    assert not index.pdf_copy("digital-jinzai").exists()


def make_bad_files(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    good = next(p for p in shipped_pdfs() if p.name.startswith("chihou"))
    files = {
        "corrupt": folder / "corrupt.pdf",
        "truncated": folder / "truncated.pdf",
        "encrypted": folder / "encrypted.pdf",
        "scanned": folder / "scanned.pdf",
        "empty": folder / "empty.pdf",
        "fake": folder / "fake.pdf",
    }
    files["corrupt"].write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    data = good.read_bytes()
    files["truncated"].write_bytes(data[: len(data) // 3])
    enc = canvas.Canvas(str(files["encrypted"]), pagesize=A4, encrypt="secret")
    enc.drawString(100, 700, "secret text")
    enc.save()
    scan = canvas.Canvas(str(files["scanned"]), pagesize=A4)
    scan.rect(50, 50, 400, 600, fill=1)
    scan.save()
    files["empty"].write_bytes(b"")
    files["fake"].write_text("これはPDFではありません", encoding="utf-8")
    return files


def test_bad_files_get_one_line_each_and_good_ones_still_go_in(home: Path, tmp_path: Path) -> None:
    bad = make_bad_files(tmp_path / "bad")
    good = write_md(tmp_path / "good.md", "壊れたファイルと一緒でも、この文書は取り込まれる。")
    missing = tmp_path / "nowhere.pdf"
    before = json.dumps(sorted(PolicyIndex(home).chunk_ids()))
    result = run_cli(home, "ingest", "--quiet", *map(str, bad.values()), str(good), str(missing))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == len(bad) + 1
    for path in [*bad.values(), missing]:
        assert sum(path.name in line for line in errors) == 1, (path.name, errors)
    assert "Traceback" not in result.stderr
    index = PolicyIndex(home)
    assert "good" in index.docs
    after = {i for i in index.chunk_ids() if not i.startswith("good:")}
    assert json.dumps(sorted(after)) == before


def child_pids(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


def alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "State:\tZ" not in status.read_text()
    except OSError:
        return False


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_a_stopped_ingest_leaves_a_usable_index(
    home: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(12):  # distinct sentences: none is a cached vector, so the ingest takes a while
        write_md(
            folder / f"doc{i:02d}.md",
            "".join(f"文書{i}番の第{j}項では地域の課題{i * 100 + j}を扱う。" for j in range(60)),
        )
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "--home", str(home), "ingest", "--quiet", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "POLICY_QA_INGEST_WORKERS": "2"},
    )
    deadline = time.monotonic() + 240
    while not list((home / "docs").glob("doc*.json")) and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = child_pids(proc.pid)
    assert len(workers) >= 2  # the ingest really ran in worker processes
    assert proc.poll() is None, "the ingest ended before it could be stopped"
    proc.send_signal(stop)
    _, stderr = proc.communicate(timeout=120)
    if stop == signal.SIGINT:  # Ctrl-C: one line, no traceback, the usual exit status
        assert proc.returncode == 130
        assert stderr.strip().splitlines() == [
            "interrupted: the files stored before it stay in the index; the same command "
            "finishes the rest"
        ]
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers)  # no orphan worker keeps a core busy
    index = PolicyIndex(home)
    assert vector_ids(index) == index.sentence_ids()  # orphans from the killed run are gone
    assert 1 <= len([d for d in index.docs if d.startswith("doc")]) < 12
    assert index.search("デジタル推進人材", k=3)[0].doc_id == "digital-jinzai"
    finished = Ingestor(index, workers=2).ingest([folder], progress=False)
    assert not finished.failed
    assert len([d for d in index.docs if d.startswith("doc")]) == 12


def test_workers_give_the_vectors_one_process_gives(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, body in (("a", "蜜柑の収穫を機械で支える。"), ("b", "葡萄の販路を海外に広げる。")):
        write_md(folder / f"{name}.md", body * 30)
    one, two = PolicyIndex(tmp_path / "one"), PolicyIndex(tmp_path / "two")
    Ingestor(one, workers=1).ingest([folder], progress=False)
    Ingestor(two, workers=2).ingest([folder], progress=False)
    assert one.chunk_ids() == two.chunk_ids() and one.sentence_ids() == two.sentence_ids()
    for doc_id in ("a", "b"):
        sentences = one.document(doc_id).sentences
        assert np.allclose(
            one.sentence_vectors(doc_id, sentences), two.sentence_vectors(doc_id, sentences)
        )


class RecordingExecutor(InlineExecutor):
    """Runs tasks inline and records how many texts each embedding task got."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.sizes.append(len(args[0]))
        return super().submit(fn, *args, **kwargs)


def test_a_short_document_is_embedded_by_every_worker() -> None:
    short, long = RecordingExecutor(), RecordingExecutor()
    texts = [f"第{n}条の文。" for n in range(2 * EMBED_TASK + 6)]
    vectors = embed_all(short, texts[:10], workers=2)
    assert short.sizes == [5, 5] and vectors.shape[0] == 10
    embed_all(long, texts, workers=2)
    assert long.sizes == [EMBED_TASK, EMBED_TASK, 6]
    assert np.allclose(vectors, embed_all(InlineExecutor(), texts[:10], workers=1))


def test_progress_counts_pages_and_files(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    write_md(folder / "memo.md", "進み具合を数える試験の文書。")
    pdf = next(p for p in shipped_pdfs() if p.name.startswith("chihou"))
    shutil.copy(pdf, folder / pdf.name)
    seen: list[Progress] = []
    report = Ingestor(PolicyIndex(tmp_path / "home"), workers=2).ingest(
        [folder], progress=False, on_progress=seen.append
    )
    assert not report.failed
    assert [(p.files_done, p.files_total) for p in seen] == [(1, 2), (2, 2)]
    assert seen[-1].pages_done == seen[-1].pages_total == 4 + 1  # the PDF's pages + the memo
    assert seen[0].pages_done < seen[-1].pages_done and seen[-1].pages_per_second > 0
    assert seen[0].eta_seconds is not None and seen[-1].eta_seconds == 0


def test_a_bad_worker_count_is_one_line(home: Path, tmp_path: Path) -> None:
    path = write_md(tmp_path / "w.md", "作業者の数を誤って指定した場合の文書。")
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "--home", str(home), "ingest", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "POLICY_QA_INGEST_WORKERS": "many"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: POLICY_QA_INGEST_WORKERS='many': expected a whole number of workers"
    ]


def test_empty_data_folder_builds_itself_on_first_search(
    shipped_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "empty-home"
    home.mkdir()
    shutil.copy(shipped_home / "vectors.sqlite", home)  # reuse vectors: same texts
    result = run_cli(home, "search", "情報処理技術者試験", "--json", "--k", "3")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert {
        "rank",
        "score",
        "chunk_id",
        "doc_id",
        "title",
        "source",
        "page",
        "section",
        "text",
    } == set(hits[0])
    assert hits[0]["page"] == 5 and hits[0]["source"] == "digital-jinzai.pdf"


def test_search_batch_writes_one_json_line_per_query(home: Path, tmp_path: Path) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("転職なき移住\n堺屋太一\n", encoding="utf-8")
    result = run_cli(home, "search", "--batch", str(queries), "--json", "--k", "2")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["転職なき移住", "堺屋太一"]
    assert all(len(line["results"]) == 2 for line in lines)


def test_docs_command_lists_pages_and_chunks(home: Path) -> None:
    result = run_cli(home, "docs", "--json")
    docs = {d["doc_id"]: d for d in json.loads(result.stdout)}
    assert docs["digital-jinzai"]["pages"] == 6 and docs["digital-jinzai"]["chunks"] > 0


def test_chroma_server_backend(
    chroma_server: tuple[str, int],
    shipped_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host, port = chroma_server
    monkeypatch.setenv("CHROMA_HOST", host)
    monkeypatch.setenv("CHROMA_PORT", str(port))
    home = tmp_path / "server-home"
    home.mkdir()
    shutil.copy(shipped_home / "vectors.sqlite", home)
    index = PolicyIndex(home)
    Ingestor(index).ingest(shipped_pdfs(), progress=False)
    assert not (home / "chroma").exists()  # vectors live on the server, not in the data folder
    server = chromadb.HttpClient(host=host, port=port)
    assert server.get_collection(SENTENCES).count() == len(index.sentence_ids())
    reopened = PolicyIndex(home)
    top = reopened.search("自動運転バスの運行", k=3, mode="dense")[0]
    assert top.page == 3


def test_an_older_index_loses_its_unused_chunk_vectors(home: Path) -> None:
    vector_collection(chroma_client(home), LEGACY_CHUNKS).add(ids=["old"], embeddings=[[0.1] * 384])
    index = PolicyIndex(home)
    names = {c.name for c in chroma_client(home).list_collections()}
    assert LEGACY_CHUNKS not in names and SENTENCES in names
    assert index.search("デジタル推進人材", k=3, mode="dense")[0].doc_id == "digital-jinzai"
