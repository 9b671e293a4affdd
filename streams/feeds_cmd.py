"""`telex feeds`: list, add, remove, pause, resume, reset, import and export the feeds of the
feeds file (`poller.feeds_file`). A running poller applies each edit within
`poller.feeds_reload_seconds`; the state topic is read (list) or written (remove) only here.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from streams.errors import ConfigError, TelexError
from streams.settings import FeedSettings, Settings

_STATE_TIMEOUT = 30.0

Edit = Callable[[list[FeedSettings]], list[FeedSettings]]


@click.group()
def feeds() -> None:
    """Manage the feeds file (poller.feeds_file); a running poller picks edits up by itself."""


@feeds.command("list")
@click.option("--no-state", is_flag=True, help="Do not read the saved states from Kafka.")
@click.pass_context
def list_feeds(ctx: click.Context, no_state: bool) -> None:
    """Print every feed (config and feeds file) with its saved state, as JSON lines."""
    from streams.poll.service import listed_feeds, load_states
    from streams.poll.status import describe_all

    settings = _settings(ctx)
    listed = listed_feeds(settings)
    states: dict[str, Any] = {}
    if not no_state:
        try:
            states = asyncio.run(asyncio.wait_for(load_states(settings, 20), _STATE_TIMEOUT))
        except (TelexError, OSError, TimeoutError) as exc:
            click.echo(f"telex: warning: saved states unavailable ({exc or 'timeout'})", err=True)
    for entry in describe_all(states, listed):
        click.echo(orjson.dumps(entry).decode())


@feeds.command()
@click.argument("url")
@click.option("--id", "feed_id", help="Feed id (default: made from the title or the URL).")
@click.option("--interval", type=float, help="Seconds between polls (default 300).")
@click.option("--language", help="Language when the feed declares none (ISO 639-1).")
@click.option("--title", help="A name for the feed (kept in OPML exports).")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@click.pass_context
def add(
    ctx: click.Context,
    url: str,
    feed_id: str | None,
    interval: float | None,
    language: str | None,
    title: str | None,
    labels: tuple[str, ...],
) -> None:
    """Add a feed to the feeds file."""
    from streams.poll.feedlist import unique_id

    values: dict[str, Any] = {"url": url, "title": title, "language": language,
                              "labels": _labels(labels)}  # fmt: skip
    if interval is not None:
        values["interval_seconds"] = interval

    def add_feed(current: list[FeedSettings]) -> list[FeedSettings]:
        if any(feed.url == url for feed in current):
            raise ConfigError(f"{url} is already listed")
        taken = {feed.id for feed in current}
        chosen = feed_id or unique_id(title or url, taken)
        if chosen in taken:
            raise ConfigError(f"feed id {chosen!r} is already listed")
        return [*current, _feed(id=chosen, **values)]

    added = _edit(ctx, add_feed)[-1]
    click.echo(f"added {added.id} ({added.url})")


@feeds.command()
@click.argument("feed_id")
@click.pass_context
def remove(ctx: click.Context, feed_id: str) -> None:
    """Remove a feed and delete its saved state (so `telex poll --status` forgets it)."""
    from streams.poll.service import delete_states

    settings = _settings(ctx)
    if any(feed.id == feed_id for feed in settings.poller.feeds):
        raise ConfigError(f"{feed_id} is in the config's poller.feeds: remove it there")
    file_feeds = _file_feeds(settings)
    if any(feed.id == feed_id for feed in file_feeds):
        _edit(ctx, lambda current: [feed for feed in current if feed.id != feed_id])
        click.echo(f"removed {feed_id}")
    try:
        asyncio.run(asyncio.wait_for(delete_states(settings, [feed_id]), _STATE_TIMEOUT))
    except (TelexError, OSError, TimeoutError) as exc:
        click.echo(
            f"telex: warning: saved state of {feed_id} not deleted ({exc or 'timeout'}); a "
            "running poller deletes it when it sees the removal",
            err=True,
        )
    else:
        click.echo(f"saved state of {feed_id} deleted")


@feeds.command()
@click.argument("feed_id")
@click.pass_context
def pause(ctx: click.Context, feed_id: str) -> None:
    """Stop polling a feed, keeping its saved state."""
    _set(ctx, feed_id, "paused", paused=True)


@feeds.command()
@click.argument("feed_id")
@click.pass_context
def resume(ctx: click.Context, feed_id: str) -> None:
    """Poll a paused feed again, from its saved state."""
    _set(ctx, feed_id, "resumed", paused=False)


@feeds.command()
@click.argument("feed_id")
@click.pass_context
def reset(ctx: click.Context, feed_id: str) -> None:
    """Clear a feed's backoff and a 410 stop: the poller polls it again at once."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    _set(ctx, feed_id, "reset", reset_at=stamp)


