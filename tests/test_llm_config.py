"""LLM backend settings from environment variables and CLI flags, and their one-line errors."""

from __future__ import annotations

import argparse

import pytest

from assistant.llm import Backend, LLMConfig, LLMConfigError, add_llm_arguments, build_llm
from assistant.llm import config_from_args as parse_config


def _parse(argv: list[str], env: dict[str, str]) -> LLMConfig:
    parser = argparse.ArgumentParser()
    add_llm_arguments(parser)
    return parse_config(parser.parse_args(argv), env)


def test_unset_environment_means_default_local_model_through_llama_cpp() -> None:
    config = LLMConfig.from_env({})
    assert config.backend is Backend.LLAMA_CPP
    assert config.model is None


def test_environment_variables_are_read_and_typed() -> None:
    config = LLMConfig.from_env(
        {
            "POLICY_QA_LLM_BACKEND": "openai",
            "POLICY_QA_LLM_MODEL": "qwen",
            "POLICY_QA_LLM_BASE_URL": "http://127.0.0.1:8080/v1",
            "POLICY_QA_LLM_API_KEY": "secret",
            "POLICY_QA_LLM_CTX": "8192",
            "POLICY_QA_LLM_MAX_TOKENS": "64",
            "POLICY_QA_LLM_GGUF_FILE": "",
        }
    )
    assert config == LLMConfig(
        backend=Backend.OPENAI,
        model="qwen",
        base_url="http://127.0.0.1:8080/v1",
        api_key="secret",
        context_window=8192,
        max_tokens=64,
    )


def test_cli_flags_override_environment() -> None:
    env = {"POLICY_QA_LLM_BACKEND": "openai", "POLICY_QA_LLM_CTX": "8192"}
    config = _parse(["--llm-backend", "transformers", "--llm-model", "/models/x"], env)
    assert config.backend is Backend.TRANSFORMERS
    assert config.model == "/models/x"
    assert config.context_window == 8192


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"POLICY_QA_LLM_BACKEND": "gpt"},
            "unknown LLM backend 'gpt' (expected one of: llama_cpp, openai, transformers)",
        ),
        (
            {"POLICY_QA_LLM_CTX": "big"},
            "POLICY_QA_LLM_CTX / --llm-ctx: 'big' is not a whole number above 0",
        ),
        (
            {"POLICY_QA_LLM_MAX_TOKENS": "0"},
            "POLICY_QA_LLM_MAX_TOKENS / --llm-max-tokens: '0' is not a whole number above 0",
        ),
    ],
)
def test_bad_settings_give_one_line_messages(env: dict[str, str], message: str) -> None:
    with pytest.raises(LLMConfigError) as err:
        LLMConfig.from_env(env)
    assert str(err.value) == message


def test_backends_name_what_is_missing() -> None:
    with pytest.raises(
        LLMConfigError, match="needs POLICY_QA_LLM_BASE_URL and POLICY_QA_LLM_MODEL"
    ):
        build_llm(LLMConfig(backend=Backend.OPENAI, model="qwen"))
    with pytest.raises(LLMConfigError, match=r"model file '/nonexistent\.gguf' does not exist"):
        build_llm(LLMConfig(model="/nonexistent.gguf"))
    with pytest.raises(LLMConfigError, match="'/nonexistent' is not a model folder"):
        build_llm(LLMConfig(backend=Backend.TRANSFORMERS, model="/nonexistent"))
