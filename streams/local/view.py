"""How `telex run` draws its state: the live view (rich) and the plain lines. Pure functions.

``render`` turns a ViewState, the time and the terminal size into one rich renderable that
fits: rows are cut to the height, long ids lose their middle (``demo-rss:…#seed-07``), never
their end, where the part that tells items apart is. The plain lines, for pipes and CI, keep
ids whole.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from streams.local.view_state import EventRow, FeedRow, ViewState

STATUS_LABELS = {"near_duplicate": "near-dup"}
STATUS_STYLES = {
    "new": "bold green",
    "update": "cyan",
    "duplicate": "dim",
    "near_duplicate": "yellow",
    "dlq": "bold red",
}
# Lines around the events table: heading, blank lines, section titles, table headers, footer.
_FIXED_LINES = 15
_BOUNDARIES = "#/?&=:"


def render(state: ViewState, now: float, width: int, height: int) -> RenderableType:
    """The whole view for a terminal of ``width`` x ``height`` cells."""
    room = height - _FIXED_LINES - (1 if state.notice else 0)
    feed_rows = min(len(state.feeds), max(2, room // 2))
    event_rows = max(1, room - feed_rows)
    parts: list[RenderableType] = [
        _heading(state, now),
        Text(""),
        _feeds_table(state.feeds.values(), now, width, feed_rows),
        Text(""),
        Text("Counters", style="bold"),
        *_counter_lines(state),
        Text(""),
        _events_table(list(state.events)[-event_rows:], width),
        Text(""),
        *_footer(state, width),
    ]
    return Group(*parts)


def shorten_id(text: str, width: int) -> str:
    """``text`` in ``width`` cells: its middle replaced by "…", keeping the feed prefix (up to
    the first ':') and the end, from a URL boundary (``#``, ``/``, ...) when one fits."""
    if len(text) <= width:
        return text
    if width < 4:
        return "…" + text[len(text) - width + 1 :] if width > 1 else "…"[:width]
    colon = text.find(":")
    head = text[: colon + 1] if colon > 0 and 3 * (colon + 1) <= 2 * width else ""
    room = width - len(head) - 1
    tail = text[len(text) - room :]
    boundary = next((i for i, char in enumerate(tail) if char in _BOUNDARIES), None)
    if boundary is not None:
        tail = tail[boundary:]  # the longest suffix that starts at a boundary and fits
    return f"{head}…{tail}"


def status_text(status: str) -> Text:
    return Text(STATUS_LABELS.get(status, status), style=STATUS_STYLES.get(status, ""))


def duration(seconds: float) -> str:
    """``5s``, ``2m05s``, ``1h02m``: short enough for a table cell."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def plain_event_line(row: EventRow) -> str:
    """One event as a line for pipes: whole ids, story id, tags and title."""
    clock = time.strftime("%H:%M:%S", time.localtime(row.at))
    status = STATUS_LABELS.get(row.status, row.status)
    if row.status == "dlq":
        return f"{clock} {status:9} {row.item_id} {row.title}"
    tags = ",".join(row.tags) or "-"
    story = "" if row.story_id == row.item_id else f" story={row.story_id}"
    return f"{clock} {status:9} {row.item_id}{story} [{tags}] {row.title}"


def plain_feed_line(row: FeedRow, now: float) -> str:
    """A feed's state for pipes, printed when it enters or leaves backoff."""
    clock = time.strftime("%H:%M:%S", time.localtime(now))
    return f"{clock} feed {row.feed_id}: {row.last_outcome or '-'}, {_backoff(row, now)}"


def _heading(state: ViewState, now: float) -> Text:
    text = Text("telex run", style="bold")
    text.append(f"  broker {state.bootstrap}  up {duration(now - state.started_at)}")
    text.append("  Ctrl-C stops everything", style="dim")
    return text


def _feeds_table(feeds: Iterable[FeedRow], now: float, width: int, rows: int) -> Table:
    """At most ``rows`` lines: feeds in backoff first, then by id; a last line counts the rest."""
    table = _table("Feeds", width)
    feed_width = max(12, min(32, width // 4))
    table.add_column("feed", width=feed_width, no_wrap=True)
    table.add_column("last outcome", width=16, no_wrap=True)
    table.add_column("items", width=5, no_wrap=True, justify="right")
    table.add_column("next poll", width=10, no_wrap=True, justify="right")
    table.add_column("backoff", ratio=1, no_wrap=True, overflow="ellipsis")
    ordered = sorted(feeds, key=lambda r: (not r.failures, r.feed_id))
    shown = ordered if len(ordered) <= rows else ordered[: rows - 1]
    for row in shown:
        outcome = row.last_outcome or "waiting"
        style = "red" if row.failures else ("dim" if row.last_outcome is None else "")
        table.add_row(
            shorten_id(row.feed_id, feed_width),
            Text(outcome, style=style),
            str(row.items),
            _next_poll(row, now),
            Text(_backoff(row, now), style="red" if row.failures else "dim"),
        )
    if len(shown) < len(ordered):
        table.add_row(Text(f"… and {len(ordered) - len(shown)} more feeds", style="dim"))
    return table


def _next_poll(row: FeedRow, now: float) -> str:
    if row.gone:
        return "stopped"
    if row.next_poll_at is None:
        return "-"
    wait = row.next_poll_at - now
    return f"in {duration(wait)}" if wait >= 1 else "due"


def _backoff(row: FeedRow, now: float) -> str:
    if not row.failures:
        return "none"
    since = f" for {duration(now - row.backoff_since)}" if row.backoff_since else ""
    return f"{row.failures} failure{'s' if row.failures > 1 else ''}{since}"


def _counter_lines(state: ViewState) -> list[Text]:
    counts = state.statuses
    items = Text()
    for label, value in (
        ("items in", state.items_in),
        ("new", counts["new"]),
        ("updates", counts["update"]),
        ("duplicates", counts["duplicate"]),
        ("near-duplicates", counts["near_duplicate"]),
    ):
        items.append(f"{label} ").append(str(value), style="bold").append("   ")
    dlq_style = "bold red" if state.dead_letters else "bold"
    health = Text("DLQ ").append(str(state.dead_letters), style=dlq_style)
    lag = "-" if state.lag is None else str(state.lag)
    health.append("   consumer lag ").append(lag, style="bold")
    tags = Text("tags:", no_wrap=True, overflow="ellipsis")
    ranked = sorted(state.tags.items(), key=lambda kv: (-kv[1], kv[0]))
    for index, (slug, value) in enumerate(ranked):
        tags.append(f"{' ·' if index else ''} {slug} ").append(str(value), style="bold")
    if not state.tags:
        tags.append(" none yet", style="dim")
    return [items, health, tags]


def _events_table(rows: list[EventRow], width: int) -> RenderableType:
    table = _table("Latest events", width)
    with_time = width >= 100
    item_width = max(16, min(60, 26 + (width - 80) * 3 // 8))
    tags_width = 17 if width < 100 else 26
    # Widths are of the content; each column but the last adds one blank after it.
    if with_time:
        table.add_column("time", width=8, no_wrap=True)
    table.add_column("status", width=9, no_wrap=True)
    table.add_column("item", width=item_width, no_wrap=True)
    table.add_column("story", width=5, no_wrap=True, justify="right")
    table.add_column("tags", width=tags_width, no_wrap=True)
    table.add_column("title", ratio=1, no_wrap=True, overflow="ellipsis")
    for row in rows:
        clock = [time.strftime("%H:%M:%S", time.localtime(row.at))] if with_time else []
        table.add_row(
            *clock,
            status_text(row.status),
            shorten_id(row.item_id, item_width),
            f"#{row.story}" if row.story else "",
            _tags_cell(row.tags, tags_width),
            row.title,
        )
    if rows:
        return table
    return Group(table, Text("waiting for the first enriched event", style="dim"))


def _tags_cell(tags: tuple[str, ...], width: int) -> str:
    """As many whole tags as fit, then ``+N`` for the others."""
    if not tags:
        return "-"
    shown: list[str] = []
    for index, tag in enumerate(tags):
        rest = len(tags) - index - 1
        candidate = ",".join([*shown, tag]) + (f"+{rest}" if rest else "")
        if len(candidate) > width:
            break
        shown.append(tag)
    hidden = len(tags) - len(shown)
    if not shown:  # a slug, not an id: its end may go
        more = f"+{hidden - 1}" if hidden > 1 else ""
        return tags[0][: width - len(more) - 1] + "…" + more
    return ",".join(shown) + (f"+{hidden}" if hidden else "")


def _footer(state: ViewState, width: int) -> list[Text]:
    lines: list[Text] = []
    if state.notice:
        lines.append(Text(state.notice, style="bold red", no_wrap=True, overflow="ellipsis"))
    pids = "  ".join(f"{child.name} {child.pid}" for child in state.children) or "none"
    lines.append(Text(f"processes: {pids}", style="dim", no_wrap=True, overflow="ellipsis"))
    logs = shorten_id(state.log_dir.rstrip("/") + "/", width - 30)
    lines.append(Text(f"logs: {logs} (one file per process)", style="dim", no_wrap=True))
    return lines


def _table(title: str, width: int) -> Table:
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=None,
        padding=(0, 1, 0, 0),
        pad_edge=False,
        show_edge=False,
        expand=True,
        width=width,
        header_style="bold dim",
    )
