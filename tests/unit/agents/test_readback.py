"""Read-back bookkeeping: which offsets faust's stream passed over."""

from __future__ import annotations

from faust.types import TP

from agents.readback import OffsetGaps


def test_offset_gaps_are_forward_jumps_within_an_assignment() -> None:
    gaps = OffsetGaps()
    gaps.reset({TP("raw", 0): 10, TP("raw", 1): None})
    assert gaps.observe("raw", 0, 10) is None
    assert gaps.observe("raw", 0, 11) is None
    assert gaps.observe("raw", 0, 15) == 12
    assert gaps.observe("raw", 0, 3) is None  # redelivery after a seek back
    assert gaps.observe("raw", 1, 40) is None  # nothing committed yet: no expectation
    gaps.reset({TP("raw", 0): 100})  # another worker committed up to 100 meanwhile
    assert gaps.observe("raw", 0, 100) is None
    assert gaps.observe("raw", 0, 102) == 101


def test_a_first_event_is_expected_at_the_committed_offset_if_the_assignment_had_none() -> None:
    gaps = OffsetGaps()
    gaps.reset({})
    assert gaps.observe("raw", 2, 57, committed=55) == 55  # 55 and 56 passed over
    assert gaps.observe("raw", 2, 58, committed=55) is None  # the expectation is its own now
    assert gaps.observe("raw", 3, 9, committed=None) is None
