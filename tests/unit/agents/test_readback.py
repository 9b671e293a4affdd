"""Read-back bookkeeping: which offsets faust's stream passed over."""

from __future__ import annotations

from faust.exceptions import PartitionsMismatch
from faust.types import TP

from agents.readback import OffsetGaps, RawPositions


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


def test_a_partition_resumes_after_the_last_offset_processed_not_the_committed_one() -> None:
    gaps = OffsetGaps()
    gaps.reset({TP("raw", 0): 20, TP("raw", 1): 30})
    assert gaps.first_look("raw", 0)
    gaps.resume_after("raw", 0, 17)  # faust committed 20, but only up to 17 was tagged
    assert not gaps.first_look("raw", 0)  # once per assignment
    assert gaps.observe("raw", 0, 20) == 18  # 18 and 19 are read back
    assert gaps.first_look("raw", 1)
    gaps.resume_after("raw", 1, None)  # nothing known: the committed offset stands
    assert gaps.observe("raw", 1, 30) is None
    gaps.reset({TP("raw", 0): 25})
    assert gaps.first_look("raw", 0)  # a new assignment looks again
    gaps.resume_after("raw", 0, 27)  # tagged past the commit: redeliveries, no hole
    assert gaps.observe("raw", 0, 25) is None


def test_raw_positions_keep_the_last_offset_per_partition() -> None:
    table: dict[bytes, bytes] = {}
    positions = RawPositions(table)
    assert positions.last(3) is None
    positions.note(3, 41)
    positions.note(3, 42)
    positions.note(0, 7)
    assert (positions.last(3), positions.last(0), positions.last(1)) == (42, 7, None)


class _MismatchedTable(dict[bytes, bytes]):
    """A table whose changelog has fewer partitions than its source topic."""

    def __setitem__(self, key: bytes, value: bytes) -> None:
        raise PartitionsMismatch("raw has 6 partitions, the changelog 4")


def test_raw_positions_step_aside_when_partitions_were_added_while_running() -> None:
    table = _MismatchedTable({b"raw:0": b"41"})
    positions = RawPositions(table)
    assert positions.last(0) == 41
    positions.note(0, 42)  # no exception: tagging goes on
    assert positions.last(0) is None  # the committed offset stands in until a restart
