"""The OpenAI-compatible API, mounted at ``/v1`` beside the chat (see ui/server.py).

``GET /v1/models``, ``GET /v1/documents``, ``POST /v1/chat/completions`` (plain, or
``stream: true`` as server-sent events ending with ``data: [DONE]``) and ``POST /v1/feedback``.
The last message is the question, earlier user/assistant messages are the follow-up history,
and an extra body field ``documents: [doc_id, …]`` limits the answer to those documents. The
reply's text keeps its [n] markers and ends with a plain 「出典」 list; the message also carries
``citations``, ``refused``, ``related`` and ``standalone_question`` as data. A stream sends
verified text only: the answer is checked against its sources before its first piece goes out,
because a client cannot take text back. With ``POLICY_QA_API_KEY`` set, every request needs
``Authorization: Bearer <key>``. Errors are OpenAI-style JSON, ``{"error": {"message", "type",
"param", "code"}}``, never a traceback.
"""

from __future__ import annotations

import hmac
import json
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.exceptions import HTTPException

from assistant.pipeline import Assistant
from assistant.types import Answer, Citation
from index.policy_index import PolicyIndex
from ui.app import CONCURRENCY, HISTORY_MESSAGES  # as many answers at a time as the chat
from ui.feedback import MAX_COMMENT_CHARS, AnswerRecord, FeedbackStore
from ui.page_view import PageImages
from ui.render import answer_text, cut_question, strip_sources

API_KEY_VAR = "POLICY_QA_API_KEY"
MODELS = {"policy-qa-extractive": "extractive", "policy-qa-generative": "generative"}
MAX_BODY_BYTES = 1_000_000  # a request body larger than this is refused (413)
MAX_MESSAGES = 200
MAX_MESSAGE_CHARS = 50_000
KEPT_COMPLETIONS = 1000  # recent completions that feedback can still refer to


class APIError(Exception):
    """A request the API turns down: HTTP status and the OpenAI error fields."""

    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = (
            status,
            message,
            param,
            code,
            kind,
        )


def error_response(error: APIError) -> JSONResponse:
    body = {
        "error": {
            "message": error.message,
            "type": error.kind,
            "param": error.param,
            "code": error.code,
        }
    }
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(body, status_code=error.status, headers=headers)


# ---- request bodies ------------------------------------------------------------------------
Text = Annotated[str, StringConstraints(max_length=MAX_MESSAGE_CHARS)]


