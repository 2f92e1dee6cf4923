"""The Gradio chat: streamed cited answers with source cards, example questions, documents, upload.

API (``gradio_client``): ``/chat`` (message → answer text with a plain-text sources list; history
is kept per client session), ``/clear`` (forget that history), ``/upload`` (files → per-file
results and the document list), ``/documents`` (the document list).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from assistant.llm import LLMConfig
from assistant.pipeline import Assistant
from assistant.types import Answer
from index.ingest import FileResult, Ingestor, open_index
from index.policy_index import PolicyIndex
from ui.eval_tab import add_eval_tab
from ui.render import (
    EMPTY_QUESTION,
    NOTICE,
    answer_html,
    answer_text,
    cut_question,
    escape,
    streaming_html,
    user_html,
)

CSS_PATH = Path(__file__).with_name("static") / "app.css"
# Gradio scopes css_paths to the app's content; the page margin on phones sits outside it.
PHONE_MARGIN = (
    "<style>@media (max-width: 640px) {"
    " .gradio-container .main.app { padding-left: 6px !important; padding-right: 6px !important; }"
    "}</style>"
)
CONCURRENCY = 4  # answers at a time, all routes together: sized for 2 cores
QUEUE_SIZE = 64  # waiting requests before new ones are turned away
HISTORY_MESSAGES = 10  # past messages kept for follow-up rewriting
MAX_FILE_SIZE = "50mb"
DEFAULT_MODE = "extractive"
MODES = [
    ("抽出（資料の文をそのまま引用）", "extractive"),
    ("生成（ローカルLLMで要約）", "generative"),
]
STATUS_JA = {"added": "追加", "replaced": "更新", "unchanged": "変更なし", "failed": "失敗"}
DOC_HEADERS = ["タイトル", "ページ", "チャンク"]
RESULT_HEADERS = ["ファイル", "結果", "詳細"]
PROGRESS = gr.Progress()  # Gradio injects a tracker where a handler has this default
WARM_UP_QUESTION = "デジタル人材の育成"

# Example questions for three kinds of user; written for the UI, not taken from the eval set.
EXAMPLES: dict[str, list[str]] = {
    "計画の全体像": [
        "地域ビジョンの実現に向けて国はどう支援しますか？",
        "誰一人取り残されないための取組とは何ですか？",
    ],
    "数値・目標": [
        "2023年度のデジタル人材育成は目標を上回りましたか？",
    ],
    "府省庁の担当": [
        "国土交通省はどんな研修をしていますか？",
        "大学の教育プログラムを国が認定する制度はどの省の担当ですか？",
    ],
    "地方創生2.0": [
        "これまでの地方創生の取組の反省点は何ですか？",
        "地方創生2.0で重視する教育・人づくりとは？",
    ],
}

Messages = list[dict[str, Any]]


def document_rows(index: PolicyIndex) -> list[list[Any]]:
    """One row per indexed document: title, pages, chunks."""
    return [[d.title, d.pages, d.chunks] for d in index.documents()]


def result_row(name: str, result: FileResult) -> list[str]:
    """One upload result: file, outcome, and its size or the one-line reason it failed.

    The reason names the file, never the server's temporary path."""
    status = STATUS_JA.get(result.status, result.status)
    if result.status == "failed":
        return [name, status, result.message.replace(result.path, name)]
    return [name, status, f"{result.pages}ページ・{result.chunks}チャンク"]


