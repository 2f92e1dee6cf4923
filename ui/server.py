"""One process, one port: the chat at ``/``, the OpenAI-compatible API at ``/v1``, page images
at ``/page/<doc_id>/<page>.png?quote=…``; a FastAPI app with the Gradio app mounted under it."""

from __future__ import annotations

import threading
import time
from typing import Annotated

import gradio as gr
import uvicorn
from fastapi import FastAPI, Query, Response
from fastapi.exceptions import RequestValidationError

from assistant.llm import LLMConfig
from assistant.pipeline import Assistant
from index.ingest import open_index
from index.policy_index import PolicyIndex
from ui.api import APIError, ChatAPI, error_response, validation_error
from ui.app import CSS_PATH, MAX_FILE_SIZE, PHONE_MARGIN, WARM_UP_QUESTION, build_app
from ui.feedback import FeedbackStore
from ui.page_view import PageImages, PageViewError

START_TIMEOUT_S = 60
SHUTDOWN_GRACE_S = 5  # open event streams (a browser's chat) are cut after this on shutdown
PAGE_CACHE_S = 300  # browsers may keep a page image this long (a replaced PDF shows after it)


def create_app(
    assistant: Assistant,
    index: PolicyIndex,
    *,
    llm_available: bool = False,
    api_key: str | None = None,
) -> FastAPI:
    """The whole server as one ASGI app (``api_key`` None: ``$POLICY_QA_API_KEY``)."""
    feedback = FeedbackStore(index.home)
    pages = PageImages(index)
    blocks = build_app(
        assistant, index, llm_available=llm_available, feedback=feedback, pages=pages
    )
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    api = ChatAPI(assistant, index, feedback, pages, llm_available=llm_available, api_key=api_key)
    app.mount("/v1", api.app())

    @app.get("/page/{doc_id}/{page}.png")
    def page_image(
        doc_id: str, page: int, quote: Annotated[list[str] | None, Query()] = None
    ) -> Response:
        """A cited page as PNG with each ``quote`` boxed (repeat ``quote`` for several)."""
        try:
            data = pages.png(doc_id, page, quote or [])
        except PageViewError as err:
            return error_response(APIError(err.status, str(err)))
        headers = {"Cache-Control": f"private, max-age={PAGE_CACHE_S}"}
        return Response(data, media_type="image/png", headers=headers)

    return gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        css_paths=[CSS_PATH],
        head=PHONE_MARGIN,
        max_file_size=MAX_FILE_SIZE,
        footer_links=["api"],
        ssr_mode=False,
    )


class Server:
    """Uvicorn serving an app in a background thread (tests, benchmarks)."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.url = f"http://{host}:{port}/"
        self._server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> Server:
        """Start and return once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start on {self.url}")
            time.sleep(0.01)
        return self

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


def start(
    assistant: Assistant,
    index: PolicyIndex,
    host: str,
    port: int,
    *,
    llm_available: bool = False,
    api_key: str | None = None,
) -> Server:
    """The server over ``assistant`` running in the background on ``host:port``."""
    app = create_app(assistant, index, llm_available=llm_available, api_key=api_key)
    return Server(app, host, port).start()


def serve(
    host: str = "127.0.0.1",
    port: int = 7860,
    home: str | None = None,
    *,
    mode: str = "extractive",
    llm_config: LLMConfig | None = None,
) -> None:
    """Open (or first build) the index in ``home`` and serve until interrupted.

    The answer-mode selector (and the ``policy-qa-generative`` model) appear when an LLM is
    configured (``POLICY_QA_LLM_*`` or flags) or generative mode is the default."""
    config = llm_config or LLMConfig.from_env()
    index = open_index(home)
    assistant = Assistant(index, mode=mode, llm_config=config)
    assistant.ask(WARM_UP_QUESTION)  # loads the models now, not on the first user's question
    llm_available = mode == "generative" or config != LLMConfig()
    app = create_app(assistant, index, llm_available=llm_available)
    print(f"policy-qa: chat http://{host}:{port}/ · OpenAI-compatible API http://{host}:{port}/v1")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )
