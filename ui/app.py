"""The Gradio chat: streamed cited answers with source cards (and their page images), 👍/👎
feedback, example questions, documents (filter, upload, removal). Served by ui/server.py.

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

from assistant.pipeline import Assistant
from assistant.types import Answer
from index.ingest import FileResult, Ingestor, Progress
from index.policy_index import PolicyIndex
from ui.documents import NO_DOCUMENT, DocumentControls, selected_documents
from ui.eval_tab import add_eval_tab
from ui.feedback import AnswerRecord, FeedbackStore
from ui.feedback_panel import FEEDBACK_OPTIONS, FeedbackPanel, Turns
from ui.page_view import PageImages
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


def progress_text(done: Progress) -> str:
    """「a.pdf を追加しました（2/7件・1.8ページ/秒・残り約40秒）」: last file stored, ETA."""
    eta = done.eta_seconds
    rest = f"・残り約{eta:.0f}秒" if eta is not None and done.pages_done < done.pages_total else ""
    return (
        f"{done.file} を追加しました（{done.files_done}/{done.files_total}件・"
        f"{done.pages_per_second:.1f}ページ/秒{rest}）"
    )


class ChatApp:
    """The event handlers, bound to one assistant and its index."""

    def __init__(
        self, assistant: Assistant, index: PolicyIndex, llm_available: bool, pages: PageImages
    ) -> None:
        self.assistant = assistant
        self.index = index
        self.llm_available = llm_available
        self.pages = pages

    @cached_property
    def ingestor(self) -> Ingestor:
        """Made on the first upload."""
        return Ingestor(self.index)

    def _stream(
        self, question: str, history: Messages, mode: str, doc_ids: list[str] | None = None
    ) -> Iterator[str | Answer]:
        mode_asked = mode if self.llm_available else None
        return self.assistant.stream(question, history, doc_ids=doc_ids, mode=mode_asked)

    @staticmethod
    def _remember(history: Messages, question: str, answer: Answer) -> Messages:
        turn = [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.answer},
        ]
        return [*history, *turn][-HISTORY_MESSAGES:]

    def respond(
        self,
        message: str,
        chat: Messages,
        history: Messages,
        turns: Turns,
        selected: list[str],
        mode: str = DEFAULT_MODE,
    ) -> Iterator[tuple[str, Messages, Messages, Turns]]:
        """UI: show the question, stream the answer's text, then the answer with its cards.

        ``selected`` are the documents to ask; ``turns`` keeps each answer for feedback."""
        question, notice = cut_question(message or "")
        doc_ids = selected_documents(self.index, selected)
        if not question or doc_ids == []:
            gr.Warning(EMPTY_QUESTION if not question else NO_DOCUMENT)
            yield message, chat, history, turns
            return
        chat = [*chat, {"role": "user", "content": user_html(question)}]
        reply = {"role": "assistant", "content": streaming_html("", notice)}
        yield "", [*chat, reply], history, turns
        partial = ""
        for piece in self._stream(question, history, mode, doc_ids):
            if isinstance(piece, str):
                partial += piece
                reply = {"role": "assistant", "content": streaming_html(partial, notice)}
                yield "", [*chat, reply], history, turns
            else:
                html = answer_html(piece, _key(), notice, self.pages.url)
                record = AnswerRecord.of_answer(piece, history, doc_ids)
                yield (
                    "",
                    [*chat, {"role": "assistant", "content": html}],
                    self._remember(history, question, piece),
                    {**turns, len(chat): record},
                )

    def respond_example(
        self,
        sample: list[str],
        chat: Messages,
        history: Messages,
        turns: Turns,
        selected: list[str],
        mode: str = DEFAULT_MODE,
    ) -> Iterator[tuple[str, Messages, Messages, Turns]]:
        """UI: ask a clicked example question."""
        yield from self.respond(sample[0], chat, history, turns, selected, mode)

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
        """Add PDFs to the index in one run (``ocr``: read scanned pages with Tesseract), the
        progress bar counting pages with the rate and time left: a row per file, and the new
        document list."""
        paths = [Path(f) for f in files or []]
        if not paths:
            raise gr.Error("PDFファイルを選択してください。")
        progress((0, 1), desc=f"{len(paths)}件の索引づくりを始めています", unit="ページ")

        def show(done: Progress) -> None:
            progress((done.pages_done, done.pages_total), desc=progress_text(done), unit="ページ")

        report = self.ingestor.ingest(paths, progress=False, ocr=ocr, on_progress=show)
        by_path = {result.path: result for result in report.results}
        rows = [result_row(path.name, by_path[str(path)]) for path in paths]
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
    assistant: Assistant,
    index: PolicyIndex,
    *,
    llm_available: bool = False,
    feedback: FeedbackStore | None = None,
    pages: PageImages | None = None,
) -> gr.Blocks:
    """The chat app; the answer-mode selector is shown only when ``llm_available``.

    ``feedback`` and ``pages`` default to the store and page images in the index's folder."""
    pages = pages or PageImages(index)
    handlers = ChatApp(assistant, index, llm_available, pages)
    rating = FeedbackPanel(feedback or FeedbackStore(index.home))
    controls = DocumentControls(index, pages)
    with gr.Blocks(title="政策文書Q&A") as app:
        history = gr.State([])
        turns = gr.State({})  # chat message index → the answer shown there (for feedback)
        rated = gr.State({})  # chat message index → its feedback item id
        rated_item = gr.State(None)  # the item the comment box adds to
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
                    feedback_options=FEEDBACK_OPTIONS,
                    placeholder="下の欄に質問を入力するか、質問例を選んでください。",
                )
                feedback_panel, comment, send_comment = rating.components()
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
                with gr.Accordion("質問の対象", open=True):
                    doc_filter = controls.filter()
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
                    remove_choice, remove = controls.removal()
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
        asked = [chatbot, history, turns, doc_filter, *modes]
        textbox.submit(
            handlers.respond,
            [textbox, *asked],
            [textbox, chatbot, history, turns],
            **private,
            **answering,
        )
        for dataset in examples:
            dataset.click(
                handlers.respond_example,
                [dataset, *asked],
                [textbox, chatbot, history, turns],
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
        forget = [history, turns, rated, rated_item, feedback_panel]
        cleared = ([], {}, {}, None, gr.update(visible=False))
        clear.click(lambda: ([], "", *cleared), None, [chatbot, textbox, *forget], api_name="clear")
        chatbot.clear(lambda: cleared, None, forget, **private)  # the chat's own trash button
        chatbot.like(rating.rate, [turns, rated], [rated, rated_item, feedback_panel], **private)
        send_comment.click(rating.send, [comment, rated_item], [comment, feedback_panel], **private)
        comment.submit(rating.send, [comment, rated_item], [comment, feedback_panel], **private)
        uploaded = add.click(
            handlers.upload,
            [files, ocr],
            [results, documents],
            api_name="upload",
            concurrency_limit=1,
            concurrency_id="ingest",
        )
        uploaded.success(lambda: None, None, files, **private)
        uploaded.then(controls.refresh, None, [doc_filter, remove_choice], **private)
        remove.click(
            controls.remove,
            [remove_choice, doc_filter],
            [doc_filter, remove_choice],
            concurrency_limit=1,
            concurrency_id="ingest",
            **private,
        ).success(handlers.documents, None, documents, api_name="removed", **private)
        app.load(handlers.documents, None, documents, api_name="documents")
        app.load(controls.refresh, None, [doc_filter, remove_choice], **private)
    app.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return app
