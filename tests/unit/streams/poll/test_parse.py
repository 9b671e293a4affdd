"""parse_feed over hand-written fixtures of every supported format."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from streams.poll.encoding import decode_body
from streams.poll.formats.fastxml import parse_fast
from streams.poll.formats.xmlfeed import parse_with_feedparser
from streams.poll.parse import ParsedFeed, parse_feed

FIXTURES = Path(__file__).parents[3] / "fixtures" / "feeds"


def parse_fixture(name: str, url: str, content_type: str | None = None) -> ParsedFeed:
    return parse_feed((FIXTURES / name).read_bytes(), url=url, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "url", "fmt", "title", "language", "count"),
    [
        ("rss20_liveblog_fr.xml", "https://www.exemple-info.fr/rss/live.xml", "rss",
         "Guerre en Ukraine : le fil en direct", "fr-FR", 3),
        ("atom_de.xml", "https://www.beispiel-nachrichten.de/politik/atom.xml", "atom",
         "Nachrichten – Politik", "de", 2),
        ("rss10_rdf.xml", "https://news.example.org/rss", "rdf", "Example Diplomacy Wire", "en", 1),
        ("rss091_latin1.xml", "http://www.petit-echo.example/rss", "rss", "Le Petit Écho", "fr", 2),
        ("jsonfeed_10.json", "https://diplo.example.fr/feed.json", "jsonfeed",
         "Diplomatie – le fil", None, 2),
        ("jsonfeed_11.json", "https://briefing.example.de/feed.json", "jsonfeed",
         "Hauptstadt-Briefing", "de-DE", 1),
        ("liveblog_list.html", "https://www.exemple-info.fr/live/ukraine", "liveblog",
         "Guerre en Ukraine : le fil en direct", "fr", 3),
        ("liveblog_graph_single.html", "https://ticker.example.de/live/nato", "liveblog",
         "NATO-Treffen in Brüssel – der Liveticker", "de", 1),
    ],
)  # fmt: skip
def test_feed_metadata(
    name: str, url: str, fmt: str, title: str, language: str | None, count: int
) -> None:
    feed = parse_fixture(name, url)
    assert (feed.format, feed.title, feed.language, len(feed.entries)) == (
        fmt, title, language, count
    )  # fmt: skip
    assert feed.alternate_feed_url is None


def test_rss20_entry_is_clean_and_links_are_absolute() -> None:
    first = parse_fixture("rss20_liveblog_fr.xml", "https://www.exemple-info.fr/rss/live.xml")
    entry = first.entries[0]
    assert entry.guid == "live-ukraine-1042"
    assert entry.link == (
        "https://www.exemple-info.fr/international/live/guerre-ukraine"
        "?utm_source=rss&utm_medium=feed#post-1042"
    )
    assert entry.title == "L’accord de défense Corée du Nord–Russie en vigueur"
    assert entry.summary.startswith("L’accord de défense entre la Corée du Nord et la Russie")
    assert "track()" not in entry.summary
    assert 'href="https://www.exemple-info.fr/tag/malte"' in (entry.summary_html or "")
    assert entry.published == datetime(2024, 12, 4, 7, 2, tzinfo=UTC)
    assert entry.authors == ("Rédaction internationale",)
    assert first.ttl_seconds == 120


def test_rss20_guillemets_and_nbsp_entities() -> None:
    entry = parse_fixture("rss20_liveblog_fr.xml", "https://x.example/").entries[1]
    assert entry.title == "Merz critique les déclarations de Baerbock « irresponsables »"
    assert entry.summary == "Friedrich Merz a qualifié ces réflexions d’irresponsables. Voir"


@pytest.mark.parametrize("entry_index", [1, 2])
def test_dangerous_markup_never_survives(entry_index: int) -> None:
    entry = parse_fixture("rss20_liveblog_fr.xml", "https://x.example/").entries[entry_index]
    html = (entry.summary_html or "").lower()
    for forbidden in ("javascript:", "data:", "onclick", "onerror", "<iframe", "<script"):
        assert forbidden not in html


def test_javascript_entry_link_is_dropped() -> None:
    entry = parse_fixture("rss20_liveblog_fr.xml", "https://x.example/").entries[2]
    assert entry.link is None
    assert entry.summary == "Le général Brown a appelé Valeri Gerassimov."


def test_atom_entries() -> None:
    feed = parse_fixture("atom_de.xml", "https://www.beispiel-nachrichten.de/politik/atom.xml")
    html_title, xhtml_content = feed.entries
    assert html_title.title == "Merz kritisiert Baerbock: „unverantwortlich“"
    assert html_title.link == (
        "https://www.beispiel-nachrichten.de/politik/merz-baerbock-bundeswehr-ukraine-100.html"
    )
    assert html_title.authors == ("Anna Müller", "Jörg Weiß")
    assert html_title.updated == datetime(2024, 12, 4, 8, 14, 30, tzinfo=UTC)
    assert xhtml_content.summary == "Baerbock äußerte sich am Rande des NATO-Treffens."
    assert xhtml_content.summary_html == (
        "<p>Baerbock äußerte sich am Rande des <b>NATO-Treffens</b>.</p>"
    )
    assert xhtml_content.published is None


@pytest.mark.parametrize(
    ("name", "titles"),
    [
        ("rss091_latin1.xml",
         ["Élection à Genève : résultats définitifs", "Münchner Straße gesperrt"]),
        ("rss20_mislabelled_cp1252.xml", ["L’été « brûlant » à Zürich"]),
    ],
)  # fmt: skip
def test_non_utf8_bodies_decode_to_correct_unicode(name: str, titles: list[str]) -> None:
    feed = parse_fixture(name, "https://x.example/", content_type="application/rss+xml")
    assert [entry.title for entry in feed.entries] == titles


# Feeds whose labels (XML declaration, BOM, HTTP charset, doctype) disagree with their bytes
# or root element: (fixture, Content-Type it is served with, titles it holds).
MISLABELLED = [
    # Declaration says utf-16, bytes are UTF-8 (odd length: stock feedparser falls back to UTF-8).
    ("rss20_declared_utf16_bytes_utf8.xml", None,
     ["Bretagne : la pêche côtière obtient un délai pour ses quotas de sole",
      "Lyon : le musée des Confluences prolonge l’exposition « Océans »"]),
    ("rss20_declared_utf16_bytes_utf8.xml", "application/rss+xml",
     ["Bretagne : la pêche côtière obtient un délai pour ses quotas de sole",
      "Lyon : le musée des Confluences prolonge l’exposition « Océans »"]),
    # An Atom feed with a stray <!DOCTYPE html> after its declaration.
    ("atom_stray_html_doctype.xml", "application/atom+xml",
     ["Mülheimer Brücke: Sperrung für Lkw über 7,5 Tonnen verlängert",
      "Weihnachtsmarkt am Dom öffnet früher"]),
    # BOM against declaration: the BOM wins.
    ("rss20_bom_utf8_declared_latin1.xml", None,
     ["Ferry fares to rise by €2 from January, operator says",
      "Café on the quay wins the county’s “best breakfast” award"]),
    ("atom_bom_utf16le_declared_utf8.xml", "application/atom+xml; charset=utf-8",
     ["Val-d’Isère : 40 cm de poudreuse avant l’ouverture du domaine"]),
    # HTTP charset against declaration and bytes.
    ("rss20_utf8_served_as_utf16.xml", "application/rss+xml; charset=utf-16",
     ["Großglockner-Hochalpenstraße bleibt bis Mai gesperrt"]),
    ("atom_utf16be_served_as_utf8.xml", "application/atom+xml; charset=utf-8",
     ["Comet C/2024 S1 brightens to magnitude 4 – visible at dawn"]),
    ("atom_utf16be_served_as_utf8.xml", None,
     ["Comet C/2024 S1 brightens to magnitude 4 – visible at dawn"]),
    ("rss20_utf8_served_as_latin1.xml", "text/xml; charset=iso-8859-1",
     ["Città: la funicolare del Monte Brè riapre dopo la revisione"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content_type", "titles"), MISLABELLED)
def test_mislabelled_feeds_are_read_by_their_bytes_and_root(
    name: str, content_type: str | None, titles: list[str]
) -> None:
    feed = parse_fixture(name, "https://x.example/", content_type)
    assert feed.format in {"rss", "atom"}
    assert [entry.title for entry in feed.entries] == titles


@pytest.mark.parametrize(
    ("name", "content_type"),
    [(path.name, None) for path in sorted(FIXTURES.glob("*.*"))]
    + [(name, content_type) for name, content_type, _ in MISLABELLED if content_type],
)
def test_yields_at_least_the_items_stock_feedparser_yields(
    name: str, content_type: str | None
) -> None:
    body = (FIXTURES / name).read_bytes()
    headers = {"content-type": content_type} if content_type else {}
    stock = feedparser.parse(io.BytesIO(body), response_headers=headers).entries
    ours = parse_fixture(name, "https://x.example/", content_type).entries
    assert len(ours) >= len(stock)
    assert {entry.get("id") for entry in stock} - {None} <= {entry.guid for entry in ours}


RSS_BODY = '<rss version="2.0"><channel><item><title>A</title></item></channel></rss>'


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        (f'<?xml version="1.0"?>\n<!-- html --><!DOCTYPE html>\n{RSS_BODY}', "rss"),
        (f'<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>\n<?xml-stylesheet href="a.xsl"?>{RSS_BODY}',
         "rss"),
        ('<?xml version="1.0"?><!DOCTYPE html><html><head><link rel="alternate" '
         f'type="application/rss+xml" href="/feed.xml"></head><body>{RSS_BODY}</body></html>',
         "html"),
        ('<!DOCTYPE html><head><link rel="alternate" type="application/rss+xml" '
         'href="/feed.xml"></head>', "html"),
    ],
)  # fmt: skip
def test_root_element_decides_between_feed_and_page(body: str, fmt: str) -> None:
    assert parse_feed(body.encode(), url="https://x.example/").format == fmt


def test_mislabelled_body_even_when_http_header_says_utf8() -> None:
    feed = parse_fixture(
        "rss20_mislabelled_cp1252.xml", "https://x.example/", "text/xml; charset=UTF-8"
    )
    assert feed.entries[0].summary == "Déjà vu… Grüße aus Köln – c’est ça."


def test_rdf_item_uses_rdf_about_as_guid() -> None:
    entry = parse_fixture("rss10_rdf.xml", "https://news.example.org/rss").entries[0]
    assert entry.guid == entry.link == "https://news.example.org/2024/12/04/osce-malta"
    assert entry.authors == ("Wire staff",)


def test_jsonfeed_10_numeric_id_external_url_and_text_content() -> None:
    first, second = parse_fixture("jsonfeed_10.json", "https://diplo.example.fr/feed.json").entries
    assert first.guid == "2024120401"
    assert 'href="https://diplo.example.fr/dossiers/osce"' in (first.summary_html or "")
    assert first.authors == ("Claire Dupont",)
    assert second.link == "https://agence.example.com/depeche/9876"
    assert second.summary == "Le traité de défense mutuelle est entré en vigueur."


def test_jsonfeed_11_language_authors_and_summary() -> None:
    entry = parse_fixture("jsonfeed_11.json", "https://briefing.example.de/feed.json").entries[0]
    assert (entry.language, entry.authors) == ("de", ("Lena Schröder",))
    assert entry.summary == "SPD und Grüne ringen um den Etat für 2025."
    assert entry.updated == datetime(2024, 12, 4, 6, 30, tzinfo=UTC)


def test_liveblog_updates_get_stable_ids() -> None:
    url = "https://www.exemple-info.fr/live/ukraine"
    entries = parse_fixture("liveblog_list.html", url).entries
    assert [entry.guid for entry in entries[:2]] == [f"{url}#update-3", f"{url}#update-2"]
    hashed = entries[2].guid or ""
    assert hashed.startswith("urn:telex:liveblog:")
    assert parse_fixture("liveblog_list.html", url).entries[2].guid == hashed
    assert entries[1].authors == ("Paul Martin", "Agence")
    assert entries[1].summary == "Le général Brown a parlé à Valeri Gerassimov le 27 novembre."


def test_liveblog_in_graph_after_a_block_that_is_not_json() -> None:
    entry = parse_fixture("liveblog_graph_single.html", "https://ticker.example.de/x").entries[0]
    assert entry.guid == "https://ticker.example.de/live/nato#eintrag-17"
    assert entry.published == datetime(2024, 12, 3, 17, 45, tzinfo=UTC)


def test_plain_page_reports_advertised_feed() -> None:
    feed = parse_fixture("discovery_only.html", "https://blog.example.com/world/index.html")
    assert feed.alternate_feed_url == "https://blog.example.com/world/feed/rss.xml"
    assert feed.entries == ()


@pytest.mark.parametrize("max_items", [0, 1, 2])
def test_max_items_keeps_the_first_entries_in_document_order(max_items: int) -> None:
    full = parse_fixture("rss20_liveblog_fr.xml", "https://x.example/")
    capped = parse_feed(
        (FIXTURES / "rss20_liveblog_fr.xml").read_bytes(), url="https://x.example/",
        max_items=max_items,
    )  # fmt: skip
    assert capped.entries == full.entries[:max_items]


@pytest.mark.parametrize(
    "name",
    [
        "rss20_liveblog_fr.xml",
        "atom_de.xml",
        "rss20_mislabelled_cp1252.xml",
        "rss20_content_encoded.xml",
        "atom_summary_content.xml",
    ],
)
def test_fast_path_matches_feedparser_path(name: str) -> None:
    text = decode_body((FIXTURES / name).read_bytes())
    url = "https://www.exemple-info.fr/rss/live.xml"
    fast = parse_fast(text, url=url, max_items=50)
    slow = parse_with_feedparser(text.encode(), url=url, max_items=50)
    if name == "atom_de.xml":  # XHTML content is left to feedparser
        assert fast is None
        return
    assert fast == slow


def test_rss_description_and_content_encoded_are_both_kept() -> None:
    feed = parse_fixture("rss20_content_encoded.xml", "https://www.wiener-beispiel.at/rss")
    both, content_only, description_only = feed.entries
    assert both.summary == "Die Außenminister der OSZE-Staaten treffen sich in Wien."
    assert both.content is not None
    assert both.content.startswith("Die Außenminister der OSZE-Staaten treffen sich am Donnerstag")
    assert "Sergej Lawrow" in both.content and both.content.endswith("Dossier")
    for markup in ("<", "track(", "steal()", "onclick"):
        assert markup not in both.content  # plain text: tags and scripts gone
    # Without a description the summary is still the content (as before); without
    # content:encoded there is no content.
    assert content_only.summary == content_only.content
    assert description_only.content is None


@pytest.mark.parametrize(
    ("name", "summary", "content"),
    [
        ("atom_summary_content.xml",
         "Ministers in Brussels backed a fifteenth package of sanctions.",
         "Foreign ministers meeting in Brussels on Thursday backed a fifteenth package of "
         "sanctions against Russia. The package targets vessels of the so-called shadow fleet "
         "and adds 52 names to the list."),
        ("jsonfeed_11.json", "SPD und Grüne ringen um den Etat für 2025.",
         "Lange Nacht im Kanzleramt."),
        ("jsonfeed_10.json", "Première visite d’un ministre russe dans l’UE depuis 2022. Dossier",
         "Première visite d’un ministre russe dans l’UE depuis 2022. Dossier"),
        ("liveblog_list.html", "Le général Brown a parlé à Valeri Gerassimov le 27 novembre.",
         "Le général Brown a parlé à Valeri Gerassimov le 27 novembre."),
        ("rss20_liveblog_fr.xml", None, None),
    ],
)  # fmt: skip
def test_full_content_of_each_format(name: str, summary: str | None, content: str | None) -> None:
    entries = parse_fixture(name, "https://feed.example/feed").entries
    with_content = [entry for entry in entries if entry.content]
    if summary is None:
        assert not with_content
        return
    assert (summary, content) in [(entry.summary, entry.content) for entry in with_content]


def test_atom_text_content_is_read_as_text() -> None:
    entry = parse_fixture("atom_summary_content.xml", "https://wire.example.org/").entries[1]
    expected = "Negotiators opened the first cluster of chapters with Moldova & Ukraine."
    assert entry.content == expected


@pytest.mark.parametrize(
    ("document", "feed_language", "entry_languages"),
    [
        # <dc:language> of the channel, and of an item.
        ('<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t'
         "</title><dc:language>it</dc:language><item><guid>a</guid><title>A</title></item>"
         "<item><guid>b</guid><title>B</title><dc:language>en</dc:language></item>"
         "</channel></rss>", "it", ["it", "en"]),
        # xml:lang on the channel (feedparser's path: it tracks xml:lang in scope).
        ('<rss version="2.0"><channel xml:lang="de"><title>t</title><item><guid>a</guid>'
         "<title>A</title></item></channel></rss>", None, ["de"]),
        # Both <language> and <dc:language>: the later one (feedparser's reading).
        ('<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t'
         "</title><language>fr</language><dc:language>it</dc:language><item><guid>a</guid>"
         "<title>A</title></item></channel></rss>", "it", ["it"]),
        # Atom: xml:lang of the feed, else its <dc:language>; an entry's own wins.
        ('<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de"><title>t</title><entry>'
         '<id>a</id><title>A</title></entry><entry xml:lang="fr"><id>b</id><title>B</title>'
         "</entry></feed>", "de", ["de", "fr"]),
        ('<feed xmlns="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">'
         "<title>t</title><dc:language>pl</dc:language><entry><id>a</id><title>A</title>"
         "</entry></feed>", "pl", ["pl"]),
    ],
)  # fmt: skip
def test_declared_languages(
    document: str, feed_language: str | None, entry_languages: list[str]
) -> None:
    feed = parse_feed(document.encode(), url="https://feed.example/")
    assert feed.language == feed_language
    assert [entry.language for entry in feed.entries] == entry_languages
    fast = parse_fast(document, url="https://feed.example/", max_items=50)
    if fast is not None:  # the fast path reads them as feedparser does
        assert fast == parse_with_feedparser(document.encode(), url="https://feed.example/",
                                             max_items=50)  # fmt: skip