@feeds.command("import")
@click.argument("opml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--interval", type=float, help="Seconds between polls for the imported feeds.")
@click.pass_context
def import_opml(ctx: click.Context, opml: Path, interval: float | None) -> None:
    """Add the feeds of an OPML file (Miniflux, FreshRSS, Feedly... exports); categories
    become the label `category`, URLs already listed are skipped."""
    from streams.poll.feedlist import opml_feeds

    counts = {"added": 0, "skipped": 0}

    def merge(current: list[FeedSettings]) -> list[FeedSettings]:
        known = {feed.url for feed in current}
        found = opml_feeds(opml.read_bytes(), source=opml, taken={f.id for f in current})
        new = [feed for feed in found if feed.url not in known]
        if interval is not None:
            new = [_feed(**{**feed.model_dump(), "interval_seconds": interval}) for feed in new]
        counts.update(added=len(new), skipped=len(found) - len(new))
        return [*current, *new]

    _edit(ctx, merge)
    click.echo(f"imported {counts['added']} feeds from {opml} ({counts['skipped']} already listed)")


@feeds.command()
@click.argument("output", type=click.File("w"), default="-")
@click.pass_context
def export(ctx: click.Context, output: Any) -> None:
    """Write every feed as OPML 2.0 (to a file, or stdout), categories as nested outlines."""
    from streams.poll.feedlist import export_opml
    from streams.poll.service import listed_feeds

    output.write(export_opml(listed_feeds(_settings(ctx))))


def _settings(ctx: click.Context) -> Settings:
    from streams.cli import _settings as settings_of

    return settings_of(ctx)


def _file_feeds(settings: Settings) -> list[FeedSettings]:
    from streams.poll.feedlist import read_feed_file

    path = _feeds_file(settings)
    return list(read_feed_file(path)) if path.exists() else []


def _feeds_file(settings: Settings) -> Path:
    if settings.poller.feeds_file is None:
        raise ConfigError("telex feeds edits the feeds file: set poller.feeds_file in the config")
    return settings.poller.feeds_file


def _edit(ctx: click.Context, edit: Edit) -> list[FeedSettings]:
    """Apply `edit` to the file's feeds and write it back (atomically)."""
    from streams.poll.feedlist import merge_feeds, write_feed_file

    settings = _settings(ctx)
    path = _feeds_file(settings)
    changed = edit(_file_feeds(settings))
    merge_feeds(settings.poller.feeds, changed)  # no id of poller.feeds twice
    write_feed_file(path, changed)
    return changed


def _set(ctx: click.Context, feed_id: str, done: str, **changes: Any) -> None:
    def change(current: list[FeedSettings]) -> list[FeedSettings]:
        if not any(feed.id == feed_id for feed in current):
            raise ConfigError(f"no feed {feed_id!r} in the feeds file")
        return [_feed(**{**feed.model_dump(), **changes}) if feed.id == feed_id else feed
                for feed in current]  # fmt: skip

    _edit(ctx, change)
    click.echo(f"{done} {feed_id}")


def _feed(**values: Any) -> FeedSettings:
    """A FeedSettings, its validation error as one ConfigError naming the key."""
    from pydantic import ValidationError

    try:
        return FeedSettings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"invalid feed {key!r}: {first['msg']}") from None


def _labels(pairs: tuple[str, ...]) -> dict[str, str]:
    labels = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--label")
        labels[key.strip()] = value.strip()
    return labels


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run it as `telex feeds`")
