"""The feeds file (`poller.feeds_file`): read it (YAML or OPML), write it, watch it for changes.

YAML is telex's own form, a mapping with a ``feeds`` list of the same entries as
``poller.feeds`` (id, url, interval_seconds, language, title, labels, headers, paused,
reset_at). OPML is what feed readers import and export: read with listparser, each outline with
an ``xmlUrl`` is a feed, its id derived from its title, its categories (nested outlines or the
``category`` attribute) kept as the label ``category`` in OPML's own notation
("News/France,Sport"). `telex feeds` edits YAML files only; an OPML feeds file is edited in the
reader that made it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

import listparser
import yaml
from pydantic import ValidationError

from streams.errors import ConfigError
from streams.settings import FeedSettings

log = logging.getLogger(__name__)

CATEGORY_LABEL = "category"
_MAX_FILE_BYTES = 16 * 1024 * 1024
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def is_opml(path: Path, text: str | None = None) -> bool:
    """OPML by its extension, or by its root element when the text is at hand."""
    if path.suffix.lower() == ".opml":
        return True
    return text is not None and re.search(r"<opml\b", text[:4096]) is not None


def read_feed_file(path: Path) -> tuple[FeedSettings, ...]:
    """The feeds the file lists; ConfigError naming the file (and the entry) when invalid."""
    return parse_feed_file(path, _read_text(path))


def check_secrets(feeds: Iterable[FeedSettings], source: Path | str) -> None:
    """ConfigError unless every request header's secret can be read (what the poller needs;
    `telex feeds` edits the file without them)."""
    for feed in feeds:
        try:
            feed.request_headers()
        except ValueError as exc:
            raise ConfigError(f"feeds file {source}: {exc}") from None


def parse_feed_file(path: Path, text: str) -> tuple[FeedSettings, ...]:
    """The feeds of a feeds file's text (YAML or OPML, see is_opml)."""
    if is_opml(path, text):
        return opml_feeds(text.encode("utf-8"), source=path)
    return _yaml_feeds(path, text)


def merge_feeds(inline: Iterable[FeedSettings], listed: Iterable[FeedSettings]) -> tuple[
    FeedSettings, ...
]:  # fmt: skip
    """`poller.feeds` then the file's; an id in both is an error (which one would win?)."""
    feeds = (*inline, *listed)
    ids = [feed.id for feed in feeds]
    duplicates = sorted({feed_id for feed_id in ids if ids.count(feed_id) > 1})
    if duplicates:
        raise ConfigError(f"feed ids listed twice (config and feeds file): {duplicates}")
    return feeds


def write_feed_file(path: Path, feeds: Iterable[FeedSettings]) -> None:
    """Write a YAML feeds file atomically: a watcher never reads half a file."""
    if is_opml(path):
        raise ConfigError(
            f"{path} is OPML: telex feeds edits YAML feeds files only (edit an OPML list in the "
            "reader that made it, or import it into a YAML file with `telex feeds import`)"
        )
    entries = [_yaml_entry(feed) for feed in feeds]
    text = "# telex feeds file (poller.feeds_file); `telex feeds` rewrites it.\n"
    text += yaml.safe_dump({"feeds": entries}, sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def opml_feeds(
    document: bytes, *, source: Path | str = "OPML", taken: Iterable[str] = ()
) -> tuple[FeedSettings, ...]:
    """The feeds of an OPML document (ids derived from titles, unique and not in `taken`)."""
    if b"<!ENTITY" in document:
        raise ConfigError(f"{source}: OPML with entity declarations is refused")
    result = listparser.parse(document)  # bytes: never fetched, parsed with html.parser
    if not result.get("version", "").startswith("opml"):
        raise ConfigError(f"{source} is not an OPML subscription list")
    used = set(taken)
    feeds = []
    for outline in result["feeds"]:
        url = str(outline.get("url", "")).strip()
        if not url.startswith(("http://", "https://")):
            log.warning("%s: skipping outline with xmlUrl %r (not http or https)", source, url)
            continue
        title = str(outline.get("title", "")).strip() or None
        feed_id = unique_id(title or url, used)
        used.add(feed_id)
        labels = {CATEGORY_LABEL: category} if (category := _category(outline)) else {}
        feeds.append(_validated(source, id=feed_id, url=url, title=title, labels=labels))
    return tuple(feeds)


def export_opml(feeds: Iterable[FeedSettings], *, title: str = "telex feeds") -> str:
    """OPML 2.0: one outline per feed, nested in outlines named after its first category."""
    tree: dict[str, Any] = {}
    for feed in feeds:
        node = tree
        for name in _first_path(feed.labels.get(CATEGORY_LABEL, "")):
            node = node.setdefault(name, {})
        node.setdefault("", []).append(feed)
    created = format_datetime(datetime.now(UTC), usegmt=True)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head>\n    <title>{escape(title)}</title>\n"
        f"    <dateCreated>{created}</dateCreated>\n  </head>",
        "  <body>",
        *_outlines(tree, depth=2),
        "  </body>",
        "</opml>",
        "",
    ]
    return "\n".join(lines)


def unique_id(seed: str, taken: Iterable[str]) -> str:
    """A feed id (lower-case slug) made from a title or URL, suffixed -2, -3... if taken."""
    used = set(taken)
    if seed.startswith(("http://", "https://")):
        parts = urlsplit(seed)
        seed = f"{(parts.hostname or '').removeprefix('www.')} {parts.path}"
    folded = unicodedata.normalize("NFKD", seed).encode("ascii", "ignore").decode().lower()
    base = _SLUG_JUNK.sub("-", folded).strip("-")[:56].rstrip("-") or "feed"
    candidate, number = base, 1
    while candidate in used:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


