"""Fixtures of the agents' unit tests."""

from __future__ import annotations

import pytest

from tests.unit.agents.agent_support import Sent, record_sends


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Sent]:
    """Every message the agents hand to the producer, in order, instead of sending it."""
    return record_sends(monkeypatch)
