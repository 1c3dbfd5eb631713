"""How a new measurement of the database's clock moves this process's offset (gbp_scheduler/clock.py):
a measurement is off by at most half its round trip, so it moves the offset only as far as it proves
the offset wrong; a round trip stretched by a busy machine leaves the offset where it was."""

from __future__ import annotations

from gbp_scheduler.clock import offset_corrected


def test_the_first_measurement_is_taken_as_it_is():
    assert offset_corrected(None, 2.5, 0.9) == 2.5


def test_a_measurement_whose_round_trip_was_stretched_leaves_the_offset_as_it_was():
    # Answered in 1 ms, but the thread got the CPU back 1.5 s later: the reading is 0.75 s off.
    assert offset_corrected(0.001, -0.749, 1.501) == 0.001


def test_a_quick_measurement_that_proves_the_offset_wrong_moves_it_as_far_as_it_proves():
    assert offset_corrected(0.0, 150.0, 0.002) == 150.0 - 0.001
    assert offset_corrected(0.0, -3.0, 1.0) == -2.5
