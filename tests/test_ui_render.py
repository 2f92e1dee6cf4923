"""The chat's HTML: everything from documents and users escaped, markers linked, cards built."""

from __future__ import annotations

from html.parser import HTMLParser

from assistant.types import Answer, Citation
from ui.render import (
    MAX_QUESTION_CHARS,
    NOTICE,
    PAGE_IMAGE,
    answer_html,
    answer_text,
    card_id,
    cut_question,
    group_by_chunk,
    highlighted_chunk_html,
    streaming_html,
    strip_sources,
    user_html,
)

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
OWN_TAGS = {"div", "span", "mark", "a", "p", "ul", "li", "br"}


class TagCollector(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = TagCollector()
    collector.feed(html)
    return collector.tags


def hostile_citation(n: int) -> Citation:
    quote = f"避難所を27か所整備する。{SCRIPT}"
    return Citation(
        n=n,
        doc_id="x",
        title=f"計画<b>{n}</b>{IMG}",
        page=2,
        section=f"概要 > {IMG}",
        quote=quote,
        source="x.pdf",
        chunk_text=f"前の文。{IMG}\n{quote}\n後の文。",
    )


def hostile_answer() -> Answer:
    return Answer(
        question=SCRIPT,
        standalone_question=SCRIPT,
        answer=f"{hostile_citation(1).quote}[1]\n- {IMG}[2]\n参考[9]",
        citations=[hostile_citation(1), hostile_citation(2)],
    )


def test_answer_html_escapes_document_text() -> None:
    html = answer_html(hostile_answer(), key="k1")
    tags = parse(html)
    assert {tag for tag, _ in tags} <= OWN_TAGS
    assert not any(name.startswith("on") for _, attrs in tags for name in attrs)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_card_with_a_page_image_escapes_its_url_and_title() -> None:
    hostile_url = 'page/x/2.png?quote="><script>alert(1)</script>'
    html = answer_html(hostile_answer(), key="k1", page_url=lambda group: hostile_url)
    tags = parse(html)
    assert {tag for tag, _ in tags} <= OWN_TAGS | {"details", "summary", "img"}
    images = [attrs for tag, attrs in tags if tag == "img"]
    assert [image["src"] for image in images] == [hostile_url]  # one card: one chunk
    assert images[0]["alt"] == f"{hostile_citation(1).title} p.2（引用箇所を枠で囲んでいます）"
    assert images[0]["loading"] == "lazy"
    assert "<script" not in html and PAGE_IMAGE in html
    assert "<details" not in answer_html(hostile_answer(), key="k1", page_url=lambda group: None)


def test_sources_list_is_cut_off_an_answer_text() -> None:
    answer = Answer("q", "q", "本文[1]\n続き", [hostile_citation(1)])
    assert strip_sources(answer_text(answer)) == "本文[1]\n続き"
    refused = Answer(
        "q",
        "q",
        "資料には記載が見つかりませんでした。",
        refused=True,
        related=[hostile_citation(1)],
    )
    assert strip_sources(answer_text(refused)) == refused.answer


def test_markers_link_to_anchors_in_their_cards() -> None:
    html = answer_html(hostile_answer(), key="k1")
    tags = parse(html)
    links = [attrs["href"] for tag, attrs in tags if tag == "a"]
    anchors = [attrs["id"] for tag, attrs in tags if attrs.get("class") == "pqa-anchor"]
    assert links == [f"#{card_id('k1', 1)}", f"#{card_id('k1', 2)}"]
    assert anchors == [card_id("k1", 1), card_id("k1", 2)]
    assert "参考[9]" in html  # a number with no card stays plain text
    assert f'<span class="pqa-nobr">&gt;<a class="pqa-marker" href="#{card_id("k1", 2)}">' in html
    assert "出典（2件）" in html and NOTICE in html


def test_citations_of_one_chunk_share_a_card() -> None:
    chunk = "前置き。第一の文。間の文。第二の文。結び。"
    first = Citation(1, "d", "資料", 3, "節A", "第一の文。", chunk_text=chunk)
    second = Citation(2, "d", "資料", 3, "節B", "第二の文。", chunk_text=chunk)
    other = Citation(3, "d", "資料", 4, "節C", "別の文。", chunk_text="別の文。")
    answer = Answer("q", "q", "第一の文。[1]第二の文。[2]別の文。[3]", [first, second, other])
    assert group_by_chunk(answer.citations) == [[first, second], [other]]
    html = answer_html(answer, key="k3")
    assert html.count('class="pqa-card"') == 2
    assert "[1][2]" in html and "節A / 節B" in html
    assert "前置き。<mark>第一の文。</mark>間の文。<mark>第二の文。</mark>結び。" in html


def test_quotes_are_highlighted_inside_their_chunk() -> None:
    html = highlighted_chunk_html("前の文。目標は230万人。後の文。", ["目標は230万人。"])
    assert html == "前の文。<mark>目標は230万人。</mark>後の文。"
    long_chunk = "あ" * 500 + "引用文。" + "い" * 500
    html = highlighted_chunk_html(long_chunk, ["引用文。"])
    assert html.startswith("…あ") and html.endswith("い…") and len(html) < 300
    overlapping = highlighted_chunk_html("一二三四五", ["一二三", "二三四"])
    assert overlapping == "<mark>一二三四</mark>五"
    missing = highlighted_chunk_html("別の文。", ["<見つからない>"])
    assert missing == "<mark>&lt;見つからない&gt;</mark>"


def test_refusal_shows_related_passages_without_sources() -> None:
    related = hostile_citation(1)
    answer = Answer(
        question="q",
        standalone_question="q",
        answer="資料には記載が見つかりませんでした。",
        refused=True,
        related=[related],
    )
    html = answer_html(answer, key="k2")
    assert "関連する記載" in html and "出典（" not in html
    assert "<mark>" not in html and "<script" not in html
    assert "&lt;b&gt;1&lt;/b&gt;" in html
    text = answer_text(answer)
    assert "関連する記載:" in text and "出典:" not in text


def test_streaming_and_user_text_are_escaped() -> None:
    assert "<script" not in streaming_html(SCRIPT)
    assert user_html(f"一行目{IMG}\n二行目") == (
        "一行目&lt;img src=x onerror=alert(1)&gt;<br>二行目"
    )


def test_overlong_question_is_cut_with_a_notice() -> None:
    question, notice = cut_question("あ" * 800)
    assert len(question) == MAX_QUESTION_CHARS
    assert "800文字" in notice and str(MAX_QUESTION_CHARS) in notice
    assert cut_question("  短い質問  ") == ("短い質問", "")


def test_api_text_lists_sources() -> None:
    text = answer_text(hostile_answer(), notice="注意")
    lines = text.splitlines()
    assert lines[0] == "注意"
    assert "出典:" in lines
    assert f"[1] 計画<b>1</b>{IMG} p.2 概要 > {IMG}" in lines  # plain text: no escaping
    assert f"    「{hostile_citation(1).quote}」" in lines


def test_asked_values_are_bold_and_a_refusal_says_why() -> None:
    from assistant.types import REFUSAL, Answer, Citation
    from ui.render import answer_html, answer_text

    cited = Citation(1, "d", "T", 2, "S", "定員は30人とする。", marks=("30人",))
    html = answer_html(Answer("q", "q", "定員は30人とする。[1]", [cited]), "k")
    assert "<strong>30人</strong>" in html
    refused = Answer("q", "q", REFUSAL, refused=True, outcome="refused", reason="low_confidence: x")
    assert "回答しなかった理由" in answer_html(refused, "k")
    assert "質問に答えている文とは判断できませんでした" in answer_text(refused)
    refused = Answer("q", "q", REFUSAL, refused=True, outcome="refused", reason="no_figure: x")
    assert "質問の単位で示された数値が見つかりませんでした" in answer_text(refused)
    refused = Answer("q", "q", REFUSAL, refused=True, outcome="refused", reason="no_name: x")
    assert "役職に就いている人の名前が見つかりませんでした" in answer_text(refused)
    refused = Answer("q", "q", REFUSAL, refused=True, outcome="refused", reason="no_year: x")
    assert "質問の年（年度）についての記載が見つかりませんでした" in answer_text(refused)


def test_every_refusal_reason_has_a_reader_text() -> None:
    from assistant.work import Refusal
    from ui.render import REFUSAL_REASONS

    assert set(REFUSAL_REASONS) == {reason.value for reason in Refusal}


def test_a_refusal_names_what_no_document_mentions() -> None:
    from assistant.decide import UNMENTIONED
    from assistant.types import REFUSAL, Answer
    from ui.render import answer_text

    reason = f"low_confidence: answerable 0.10 < threshold 0.50{UNMENTIONED}札幌市、2031年"
    refused = Answer("q", "q", REFUSAL, refused=True, outcome="refused", reason=reason)
    assert "資料には「札幌市」、「2031年」の記載がありません。" in answer_text(refused)
