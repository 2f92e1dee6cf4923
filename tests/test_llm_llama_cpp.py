"""The default local model through llama.cpp: grounded answers that verify, greedy streaming."""

from __future__ import annotations

import pytest
from llama_index.core.llms import LLM

from assistant.generate import answer_messages, fit_to_context, rewrite_followup
from assistant.llm import LlamaCppChatLLM, LLMConfig, build_llm
from assistant.verify_generated import content_words
from tests.llm_fixtures import PLAN_EVIDENCE, assert_answer_cites

EVIDENCE = PLAN_EVIDENCE


@pytest.fixture(scope="module")
def qwen() -> LLM:
    return build_llm(LLMConfig(context_window=2048, max_tokens=200))


def test_default_config_loads_the_packaged_qwen_gguf(qwen: LLM) -> None:
    assert isinstance(qwen, LlamaCppChatLLM)
    assert qwen.metadata.model_name.endswith("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
    assert qwen.metadata.context_window == 2048
    assert qwen.metadata.is_chat_model


def test_answer_is_grounded_and_its_citation_verifies(qwen: LLM) -> None:
    assert fit_to_context(qwen, EVIDENCE, "みどり市は何を配備しますか？") == EVIDENCE
    assert_answer_cites(qwen, "みどり市は何を配備しますか？", "電子黒板", EVIDENCE[0])


def test_streaming_equals_the_whole_reply_at_temperature_zero(qwen: LLM) -> None:
    messages = answer_messages("北海道ではドローン研修を年に何回実施しますか？", EVIDENCE)
    streamed = [chunk.delta for chunk in qwen.stream_chat(messages)]
    assert len(streamed) > 3
    assert "".join(streamed) == qwen.chat(messages).message.content


def test_followup_rewrite_resolves_the_reference_within_the_conversation(qwen: LLM) -> None:
    history = [
        {"role": "user", "content": "みどり市は何を配備しますか？"},
        {"role": "assistant", "content": "全小学校に電子黒板を配備します[1]。"},
    ]
    question = "それはいつまでに？"
    assert rewrite_followup(qwen, question, []) == question
    rewritten = rewrite_followup(qwen, question, history)
    context = question + "".join(turn["content"] for turn in history)
    new_words = [w for w in content_words(rewritten) if w not in context]
    assert len(new_words) <= 2, rewritten
    assert "電子黒板" in rewritten  # それ resolved from the conversation
