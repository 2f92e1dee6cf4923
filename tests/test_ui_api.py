"""The OpenAI-compatible API: the official ``openai`` client against a real server (with a key)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI

from assistant.pipeline import Assistant
from index.policy_index import PolicyIndex
from tests.ui_fixtures import copy_index, free_port
from ui.api import API_KEY_VAR
from ui.feedback import FeedbackStore
from ui.render import SOURCES_HEADING
from ui.server import Server, start

KEY = "test-key"
MODEL = "policy-qa-extractive"
TRAINING = "国土交通省はどんな研修をしていますか？"


@pytest.fixture(scope="module")
def api_index(shipped_home: Path, tmp_path_factory: pytest.TempPathFactory) -> PolicyIndex:
    return copy_index(shipped_home, tmp_path_factory.mktemp("api-index"))


@pytest.fixture(scope="module")
def api_server(api_index: PolicyIndex) -> Iterator[Server]:
    """A server whose key comes from ``$POLICY_QA_API_KEY``, as in production."""
    os.environ[API_KEY_VAR] = KEY
    try:
        server = start(Assistant(api_index), api_index, "127.0.0.1", free_port())
    finally:
        del os.environ[API_KEY_VAR]
    yield server
    server.close()


@pytest.fixture(scope="module")
def client(api_server: Server) -> OpenAI:
    return OpenAI(base_url=f"{api_server.url}v1", api_key=KEY, max_retries=0)


def ask(client: OpenAI, content: str, **extra: object) -> openai.types.chat.ChatCompletion:
    return client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": content}], **extra
    )


def test_models_list_the_extractive_model_only_without_an_llm(client: OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [MODEL]
    assert client.models.retrieve(MODEL).owned_by == "policy-qa"
    with pytest.raises(openai.NotFoundError, match="policy-qa-generative"):
        client.chat.completions.create(
            model="policy-qa-generative", messages=[{"role": "user", "content": TRAINING}]
        )


def test_cited_answer_has_markers_citations_and_a_sources_list(client: OpenAI) -> None:
    completion = ask(client, TRAINING)
    message = completion.choices[0].message
    text, _, sources = message.content.partition(f"\n\n{SOURCES_HEADING}\n")
    assert "３次元モデル" in text and "[1]" in text
    assert sources.startswith("[1] デジタル人材育成の取組 p.5")
    first = message.citations[0]
    assert (first["n"], first["doc_id"], first["page"]) == (1, "digital-jinzai", 5)
    assert first["quote"] in text and f"「{first['quote']}」" in sources
    assert message.refused is False and completion.choices[0].finish_reason == "stop"
    image = httpx.get(first["page_image"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"


def test_streamed_chunks_join_to_the_plain_answer(client: OpenAI) -> None:
    plain = ask(client, TRAINING).choices[0].message
    chunks = list(ask(client, TRAINING, stream=True))
    assert len(chunks) > 3
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == plain.content
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop"
    assert last.delta.citations == plain.citations
    assert len({c.id for c in chunks}) == 1


def test_stream_ends_with_done_as_server_sent_events(api_server: Server) -> None:
    body = {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": TRAINING}]}
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.stream(
        "POST", f"{api_server.url}v1/chat/completions", json=body, headers=headers
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"


def test_follow_up_uses_the_earlier_messages(client: OpenAI) -> None:
    first_question = "総務省はどんな演習を行っていますか？"
    first = ask(client, first_question).choices[0].message
    assert "サイバー防御演習" in first.content
    messages = [
        {"role": "system", "content": "あなたは親切なアシスタントです。"},
        {"role": "user", "content": first_question},
        {"role": "assistant", "content": first.content},  # with its sources list, as received
        {"role": "user", "content": "デジタル庁の場合は？"},
    ]
    follow_up = client.chat.completions.create(model=MODEL, messages=messages).choices[0]
    assert "演習" in follow_up.message.standalone_question
    assert "情報システム研修" in follow_up.message.content
    alone = ask(client, "デジタル庁の場合は？").choices[0].message
    assert "演習" not in alone.standalone_question


def test_refusal_has_no_citations_and_shows_related_passages(client: OpenAI) -> None:
    message = ask(client, "火星探査の予算はいくらですか？").choices[0].message
    assert message.refused is True and message.citations == []
    assert message.content.startswith("資料には記載が見つかりませんでした")
    assert "関連する記載:" in message.content and message.related


def test_documents_field_limits_the_sources(client: OpenAI) -> None:
    question = "人材育成の取組を教えてください"
    everywhere = ask(client, question).choices[0].message
    assert "digital-jinzai" in {c["doc_id"] for c in everywhere.citations}
    limited = ask(client, question, extra_body={"documents": ["chihou-sousei-2"]})
    doc_ids = {c["doc_id"] for c in limited.choices[0].message.citations}
    assert doc_ids == {"chihou-sousei-2"}
    with pytest.raises(openai.BadRequestError, match="unknown document id no-such-doc"):
        ask(client, question, extra_body={"documents": ["no-such-doc"]})


def test_missing_or_wrong_key_is_401(api_server: Server) -> None:
    for key in ("wrong-key", ""):
        anonymous = OpenAI(base_url=f"{api_server.url}v1", api_key=key or "-", max_retries=0)
        with pytest.raises(openai.AuthenticationError) as caught:
            ask(anonymous, TRAINING)
        assert caught.value.status_code == 401
        assert caught.value.body["code"] == "invalid_api_key"
    response = httpx.get(f"{api_server.url}v1/models")
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_malformed_requests_get_openai_style_400s(client: OpenAI, api_server: Server) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "narrator", "content": TRAINING}]
        )
    assert caught.value.body["param"] == "messages.0.role"
    with pytest.raises(openai.BadRequestError, match="last message must be a user message"):
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "assistant", "content": TRAINING}]
        )
    with pytest.raises(openai.BadRequestError, match="documents"):
        ask(client, TRAINING, extra_body={"documents": "chihou-sousei-2"})
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    for body, message in ((b'{"model": ', "not valid JSON"), (b"[1, 2]", "JSON object")):
        response = httpx.post(f"{api_server.url}v1/chat/completions", content=body, headers=headers)
        assert response.status_code == 400
        error = response.json()["error"]
        assert message in error["message"] and error["type"] == "invalid_request_error"
        assert "Traceback" not in response.text
    huge = [{"role": "user", "content": "あ" * 40_000}] * 10  # 1.2 MB of JSON
    with pytest.raises(openai.APIStatusError, match="request body is over") as caught:
        client.chat.completions.create(model=MODEL, messages=huge)
    assert caught.value.status_code == 413


def test_feedback_on_a_completion_is_stored(
    client: OpenAI, api_server: Server, api_index: PolicyIndex
) -> None:
    completion = ask(client, TRAINING)
    headers = {"Authorization": f"Bearer {KEY}"}
    url = f"{api_server.url}v1/feedback"
    body = {"completion_id": completion.id, "rating": "down", "comment": "出典のページが違う"}
    response = httpx.post(url, json=body, headers=headers)
    assert response.status_code == 200
    item = next(i for i in FeedbackStore(api_index.home).items() if i.id == response.json()["id"])
    assert (item.rating, item.comment, item.channel) == ("down", "出典のページが違う", "api")
    assert item.record.question == TRAINING and item.record.citations[0]["page"] == 5
    unknown = httpx.post(url, json={**body, "completion_id": "chatcmpl-x"}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["param"] == "completion_id"
    bad = httpx.post(url, json={**body, "rating": "meh"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "rating"
