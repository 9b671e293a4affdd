"""Deterministic corpus of realistic feeds for benchmarks: RSS 2.0, Atom, JSON Feed, live blogs."""

from __future__ import annotations

import html
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_TEXTS = {
    "fr": "l’accord de défense entre la Corée du Nord et la Russie est désormais en vigueur "
    "Sergueï Lavrov à Malte réunion de l’OSCE «paix» négociations ministre été",
    "de": "Außenministerin Baerbock äußerte sich zur Bundeswehr Friedensmission Ukraine "
    "Merz kritisiert Grüße Straße Verhandlungen Bündnis NATO-Gipfel",
    "en": "defence treaty between North Korea and Russia takes effect Lavrov lands in Malta "
    "for the OSCE meeting as diplomats weigh ceasefire talks",
}
_WORDS = {language: text.split(" ") for language, text in _TEXTS.items()}
_START = datetime(2024, 12, 4, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class CorpusFeed:
    """One generated body with what a fetch would report about it."""

    kind: str
    url: str
    content_type: str
    body: bytes


def build_corpus(count: int = 240, seed: int = 20241204) -> list[CorpusFeed]:
    """count feeds cycling through formats, languages, encodings and sizes."""
    rng = random.Random(seed)
    makers = (_rss, _rss, _atom, _jsonfeed, _liveblog)
    return [makers[n % len(makers)](rng, n) for n in range(count)]


def _sentence(rng: random.Random, language: str, length: int) -> str:
    return " ".join(rng.choice(_WORDS[language]) for _ in range(length)).capitalize()


def _summary_html(rng: random.Random, language: str) -> str:
    paragraphs = (
        f'<p>{_sentence(rng, language, 25)} <a href="/tag/{rng.randrange(99)}">lien</a> '
        f"<strong>{_sentence(rng, language, 3)}</strong></p>"
        for _ in range(rng.randint(1, 4))
    )
    return "".join(paragraphs) + '<img src="/img/photo.jpg" alt="photo">'


def _items(rng: random.Random, n: int) -> list[dict[str, str]]:
    language = ("fr", "de", "en")[n % 3]
    return [
        {
            "language": language,
            "title": _sentence(rng, language, rng.randint(5, 12)),
            "summary": _summary_html(rng, language),
            "link": f"https://news{n}.example/{language}/article-{i}.html",
            "guid": f"urn:news{n}:{i}",
            "date": (_START - timedelta(minutes=7 * i)).isoformat(),
            "rfc822": (_START - timedelta(minutes=7 * i)).strftime("%a, %d %b %Y %H:%M:%S +0000"),
        }
        for i in range(rng.choice((5, 20, 50, 100, 200)))
    ]


def _rss(rng: random.Random, n: int) -> CorpusFeed:
    items = _items(rng, n)
    encoding = "iso-8859-1" if n % 4 == 0 and items[0]["language"] != "fr" else "utf-8"
    body = "".join(
        f"<item><title>{html.escape(i['title'])}</title><link>{i['link']}</link>"
        f'<guid isPermaLink="false">{i["guid"]}</guid><pubDate>{i["rfc822"]}</pubDate>'
        f"<description>{html.escape(i['summary'])}</description></item>\n"
        for i in items
    )
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>https://news{n}.example/</link>"
        f"<language>{items[0]['language']}</language><ttl>5</ttl>\n{body}</channel></rss>"
    )
    return CorpusFeed("rss", f"https://news{n}.example/rss", "application/rss+xml",
                      xml.encode(encoding, errors="xmlcharrefreplace"))  # fmt: skip


def _atom(rng: random.Random, n: int) -> CorpusFeed:
    items = _items(rng, n)
    body = "".join(
        f'<entry><title type="html">{html.escape(i["title"])}</title>'
        f'<link rel="alternate" href="{i["link"]}"/><id>{i["guid"]}</id>'
        f"<updated>{i['date']}</updated><published>{i['date']}</published>"
        f"<author><name>Rédaction {n}</name></author>"
        f'<summary type="html">{html.escape(i["summary"])}</summary></entry>\n'
        for i in items
    )
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        f'xml:lang="{items[0]["language"]}"><title>Atom {n}</title>'
        f'<link href="https://news{n}.example/"/><id>urn:news{n}</id>'
        f"<updated>{items[0]['date']}</updated>\n{body}</feed>"
    )
    return CorpusFeed("atom", f"https://news{n}.example/atom", "application/atom+xml",
                      xml.encode())  # fmt: skip


def _jsonfeed(rng: random.Random, n: int) -> CorpusFeed:
    items = _items(rng, n)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"JSON {n}",
        "language": items[0]["language"],
        "items": [
            {"id": i["guid"], "url": i["link"], "title": i["title"],
             "content_html": i["summary"], "date_published": i["date"]}
            for i in items
        ],
    }  # fmt: skip
    return CorpusFeed("jsonfeed", f"https://news{n}.example/feed.json", "application/feed+json",
                      json.dumps(document, ensure_ascii=False).encode())  # fmt: skip


def _liveblog(rng: random.Random, n: int) -> CorpusFeed:
    items = _items(rng, n)
    posting = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": f"Live {n}",
        "url": f"https://news{n}.example/live",
        "liveBlogUpdate": [
            {"@type": "BlogPosting", "@id": i["link"] + "#u", "headline": i["title"],
             "articleBody": i["summary"], "datePublished": i["date"]}
            for i in items
        ],
    }  # fmt: skip
    script = json.dumps(posting, ensure_ascii=False).replace("</", "<\\/")
    page = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Live {n}</title>'
        f'<script type="application/ld+json">{script}</script></head>'
        f"<body>{''.join('<article>' + i['summary'] + '</article>' for i in items)}</body></html>"
    )
    return CorpusFeed("liveblog", f"https://news{n}.example/live", "text/html; charset=utf-8",
                      page.encode())  # fmt: skip
