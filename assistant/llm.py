"""LLM backends for the optional generative mode, chosen by a typed config (env vars / CLI flags).

All backends are llama-index ``LLM`` instances, decode greedily (temperature 0), stream, and never
download anything. ``build_llm(LLMConfig.from_env())`` gives the default local model through
llama.cpp.
"""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import LLM, CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from assistant.local_model import QWEN_CODER_05B, ensure_model, models_dir

DEFAULT_CONTEXT_WINDOW = 4096
DEFAULT_MAX_TOKENS = 256
_TOKEN_TIMEOUT_S = 300.0  # give up when no token (transformers) or reply (openai) comes this long


class Backend(StrEnum):
    LLAMA_CPP = "llama_cpp"
    OPENAI = "openai"
    TRANSFORMERS = "transformers"


class LLMConfigError(ValueError):
    """A bad backend setting; ``str(err)`` is the one-line reason."""


@dataclass(frozen=True)
class LLMConfig:
    """Which LLM to use. ``model=None`` means the default local model (Qwen2.5-Coder-0.5B GGUF)."""

    backend: Backend = Backend.LLAMA_CPP
    model: str | None = None  # GGUF path (llama_cpp), model name (openai), HF folder (transformers)
    base_url: str | None = None  # openai: the endpoint, e.g. http://127.0.0.1:8080/v1
    api_key: str | None = None  # openai: sent as the bearer token
    gguf_file: str | None = None  # transformers: a GGUF file name inside ``model``
    context_window: int = DEFAULT_CONTEXT_WINDOW
    max_tokens: int = DEFAULT_MAX_TOKENS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMConfig:
        """Read the ``POLICY_QA_LLM_*`` variables (unset or empty ones keep the defaults)."""
        env = os.environ if env is None else env
        raw = {name: env.get(var) for name, var in ENV_VARS.items()}
        return cls().with_overrides(**raw)

    def with_overrides(self, **values: str | int | None) -> LLMConfig:
        """A copy with the given settings replaced; ``None``/empty values are ignored."""
        given = {k: v for k, v in values.items() if v is not None and v != ""}
        unknown = set(given) - {f.name for f in fields(self)}
        if unknown:
            raise LLMConfigError(f"unknown LLM setting(s): {', '.join(sorted(unknown))}")
        if "backend" in given:
            given["backend"] = _parse_backend(str(given["backend"]))
        for name in ("context_window", "max_tokens"):
            if name in given:
                given[name] = _parse_positive_int(name, given[name])
        return replace(self, **given)


ENV_VARS = {
    "backend": "POLICY_QA_LLM_BACKEND",
    "model": "POLICY_QA_LLM_MODEL",
    "base_url": "POLICY_QA_LLM_BASE_URL",
    "api_key": "POLICY_QA_LLM_API_KEY",
    "gguf_file": "POLICY_QA_LLM_GGUF_FILE",
    "context_window": "POLICY_QA_LLM_CTX",
    "max_tokens": "POLICY_QA_LLM_MAX_TOKENS",
}

_CLI_FLAGS = {
    "backend": ("--llm-backend", "llama_cpp | openai | transformers"),
    "model": ("--llm-model", "GGUF path, model name or HF folder"),
    "base_url": ("--llm-base-url", "OpenAI-compatible endpoint (openai backend)"),
    "api_key": ("--llm-api-key", "API key for the endpoint (openai backend)"),
    "gguf_file": ("--llm-gguf-file", "GGUF file inside --llm-model (transformers backend)"),
    "context_window": ("--llm-ctx", "context window in tokens"),
    "max_tokens": ("--llm-max-tokens", "most tokens to generate"),
}


def _parse_backend(value: str) -> Backend:
    try:
        return Backend(value.strip().lower())
    except ValueError:
        choices = ", ".join(b.value for b in Backend)
        raise LLMConfigError(
            f"unknown LLM backend {value!r} (expected one of: {choices})"
        ) from None


def _parse_positive_int(name: str, value: str | int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise LLMConfigError(
            f"{ENV_VARS[name]} / {_CLI_FLAGS[name][0]}: {value!r} is not a whole number above 0"
        )
    return number


def add_llm_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``--llm-*`` flags (each overrides its ``POLICY_QA_LLM_*`` variable)."""
    group = parser.add_argument_group("generative mode (LLM)")
    for name, (flag, help_text) in _CLI_FLAGS.items():
        group.add_argument(
            flag, dest=f"llm_{name}", default=None, help=f"{help_text} (env {ENV_VARS[name]})"
        )


def config_from_args(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> LLMConfig:
    """The config from the environment, overridden by any ``--llm-*`` flags given."""
    flags = {name: getattr(args, f"llm_{name}", None) for name in _CLI_FLAGS}
    return LLMConfig.from_env(env).with_overrides(**flags)


def build_llm(config: LLMConfig) -> LLM:
    """The llama-index LLM the config describes (loads local models; may take a while)."""
    if config.backend is Backend.OPENAI:
        return _build_openai_like(config)
    if config.backend is Backend.TRANSFORMERS:
        return TransformersChatLLM.from_config(config)
    return LlamaCppChatLLM(
        model_path=str(_existing_file(config.model) if config.model else ensure_model()),
        context_window=config.context_window,
        max_tokens=config.max_tokens,
    )


def _existing_file(path: str) -> Path:
    if not Path(path).is_file():
        raise LLMConfigError(f"{ENV_VARS['model']}: model file {path!r} does not exist")
    return Path(path)


def _build_openai_like(config: LLMConfig) -> LLM:
    from llama_index.llms.openai_like import OpenAILike

    if not config.base_url or not config.model:
        raise LLMConfigError(
            f"the openai backend needs {ENV_VARS['base_url']} and {ENV_VARS['model']} "
            "(--llm-base-url, --llm-model)"
        )
    return OpenAILike(
        model=config.model,
        api_base=config.base_url,
        api_key=config.api_key or "no-key",
        is_chat_model=True,
        context_window=config.context_window,
        max_tokens=config.max_tokens,
        temperature=0.0,
        max_retries=1,
        timeout=_TOKEN_TIMEOUT_S,
    )


class _StreamingChatLLM(CustomLLM):
    """A local chat model: subclasses only say how to stream the reply's text for messages."""

    model_name: str
    context_window: int
    max_tokens: int

    def _stream_text(self, messages: list[dict[str, str]]) -> Iterator[str]:
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        """How many tokens the model's tokenizer makes of ``text``."""
        raise NotImplementedError

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens,
            is_chat_model=True,
            model_name=self.model_name,
        )

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = "".join(self._stream_text(_as_dicts(messages)))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        def gen() -> ChatResponseGen:
            text = ""
            for delta in self._stream_text(_as_dicts(messages)):
                text += delta
                yield ChatResponse(
                    message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta
                )

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(self._stream_text(_user_only(prompt))))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            text = ""
            for delta in self._stream_text(_user_only(prompt)):
                text += delta
                yield CompletionResponse(text=text, delta=delta)

        return gen()


def _as_dicts(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role.value, "content": m.content or ""} for m in messages]


def _user_only(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


class LlamaCppChatLLM(_StreamingChatLLM):
    """A GGUF through llama-cpp-python's chat completion, formatted by the GGUF's chat template.

    Not llama-index's ``LlamaCPP``: it formats chats with a generic or hand-written prompt, not
    the GGUF's template, and downloads a 13B model when the path is missing.
    """

    _llama: Any = PrivateAttr()
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, model_path: str, context_window: int, max_tokens: int) -> None:
        from llama_cpp import Llama

        threads = os.cpu_count() or 1
        llama = Llama(
            model_path=model_path,
            n_ctx=context_window,
            n_threads=threads,
            n_threads_batch=threads,
            seed=0,
            verbose=False,
        )
        super().__init__(model_name=model_path, context_window=llama.n_ctx(), max_tokens=max_tokens)
        self._llama = llama

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _stream_text(self, messages: list[dict[str, str]]) -> Iterator[str]:
        with self._lock:  # one llama.cpp context: one generation at a time
            chunks = self._llama.create_chat_completion(
                messages=messages, temperature=0.0, max_tokens=self.max_tokens, stream=True
            )
            for chunk in chunks:
                delta = chunk["choices"][0]["delta"].get("content")
                if delta:
                    yield delta


