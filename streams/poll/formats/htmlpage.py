"""One pass over an HTML page collecting <base>, feed <link rel="alternate"> and JSON-LD."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_JSON_LD_TYPE = "application/ld+json"


@dataclass(slots=True)
class PageScan:
    """What telex needs from a page: its base URL, advertised feeds and JSON-LD blocks."""

    base_href: str | None = None
    alternates: list[tuple[str, str]] = field(default_factory=list)  # (type, href)
    json_ld_blocks: list[str] = field(default_factory=list)


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()
        self._json_ld: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "script" and attributes.get("type", "").strip().lower() == _JSON_LD_TYPE:
            self._json_ld = []
        elif tag == "base" and self.scan.base_href is None and attributes.get("href"):
            self.scan.base_href = attributes["href"]
        elif tag == "link" and _is_alternate(attributes):
            self.scan.alternates.append((attributes.get("type", ""), attributes["href"]))

    def handle_data(self, data: str) -> None:
        if self._json_ld is not None:
            self._json_ld.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._json_ld is not None:
            self.scan.json_ld_blocks.append("".join(self._json_ld))
            self._json_ld = None


def _is_alternate(attributes: dict[str, str]) -> bool:
    return "alternate" in attributes.get("rel", "").lower().split() and bool(attributes.get("href"))


def scan_page(page: str) -> PageScan:
    """Scan an HTML document; malformed markup yields whatever was recognisable."""
    scanner = _Scanner()
    scanner.feed(page)
    scanner.close()
    return scanner.scan