class ChatApp:
    """The event handlers, bound to one assistant and its index."""

    def __init__(self, assistant: Assistant, index: PolicyIndex, llm_available: bool) -> None:
        self.assistant = assistant
        self.index = index
        self.llm_available = llm_available

    @cached_property
    def ingestor(self) -> Ingestor:
        """Made on the first upload (it attaches the embedding cache to the index's model)."""
        return Ingestor(self.index)

    def _stream(self, question: str, history: Messages, mode: str) -> Iterator[str | Answer]:
        if self.llm_available:
            # mode= is the generative pipeline's addition to Assistant.stream
            return self.assistant.stream(question, history, mode=mode)  # type: ignore[call-arg]
        return self.assistant.stream(question, history)

    @staticmethod
    def _remember(history: Messages, question: str, answer: Answer) -> Messages:
        turn = [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.answer},
        ]
        return [*history, *turn][-HISTORY_MESSAGES:]

    def respond(
        self, message: str, chat: Messages, history: Messages, mode: str = DEFAULT_MODE
    ) -> Iterator[tuple[str, Messages, Messages]]:
        """UI: show the question, stream the answer's text, then the answer with its cards."""
        question, notice = cut_question(message or "")
        if not question:
            gr.Warning(EMPTY_QUESTION)
            yield message, chat, history
            return
        chat = [*chat, {"role": "user", "content": user_html(question)}]
        reply = {"role": "assistant", "content": streaming_html("", notice)}
        yield "", [*chat, reply], history
        partial = ""
        for piece in self._stream(question, history, mode):
            if isinstance(piece, str):
                partial += piece
                reply = {"role": "assistant", "content": streaming_html(partial, notice)}
                yield "", [*chat, reply], history
            else:
                reply = {"role": "assistant", "content": answer_html(piece, _key(), notice)}
                yield "", [*chat, reply], self._remember(history, question, piece)

    def respond_example(
        self, sample: list[str], chat: Messages, history: Messages, mode: str = DEFAULT_MODE
    ) -> Iterator[tuple[str, Messages, Messages]]:
        """UI: ask a clicked example question."""
        yield from self.respond(sample[0], chat, history, mode)

    def chat_api(
        self, message: str, history: Messages, mode: str = DEFAULT_MODE
    ) -> Iterator[tuple[str, Messages]]:
        """API: the answer text as it streams, finally with a plain-text list of its sources."""
        question, notice = cut_question(message or "")
        if not question:
            yield EMPTY_QUESTION, history
            return
        partial = notice + "\n" if notice else ""
        for piece in self._stream(question, history, mode):
            if isinstance(piece, str):
                partial += piece
                yield partial, history
            else:
                yield answer_text(piece, notice), self._remember(history, question, piece)

    def documents(self) -> list[list[Any]]:
        return document_rows(self.index)

    def upload(
        self, files: list[str] | None, ocr: bool = False, progress: gr.Progress = PROGRESS
    ) -> tuple[list[list[str]], list[list[Any]]]:
        """Add PDFs to the index one by one (``ocr``: read scanned pages with Tesseract): a row
        per file, and the new document list."""
        paths = [Path(f) for f in files or []]
        if not paths:
            raise gr.Error("PDFファイルを選択してください。")
        rows = []
        for done, path in enumerate(paths):
            progress((done, len(paths)), desc=f"{path.name} を索引に追加しています", unit="件")
            result = self.ingestor.ingest([path], progress=False, ocr=ocr).results[0]
            rows.append(result_row(path.name, result))
        return rows, self.documents()


def _key() -> str:
    """A short id that keeps each answer's card anchors unique within the page."""
    return uuid.uuid4().hex[:8]


def _header() -> str:
    return (
        '<div class="pqa-header"><h1>政策文書Q&amp;A</h1>'
        "<p>登録された政策資料だけをもとに、出典（資料名・ページ・節）付きで答えます。"
        f"{escape(NOTICE)}</p></div>"
    )


