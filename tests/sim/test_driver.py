"""The baton scheduler: ticket order across lanes, gates, deadlock detection, the clock driver."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.driver import Driver, Gate, Lane, Scheduler, SimDeadlock


def test_items_run_in_submission_order_across_lanes_one_at_a_time():
    sched = Scheduler()
    a, b = Lane(sched, "a"), Lane(sched, "b")
    log, running = [], []

    def item(tag):
        running.append(tag)
        assert len(running) == 1          # never two sim-facing threads at once
        log.append((tag, threading.current_thread().name))
        running.pop()

    with sched.baton():
        for i in range(6):
            (a if i % 2 else b).submit(item, i)
        sched.wait(_drain_gate(sched))
    assert [t for t, _ in log] == list(range(6))
    assert [n for _, n in log] == ["b", "a"] * 3
    a.close()
    b.close()


def _drain_gate(sched: Scheduler) -> Gate:
    """A gate a helper lane opens after everything queued so far (items run in ticket order)."""
    gate = Gate()
    helper = Lane(sched, "helper")
    helper.submit(sched.open, gate, None)
    return gate


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3)), min_size=1, max_size=30))
def test_any_submission_pattern_runs_in_ticket_order(plan):
    sched = Scheduler()
    lanes = [Lane(sched, f"l{i}") for i in range(3)]
    log = []

    def item(n, fanout):
        log.append(n)
        for k in range(fanout):           # items submitted from inside items run after everything before them
            lanes[(n + k) % 3].submit(log.append, (n, k))

    with sched.baton():
        for n, (lane, fanout) in enumerate(plan):
            lanes[lane].submit(item, n, fanout)
        sched.wait(_drain_gate(sched))
    expected = list(range(len(plan)))
    for n, (_, fanout) in enumerate(plan):
        expected += [(n, k) for k in range(fanout)]
    assert log == expected
    for lane in lanes:
        lane.close()


def test_waiting_on_a_gate_nobody_can_open_raises_deadlock():
    sched = Scheduler()
    lane = Lane(sched, "w")
    errors = []

    def blocked():
        try:
            with sched.baton():
                sched.wait(Gate())         # only this lane could have opened it
        except SimDeadlock as exc:
            errors.append(str(exc))

    lane.submit(blocked)
    lane.close(wait=True)                  # joins the lane thread once its item has ended
    assert errors and "can never arrive" in errors[0]


def test_driver_steps_only_while_someone_waits_and_opens_clock_gates():
    sched = Scheduler()
    clock = {"now": 0, "steps": 0}

    def step():
        if clock["steps"] == 5:
            return False
        clock["steps"] += 1
        clock["now"] += 3000
        return True

    Driver(sched, step, lambda: clock["now"])
    with sched.baton():
        assert sched.wait(Gate("clock", due_ms=6000)) is False
        assert clock["now"] == 6000 and clock["steps"] == 2
        assert sched.wait(Gate("clock")) is True         # session end
    assert clock["steps"] == 5


def test_wait_requires_the_baton():
    with pytest.raises(RuntimeError, match="without holding the baton"):
        Scheduler().wait(Gate())
