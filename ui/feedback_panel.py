"""The chat's 👍/👎 under each answer and the optional comment that follows a click."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui.feedback import MAX_COMMENT_CHARS, AnswerRecord, FeedbackStore

FEEDBACK_OPTIONS = ("Like", "Dislike")  # the chat's own 👍/👎 buttons
RECORDED = "評価を記録しました。よろしければ理由をお書きください。"
THANKS = "ご意見を記録しました。ありがとうございます。"
NOTHING_RATED = "先に回答の👍または👎を押してください。"
Turns = dict[int, AnswerRecord]  # chat message index → the answer shown there
Rated = dict[int, int]  # chat message index → its feedback item id


class FeedbackPanel:
    """Stores a click on 👍/👎 at once, then lets the user add a comment to that item."""

    def __init__(self, store: FeedbackStore) -> None:
        self.store = store

    def components(self) -> tuple[gr.Column, gr.Textbox, gr.Button]:
        """The comment box and its button, hidden until an answer is rated."""
        with gr.Column(visible=False, elem_id="pqa-feedback") as panel:
            comment = gr.Textbox(
                label="回答へのご意見（任意）",
                placeholder="どこが違っていたか、何が足りなかったかなど",
                max_length=MAX_COMMENT_CHARS,
                lines=2,
                elem_id="pqa-feedback-comment",
            )
            send = gr.Button("ご意見を送信", size="sm", elem_id="pqa-feedback-send")
        return panel, comment, send

    def rate(
        self, data: gr.LikeData, turns: Turns, rated: Rated
    ) -> tuple[Rated, int | None, dict[str, Any]]:
        """A 👍/👎 click: add or change this answer's item; a second click takes it back."""
        index = data.index if isinstance(data.index, int) else data.index[0]
        record = turns.get(index)
        if record is None:  # not an answer (a question, or one still streaming)
            return rated, None, gr.update()
        item_id = rated.get(index)
        if not isinstance(data.liked, bool):
            if item_id is not None:
                self.store.remove(item_id)
            return {k: v for k, v in rated.items() if k != index}, None, gr.update(visible=False)
        rating = "up" if data.liked else "down"
        if item_id is None:
            item_id = self.store.add(record, rating, channel="ui")
        else:
            self.store.update(item_id, rating=rating)
        gr.Info(RECORDED)
        return {**rated, index: item_id}, item_id, gr.update(visible=True)

    def send(self, comment: str, item_id: int | None) -> tuple[str, dict[str, Any]]:
        """The comment button: attach the text to the item just rated."""
        if item_id is None:
            raise gr.Error(NOTHING_RATED)
        self.store.update(item_id, comment=comment or "")
        gr.Info(THANKS)
        return "", gr.update(visible=False)