def build_app(
    assistant: Assistant, index: PolicyIndex, *, llm_available: bool = False
) -> gr.Blocks:
    """The chat app; the answer-mode selector is shown only when ``llm_available``."""
    handlers = ChatApp(assistant, index, llm_available)
    with gr.Blocks(title="政策文書Q&A") as app:
        history = gr.State([])
        gr.HTML(_header())
        with gr.Tab("質問する", id="chat"), gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                mode = gr.Dropdown(
                    MODES, value=DEFAULT_MODE, label="回答の方法", visible=llm_available
                )
                chatbot = gr.Chatbot(
                    label="会話",
                    show_label=False,
                    elem_id="pqa-chat",
                    render_markdown=False,
                    sanitize_html=True,
                    height="62vh",
                    min_height=320,
                    buttons=[],  # a message's value is HTML: copying it would copy markup
                    feedback_options=None,
                    placeholder="下の欄に質問を入力するか、質問例を選んでください。",
                )
                textbox = gr.Textbox(
                    show_label=False,
                    placeholder="政策資料について質問を入力して Enter",
                    elem_id="pqa-question",
                    submit_btn="送信",
                    autofocus=True,
                )
                clear = gr.Button(
                    "会話をクリア", variant="secondary", size="sm", elem_id="pqa-clear"
                )
                with gr.Accordion("質問例", open=True):
                    examples = [
                        gr.Dataset(components=[textbox], samples=[[q] for q in qs], label=kind)
                        for kind, qs in EXAMPLES.items()
                    ]
            with gr.Column(scale=2, min_width=280):
                with gr.Accordion("登録済みの資料", open=True):
                    documents = gr.Dataframe(
                        value=handlers.documents(),
                        headers=DOC_HEADERS,
                        label="資料一覧",
                        column_widths=["64%", "18%", "18%"],
                        show_label=False,
                        datatype=["str", "number", "number"],
                        interactive=False,
                        wrap=True,
                        elem_id="pqa-documents",
                    )
                with gr.Accordion("PDFを追加", open=True):
                    files = gr.File(
                        label="PDFファイル（複数可）",
                        file_count="multiple",
                        file_types=[".pdf"],
                        elem_id="pqa-files",
                    )
                    ocr = gr.Checkbox(
                        label="スキャンしたPDFをOCRで読み取る（時間がかかります）",
                        value=False,
                        elem_id="pqa-ocr",
                    )
                    add = gr.Button("索引に追加", variant="primary", elem_id="pqa-add")
                    results = gr.Dataframe(
                        headers=RESULT_HEADERS,
                        datatype=["str", "str", "str"],
                        column_widths=["34%", "16%", "50%"],
                        interactive=False,
                        wrap=True,
                        label="追加の結果",
                        elem_id="pqa-results",
                    )
        add_eval_tab(index)
        # API-only endpoint: plain-text answer with sources (same history state as the UI).
        api_answer = gr.Textbox(label="回答", visible=False)
        api_trigger = gr.Button(visible=False)

        modes = [mode] if llm_available else []
        private: dict[str, Any] = {"api_visibility": "private"}
        # Every way of asking shares one limit, so at most CONCURRENCY answers run at once.
        answering: dict[str, Any] = {"concurrency_id": "answer", "concurrency_limit": CONCURRENCY}
        textbox.submit(
            handlers.respond,
            [textbox, chatbot, history, *modes],
            [textbox, chatbot, history],
            **private,
            **answering,
        )
        for dataset in examples:
            dataset.click(
                handlers.respond_example,
                [dataset, chatbot, history, *modes],
                [textbox, chatbot, history],
                **private,
                **answering,
            )
        api_trigger.click(
            handlers.chat_api,
            [textbox, history, *modes],
            [api_answer, history],
            **answering,
            api_name="chat",
            api_description="質問に答えます。回答文の後に出典の一覧（資料名・ページ・節・引用）が続きます。",
        )
        clear.click(lambda: ([], [], ""), None, [chatbot, history, textbox], api_name="clear")
        chatbot.clear(lambda: [], None, history, **private)  # the chat's own trash button
        add.click(
            handlers.upload,
            [files, ocr],
            [results, documents],
            api_name="upload",
            concurrency_limit=1,
            concurrency_id="ingest",
        ).success(lambda: None, None, files, **private)
        app.load(handlers.documents, None, documents, api_name="documents")
    app.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return app


def launch(app: gr.Blocks, host: str, port: int, *, block: bool = True) -> None:
    """Start the server (``block=False`` returns once it is listening)."""
    app.launch(
        server_name=host,
        server_port=port,
        css_paths=[CSS_PATH],
        head=PHONE_MARGIN,
        max_file_size=MAX_FILE_SIZE,
        footer_links=["api"],
        prevent_thread_lock=not block,
        quiet=not block,
    )


def serve(
    host: str = "127.0.0.1",
    port: int = 7860,
    home: str | None = None,
    *,
    mode: str = "extractive",
    llm_config: LLMConfig | None = None,
) -> None:
    """Open (or first build) the index in ``home`` and serve the chat until interrupted.

    The answer-mode selector appears when an LLM is configured (``POLICY_QA_LLM_*`` or flags)
    or generative mode is the default."""
    config = llm_config or LLMConfig.from_env()
    index = open_index(home)
    assistant = Assistant(index, mode=mode, llm_config=config)
    assistant.ask(WARM_UP_QUESTION)  # loads the models now, not on the first user's question
    llm_available = mode == "generative" or config != LLMConfig()
    launch(build_app(assistant, index, llm_available=llm_available), host, port)