class TransformersChatLLM(_StreamingChatLLM):
    """A local Hugging Face model (folder, or a GGUF inside it) with its chat template.

    A GGUF is dequantized by transformers on load (minutes on 2 cores); the result is saved once as
    safetensors under ``$POLICY_QA_HOME/models/hf/`` and later loads use that copy.
    """

    _model: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def from_config(cls, config: LLMConfig) -> TransformersChatLLM:
        folder, gguf_file = _transformers_source(config)
        return cls(
            folder=folder,
            gguf_file=gguf_file,
            context_window=config.context_window,
            max_tokens=config.max_tokens,
        )

    def __init__(
        self, folder: str, gguf_file: str | None, context_window: int, max_tokens: int
    ) -> None:
        model, tokenizer = _load_transformers(Path(folder), gguf_file)
        name = str(Path(folder) / gguf_file) if gguf_file else folder
        super().__init__(model_name=name, context_window=context_window, max_tokens=max_tokens)
        self._model = model
        self._tokenizer = tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def _stream_text(self, messages: list[dict[str, str]]) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        inputs = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        prompt_tokens = inputs["input_ids"].shape[-1]
        if prompt_tokens + self.max_tokens > self.context_window:
            raise ValueError(
                f"prompt of {prompt_tokens} tokens plus {self.max_tokens} to generate exceeds the "
                f"context window of {self.context_window}"
            )
        streamer = TextIteratorStreamer(
            self._tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=_TOKEN_TIMEOUT_S
        )
        kwargs = dict(**inputs, streamer=streamer, max_new_tokens=self.max_tokens, do_sample=False)
        with self._lock:
            worker = threading.Thread(target=self._model.generate, kwargs=kwargs, daemon=True)
            worker.start()
            yield from (text for text in streamer if text)
            worker.join()


def _transformers_source(config: LLMConfig) -> tuple[str, str | None]:
    """(folder, gguf file name) for the transformers backend; the default model when unset."""
    if not config.model:
        ensure_model()
        return str(models_dir()), config.gguf_file or QWEN_CODER_05B.filename
    folder = Path(config.model)
    if not folder.is_dir():
        raise LLMConfigError(f"{ENV_VARS['model']}: {config.model!r} is not a model folder")
    if config.gguf_file and not (folder / config.gguf_file).is_file():
        raise LLMConfigError(f"{ENV_VARS['gguf_file']}: {config.gguf_file!r} is not in {folder}")
    return str(folder), config.gguf_file


def _load_transformers(folder: Path, gguf_file: str | None) -> tuple[Any, Any]:
    """Model and tokenizer, read offline; a GGUF is converted once and cached as safetensors."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source, extra = folder, {}
    if gguf_file:
        cached = _converted_gguf_dir(folder / gguf_file)
        if cached.joinpath("config.json").exists():
            source = cached
        else:
            extra = {"gguf_file": gguf_file}
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True, **extra)
    model = AutoModelForCausalLM.from_pretrained(
        source, local_files_only=True, dtype=torch.float32, **extra
    )
    if extra and not getattr(model.hf_quantizer, "packed_modules", None):
        _save_converted(model, tokenizer, cached)
    model.eval()
    return model, tokenizer


def _converted_gguf_dir(gguf_path: Path) -> Path:
    """Where the safetensors copy of a GGUF lives, keyed by its name and size."""
    return models_dir() / "hf" / f"{gguf_path.stem}-{gguf_path.stat().st_size}"


def _save_converted(model: Any, tokenizer: Any, target: Path) -> None:
    """Save a GGUF-loaded (fully dequantized) model as plain safetensors; config.json goes last."""
    model.hf_quantizer.remove_quantization_config(model)
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    os.replace(partial, target)
