"""The transformers backend: the packaged Qwen GGUF loaded offline, answering with a citation."""

from __future__ import annotations

import pytest
from llama_index.core.llms import LLM

from assistant.llm import Backend, LLMConfig, TransformersChatLLM, build_llm
from assistant.local_model import QWEN_CODER_05B, models_dir
from tests.llm_fixtures import PLAN_EVIDENCE, assert_answer_cites

pytest.importorskip("transformers", reason="the hf extra is not installed")


EVIDENCE = PLAN_EVIDENCE


@pytest.fixture(scope="module")
def qwen_hf() -> LLM:
    """The default model through transformers (the first load converts the GGUF, minutes)."""
    return build_llm(LLMConfig(backend=Backend.TRANSFORMERS, context_window=2048, max_tokens=120))


def test_gguf_is_converted_once_and_cached_as_safetensors(qwen_hf: LLM) -> None:
    assert isinstance(qwen_hf, TransformersChatLLM)
    assert qwen_hf.metadata.model_name == str(models_dir() / QWEN_CODER_05B.filename)
    cached = list((models_dir() / "hf").glob("qwen2.5-coder-0.5b-instruct-q4_k_m-*"))
    assert [p.name for p in cached] == ["qwen2.5-coder-0.5b-instruct-q4_k_m-491400064"]
    assert (cached[0] / "model.safetensors").is_file()
    assert "quantization_config" not in (cached[0] / "config.json").read_text()


def test_answer_streams_and_its_citation_verifies(qwen_hf: LLM) -> None:
    question = "北海道ではドローン研修を年に何回実施しますか？"
    assert_answer_cites(qwen_hf, question, "120回", EVIDENCE[2])
