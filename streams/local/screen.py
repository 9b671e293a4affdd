"""Where `telex run` shows its state: a live view on a terminal, or plain lines for pipes."""

from __future__ import annotations

import time
from typing import Protocol

import click
from rich.console import Console
from rich.live import Live

from streams.local.view import plain_event_line, plain_feed_line, render
from streams.local.view_state import EventRow, ViewState

_FRAME_SECONDS = 0.25


class Screen(Protocol):
    def show(self, state: ViewState, rows: list[EventRow], flipped: list[str]) -> None:
        """Show the state after new event rows and feeds that entered or left backoff."""

    def close(self) -> None: ...


class LiveScreen:
    """The rich live view, redrawn at most 4 times a second, sized to the terminal."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._live = Live(
            console=console, auto_refresh=False, redirect_stdout=False, redirect_stderr=False
        )
        self._drawn_at = 0.0
        self._live.start()

    def show(self, state: ViewState, rows: list[EventRow], flipped: list[str]) -> None:
        now = time.time()
        if now - self._drawn_at < _FRAME_SECONDS and not rows and not state.notice:
            return
        width, height = self._console.size
        # One line less than the terminal: the cursor stays below the view without scrolling.
        self._live.update(render(state, now, width, height - 1), refresh=True)
        self._drawn_at = now

    def close(self) -> None:
        self._live.stop()


class PlainScreen:
    """One line per event, dead letter, and feed entering or leaving backoff."""

    def show(self, state: ViewState, rows: list[EventRow], flipped: list[str]) -> None:
        for row in rows:
            click.echo(plain_event_line(row))
        for feed_id in flipped:
            click.echo(plain_feed_line(state.feeds[feed_id], time.time()))

    def close(self) -> None:
        pass