@dataclass
class FeedFileWatcher:
    """Tells the poller when the feeds file changed and what it now lists.

    `check()` costs a stat while nothing changed. An invalid file is logged once per change
    and the previous list kept, as is a file that disappears; a file missing at start lists no
    feeds (it may be created later, by `telex feeds add` say).
    """

    path: Path
    inline: tuple[FeedSettings, ...] = ()
    _signature: tuple[int, int, int] | None = None
    _digest: str | None = None

    def load(self) -> tuple[FeedSettings, ...]:
        """The feed list at start; ConfigError if the file exists but is invalid."""
        self._signature = self._stat()
        text = self._text()
        self._digest = _digest(text)
        listed = parse_feed_file(self.path, text) if text is not None else ()
        check_secrets(listed, self.path)
        if text is None:
            log.warning("feeds file %s does not exist (yet): watching for it", self.path)
        return merge_feeds(self.inline, listed)

    def check(self) -> tuple[FeedSettings, ...] | None:
        """The new feed list if the file changed and is valid; None otherwise."""
        signature = self._stat()
        if signature == self._signature:
            return None
        self._signature = signature
        try:
            text = self._text()
        except ConfigError as exc:
            log.error("feeds file not reloaded, keeping the previous list: %s", exc)
            return None
        if text is None:
            # Deleted, or between an unlink and a create: not a request to stop every feed
            # (an empty file is).
            log.warning("feeds file %s is gone: keeping the previous list", self.path)
            return None
        digest = _digest(text)
        if digest == self._digest:
            return None  # touched, or rewritten with the same content
        try:
            listed = parse_feed_file(self.path, text)
            check_secrets(listed, self.path)
            feeds = merge_feeds(self.inline, listed)
        except ConfigError as exc:
            log.error("feeds file not reloaded, keeping the previous list: %s", exc)
            self._digest = digest  # logged once per content, not every few seconds
            return None
        self._digest = digest
        return feeds

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _text(self) -> str | None:
        return _read_text(self.path) if self.path.exists() else None


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read feeds file {path}: {exc.strerror}") from None
    if len(data) > _MAX_FILE_BYTES:
        raise ConfigError(f"feeds file {path} is larger than {_MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"feeds file {path} is not UTF-8: {exc}") from None


def _yaml_feeds(path: Path, text: str) -> tuple[FeedSettings, ...]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"feeds file {path} is not valid YAML: {exc}") from None
    entries = document.get("feeds") if isinstance(document, dict) else document
    if document is None or entries is None:
        return ()
    if not isinstance(entries, list):
        raise ConfigError(f"feeds file {path} must hold a list of feeds (under `feeds:`)")
    feeds = tuple(_validated(path, index=index, **_mapping(path, entry, index))
                  for index, entry in enumerate(entries))  # fmt: skip
    merge_feeds((), feeds)  # duplicate ids
    return feeds


def _mapping(path: Path, entry: object, index: int) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ConfigError(f"feeds file {path}: feed {index} is not a mapping")
    return {str(key): value for key, value in entry.items()}


def _validated(source: Path | str, index: int | None = None, **values: Any) -> FeedSettings:
    try:
        return FeedSettings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        name = values.get("id") or (f"#{index}" if index is not None else values.get("url"))
        raise ConfigError(f"feeds file {source}: feed {name}: {key}: {first['msg']}") from None


def _yaml_entry(feed: FeedSettings) -> dict[str, Any]:
    """The feed as YAML values: defaults left out; header sources, never header values."""
    entry: dict[str, Any] = feed.model_dump(mode="json", exclude_defaults=True)
    entry = {"id": feed.id, "url": feed.url, **entry}
    for source in entry.get("headers", {}).values():
        for key in [key for key, value in source.items() if value in (None, "")]:
            del source[key]
    return entry


def _category(outline: dict[str, Any]) -> str:
    paths = ["/".join(part.replace("/", " ").replace(",", " ") for part in path)
             for path in outline.get("categories") or () if path]  # fmt: skip
    return ",".join(dict.fromkeys(path for path in paths if path))


def _first_path(category: str) -> list[str]:
    first = category.split(",", 1)[0]
    return [part.strip() for part in first.split("/") if part.strip()]


def _outlines(tree: dict[str, Any], depth: int) -> list[str]:
    indent = "  " * depth
    lines = []
    for name, child in tree.items():
        if name:
            lines.append(f"{indent}<outline text={quoteattr(name)} title={quoteattr(name)}>")
            lines.extend(_outlines(child, depth + 1))
            lines.append(f"{indent}</outline>")
    for feed in tree.get("", []):
        title = feed.title or feed.id
        attributes = [f"type={quoteattr('rss')}", f"text={quoteattr(title)}",
                      f"title={quoteattr(title)}", f"xmlUrl={quoteattr(feed.url)}"]  # fmt: skip
        if feed.language:
            attributes.append(f"language={quoteattr(feed.language)}")
        if feed.labels.get(CATEGORY_LABEL):
            attributes.append(f"category={quoteattr(feed.labels[CATEGORY_LABEL])}")
        lines.append(f"{indent}<outline {' '.join(attributes)}/>")
    return lines


def _digest(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if text is not None else None