class ContentPart(BaseModel):
    type: str
    text: Text | None = None


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The fields used; other OpenAI parameters (temperature, max_tokens …) are accepted and
    ignored, since the answer is composed from the documents."""

    model_config = ConfigDict(extra="ignore")
    model: str
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    documents: list[str] | None = Field(None, max_length=MAX_MESSAGES)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    completion_id: str
    rating: Literal["up", "down"]
    comment: str = Field("", max_length=MAX_COMMENT_CHARS)


# ---- the API -------------------------------------------------------------------------------
class ChatAPI:
    """The ``/v1`` routes over one assistant, its index, the feedback store and page images."""

    def __init__(
        self,
        assistant: Assistant,
        index: PolicyIndex,
        feedback: FeedbackStore,
        pages: PageImages,
        *,
        llm_available: bool = False,
        api_key: str | None = None,
    ) -> None:
        self.assistant = assistant
        self.index = index
        self.feedback = feedback
        self.pages = pages
        self.models = [m for m, mode in MODELS.items() if llm_available or mode != "generative"]
        self.api_key = os.environ.get(API_KEY_VAR) if api_key is None else api_key
        self._slots = threading.BoundedSemaphore(CONCURRENCY)
        self._completions: OrderedDict[str, AnswerRecord] = OrderedDict()
        self._completions_lock = threading.Lock()

    def app(self) -> FastAPI:
        """The API as its own FastAPI app (its own error handlers), to mount at ``/v1``."""
        api = FastAPI(
            title="policy-qa OpenAI-compatible API",
            dependencies=[Depends(self._authorize)],
            openapi_url=None,
            docs_url=None,
            redoc_url=None,
        )
        api.add_exception_handler(APIError, lambda _, err: error_response(err))  # type: ignore[arg-type]
        api.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
        api.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
        api.add_exception_handler(Exception, _server_error)
        api.middleware("http")(_limit_body)
        api.add_api_route("/models", self.list_models, methods=["GET"])
        api.add_api_route("/models/{model}", self.get_model, methods=["GET"])
        api.add_api_route("/documents", self.list_documents, methods=["GET"])
        api.add_api_route("/chat/completions", self.chat_completions, methods=["POST"])
        api.add_api_route("/feedback", self.post_feedback, methods=["POST"])
        return api

    def _authorize(self, request: Request) -> None:
        if not self.api_key:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), self.api_key.encode()
        ):
            raise APIError(401, "missing or incorrect API key", code="invalid_api_key")

    # ---- models ----------------------------------------------------------------------------
    def _model(self, model: str) -> dict[str, Any]:
        if model not in self.models:
            raise APIError(
                404,
                f"the model {model!r} does not exist (available: {', '.join(self.models)})",
                param="model",
                code="model_not_found",
            )
        return {"id": model, "object": "model", "created": 0, "owned_by": "policy-qa"}

    def list_models(self) -> dict[str, Any]:
        return {"object": "list", "data": [self._model(m) for m in self.models]}

    def get_model(self, model: str) -> dict[str, Any]:
        return self._model(model)

    def list_documents(self) -> dict[str, Any]:
        """The indexed documents, whose ids the ``documents`` field of a chat request takes."""
        return {"object": "list", "data": [asdict(d) for d in self.index.documents()]}

    # ---- chat completions ------------------------------------------------------------------
    def chat_completions(self, body: ChatRequest, request: Request) -> Any:
        """The answer to the last message, as one completion or as a stream of chunks."""
        self._model(body.model)
        question, notice = cut_question(_question(body.messages))
        history = _history(body.messages[:-1])
        documents = self._documents(body.documents)
        with self._slots:
            answer = self.assistant.ask(
                question, history, doc_ids=documents, mode=MODELS[body.model]
            )
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        self._remember(completion_id, AnswerRecord.of_answer(answer, history, documents))
        text = answer_text(answer, notice)
        extra = self._answer_data(answer, str(request.base_url))
        head = {"id": completion_id, "created": int(time.time()), "model": body.model}
        if body.stream:
            return StreamingResponse(
                _sse(head, text, extra),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        message = {"role": "assistant", "content": text, **extra}
        choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        return {**head, "object": "chat.completion", "choices": [choice]}

    def _documents(self, documents: list[str] | None) -> list[str] | None:
        if documents is None:
            return None
        if not documents:
            raise APIError(400, "documents must name at least one document", param="documents")
        unknown = sorted(set(documents) - set(self.index.docs))
        if unknown:
            raise APIError(
                400,
                f"unknown document id {', '.join(unknown)} (see GET /v1/documents)",
                param="documents",
                code="unknown_document",
            )
        return documents

    def _answer_data(self, answer: Answer, base_url: str) -> dict[str, Any]:
        """The message's extra fields: citations (with their page image), refusal, related, and
        the question as understood after follow-up rewriting."""

        def data(citation: Citation) -> dict[str, Any]:
            fields = {k: v for k, v in asdict(citation).items() if k != "chunk_text"}
            url = self.pages.url([citation])
            return {**fields, "page_image": base_url + url if url else None}

        return {
            "citations": [data(c) for c in answer.citations],
            "refused": answer.refused,
            "related": [data(c) for c in answer.related],
            "standalone_question": answer.standalone_question,
        }

    def _remember(self, completion_id: str, record: AnswerRecord) -> None:
        with self._completions_lock:
            self._completions[completion_id] = record
            while len(self._completions) > KEPT_COMPLETIONS:
                self._completions.popitem(last=False)

    # ---- feedback --------------------------------------------------------------------------
    def post_feedback(self, body: FeedbackRequest) -> dict[str, Any]:
        """👍/👎 and a comment on a recent completion of this server (by its ``id``)."""
        with self._completions_lock:
            record = self._completions.get(body.completion_id)
        if record is None:
            raise APIError(
                404,
                f"no recent completion {body.completion_id!r} (feedback refers to a completion"
                " id this server returned)",
                param="completion_id",
                code="completion_not_found",
            )
        item_id = self.feedback.add(record, body.rating, body.comment, channel="api")
        return {"id": item_id, "object": "feedback", "completion_id": body.completion_id}


async def _limit_body(request: Request, call_next: Any) -> Any:
    """Refuse a body whose declared length is over :data:`MAX_BODY_BYTES` before reading it."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        message = f"the request body is over {MAX_BODY_BYTES} bytes"
        return error_response(APIError(413, message, code="request_too_large"))
    return await call_next(request)


def _question(messages: Sequence[Message]) -> str:
    last = messages[-1]
    if last.role != "user" or not last.text.strip():
        raise APIError(
            400,
            "the last message must be a user message with text (the question)",
            param="messages",
        )
    return last.text


def _history(messages: Sequence[Message]) -> list[dict[str, str]]:
    """Earlier user/assistant turns, an answer's sources list cut off (system messages are
    not used: the assistant answers from the documents only)."""
    turns = [
        {"role": m.role, "content": strip_sources(m.text) if m.role == "assistant" else m.text}
        for m in messages
        if m.role in {"user", "assistant"} and m.text.strip()
    ]
    return turns[-HISTORY_MESSAGES:]


def _sse(head: dict[str, Any], text: str, extra: dict[str, Any]) -> Iterator[str]:
    """The completion as ``chat.completion.chunk`` events: the role, the text line by line,
    then an empty delta with the citations and ``finish_reason``, then ``[DONE]``."""

    def event(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        chunk = {**head, "object": "chat.completion.chunk", "choices": [choice]}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for line in text.splitlines(keepends=True):
        yield event({"content": line})
    yield event(extra, "stop")
    yield "data: [DONE]\n\n"


async def validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
    """A body or parameter that does not fit: 400 naming the first field at fault."""
    first = err.errors()[0] if err.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part != "body"]
    if first.get("type") == "json_invalid":
        message, param = "the request body is not valid JSON", None
    elif not location:
        message, param = "the request body must be a JSON object", None
    else:
        param = ".".join(location) or None
        message = f"{param or 'body'}: {first.get('msg', 'invalid value')}"
    return error_response(APIError(400, message, param=param, code="invalid_request"))


async def _http_error(_: Request, err: HTTPException) -> JSONResponse:
    kind = "server_error" if err.status_code >= 500 else "invalid_request_error"
    return error_response(APIError(err.status_code, str(err.detail), kind=kind))


async def _server_error(_: Request, err: Exception) -> JSONResponse:
    message = f"the server could not answer ({type(err).__name__})"
    return error_response(APIError(500, message, kind="server_error"))
