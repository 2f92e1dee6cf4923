"""Documents in the chat: which ones a question is asked about, and removing one.

:func:`remove_document` is shared by the chat's documents panel and ``policy-qa remove``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from index.policy_index import PolicyIndex
from ui.page_view import PageImages
from ui.render import escape

NO_DOCUMENT = "質問する資料を1つ以上選んでください。"
CHOOSE_REMOVAL = "削除する資料を選んでください。"


class DocumentError(ValueError):
    """A removal that cannot be done; ``str(err)`` says why in one line."""


def remove_document(index: PolicyIndex, pages: PageImages, doc_id: str) -> str:
    """Remove a document from the registry, vectors and BM25, with its PDF copy and page
    images; returns its title. The last document is kept: an empty data folder is rebuilt
    from the shipped corpus on the next start."""
    stored = index.docs.get(doc_id)
    if stored is None:
        raise DocumentError(f"unknown document id {doc_id} (see `policy-qa docs`)")
    if len(index.docs) == 1:
        raise DocumentError(
            f"{doc_id} is the only document; an empty index would be rebuilt from the shipped "
            "corpus on the next start, so it is kept"
        )
    index.remove_document(doc_id)
    index.refresh_lexical()
    pages.forget(doc_id)
    return stored.document.title


def choices(index: PolicyIndex) -> list[tuple[str, str]]:
    """(title, doc_id) for every indexed document, for the filter and the removal list."""
    return [(d.title, d.doc_id) for d in index.documents()]


def selected_documents(index: PolicyIndex, selected: Sequence[str] | None) -> list[str] | None:
    """The doc_ids a question is limited to: None when every indexed document is selected,
    ``[]`` when none of the selected ones is still indexed."""
    known = set(index.docs)
    chosen = [doc_id for doc_id in selected or () if doc_id in known]
    return None if set(chosen) == known else chosen


class DocumentControls:
    """The chat's document filter and removal controls (made inside a ``gr.Blocks``)."""

    def __init__(self, index: PolicyIndex, pages: PageImages) -> None:
        self.index = index
        self.pages = pages

    def filter(self) -> gr.CheckboxGroup:
        options = choices(self.index)
        return gr.CheckboxGroup(
            options,
            value=[doc_id for _, doc_id in options],
            label="質問する資料",
            info="選んだ資料だけから答えます（最初はすべて）。",
            elem_id="pqa-doc-filter",
        )

    def removal(self) -> tuple[gr.Dropdown, gr.Button]:
        dropdown = gr.Dropdown(
            choices(self.index),
            value=None,
            label="資料を削除",
            elem_id="pqa-remove-choice",
        )
        button = gr.Button("選んだ資料を削除", variant="stop", size="sm", elem_id="pqa-remove")
        return dropdown, button

    def refresh(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Filter (every document selected) and removal list after the documents changed."""
        options = choices(self.index)
        return (
            gr.update(choices=options, value=[doc_id for _, doc_id in options]),
            gr.update(choices=options, value=None),
        )

    def remove(
        self, doc_id: str | None, selected: list[str] | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """UI: remove the chosen document; the filter (keeping the rest of its selection) and
        the removal list follow. Toasts show HTML, so what they quote is escaped."""
        if not doc_id:
            raise gr.Error(CHOOSE_REMOVAL)
        try:
            title = remove_document(self.index, self.pages, doc_id)
        except DocumentError as err:
            raise gr.Error(escape(str(err))) from None
        gr.Info(f"「{escape(title)}」を削除しました。")
        options = choices(self.index)
        kept = [d for d in selected or () if d in self.index.docs]
        return (
            gr.update(choices=options, value=kept),
            gr.update(choices=options, value=None),
        )
