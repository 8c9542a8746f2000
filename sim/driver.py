"""Deterministic scheduling for the fake xtquant: one baton, worker lanes, gates and the clock driver.

Every thread that runs sim-facing code (the script's main thread under `python -m sim exec`, each
XtQuantTrader worker, the xtdata callback thread) must hold the baton. Who gets it next is decided
by tickets handed out while the baton is held, so a seeded run interleaves callbacks and prints the
same way every time. Blocking calls (sync queries, run_forever, xtdata.run, a patched time.sleep)
park on a Gate and pass the baton on. The clock driver advances the World only when nothing else
can run, i.e. when every callback for the previous snapshot has returned.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from loguru import logger


class SimDeadlock(RuntimeError):
    """A thread waits for something no other thread can ever deliver."""


class SessionEnded(SystemExit):
    """Raised from a patched time.sleep once the simulated session is over (ends `python -m sim exec` cleanly)."""

    def __init__(self) -> None:
        super().__init__(0)


class Gate:
    """A one-shot event opened by a baton holder; its ticket orders the wake-up of its waiter."""

    __slots__ = ("due_ms", "error", "kind", "ticket", "value")

    def __init__(self, kind: str = "future", due_ms: int | None = None) -> None:
        self.kind = kind          # "future": opened by a lane/sim call; "clock": opened by the driver
        self.due_ms = due_ms      # clock gates: open once the simulated clock reaches this (None = session end)
        self.ticket: int | None = None
        self.value: object = None
        self.error: BaseException | None = None

    @property
    def is_open(self) -> bool:
        """True once opened."""
        return self.ticket is not None


class Lane:
    """A single-thread executor whose items run only while holding the baton (like ThreadPoolExecutor(1)).

    A hosted lane has no thread of its own: its items run on the clock driver's thread, which saves two thread
    switches per snapshot for quote pushes (the real xtdata client also runs callbacks on its receiving thread).
    """

    def __init__(self, sched: Scheduler, name: str, on_error: Callable[[BaseException], None] | None = None,
                 hosted: bool = False):
        self.sched = sched
        self.name = name
        self.queue: deque[tuple[int, Callable, tuple]] = deque()
        self.running = False
        self.closed = False
        self.hosted = hosted
        self.on_error = on_error
        self.thread = None if hosted else threading.Thread(target=self._loop, name=name, daemon=True)
        with sched._lock:
            sched._lanes.append(self)
        if self.thread is not None:
            self.thread.start()

    def submit(self, fn: Callable, *args: object) -> None:
        """Queue fn(*args) to run on this lane's thread."""
        with self.sched._lock:
            if self.closed:
                return
            self.queue.append((next(self.sched._tickets), fn, args))
            if self.sched._owner is None:
                self.sched._pick_next()

    def in_lane(self) -> bool:
        """True when called from the thread running this lane's items."""
        if self.hosted:
            return self.running and threading.get_ident() == self.sched.driver_ident
        return threading.current_thread() is self.thread

    def close(self, wait: bool = True) -> None:
        """Stop accepting items; the thread ends once its queue is drained."""
        with self.sched._lock:
            self.closed = True
            if self.hosted:
                self.queue.clear()
                self.sched._lanes.remove(self)
                return
            if self.sched._owner is None:
                self.sched._pick_next()
            self.sched._wake(self.thread.ident)
        if wait and not self.in_lane() and not self.sched.holds():
            self.thread.join(timeout=10)

    def run_one(self) -> None:
        """Run the head item (caller holds the baton on the thread that serves this lane)."""
        with self.sched._lock:
            _, fn, args = self.queue.popleft()
            self.running = True
        try:
            fn(*args)
        except BaseException as exc:  # noqa: BLE001 - a callback error must not kill the lane
            if self.on_error is not None:
                self.on_error(exc)
            else:
                logger.opt(exception=exc).error("callback raised lane={}", self.name)
        finally:
            with self.sched._lock:
                self.running = False

    def _loop(self) -> None:
        sched = self.sched
        me = threading.get_ident()
        while True:
            with sched._lock:
                cond = sched._cond(me)
                while sched._owner != me:
                    if self.closed and not self.queue:
                        sched._lanes.remove(self)
                        sched._conds.pop(me, None)
                        return
                    cond.wait()
            self.run_one()
            with sched._lock:
                sched._owner = None
                sched._pick_next()


class Scheduler:
    """The baton: exactly one managed thread runs sim-facing code at a time, in ticket order."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._conds: dict[int, threading.Condition] = {}   # one per thread: wake-ups are targeted
        self._owner: int | None = None
        self._tickets = itertools.count(1)
        self._lanes: list[Lane] = []
        self._waiters: dict[int, Gate] = {}
        self.clock_wanted: Callable[[], bool] = lambda: False   # set by the Driver
        self.driver_ident: int | None = None
        self.driver_parked = False
        self._driver_task: Lane | None = None
        self.closed = False

    def in_worker_lane(self) -> bool:
        """True on the thread of a (non-hosted) lane, i.e. inside an xttrader callback."""
        me = threading.current_thread()
        return any(lane.thread is me for lane in self._lanes)

    def _cond(self, ident: int) -> threading.Condition:
        cond = self._conds.get(ident)
        if cond is None:
            cond = self._conds[ident] = threading.Condition(self._lock)
        return cond

    def _wake(self, ident: int | None) -> None:
        if ident is not None and ident in self._conds:
            self._conds[ident].notify()

    def _wait_turn(self, me: int) -> None:
        cond = self._cond(me)
        while self._owner != me:
            cond.wait()

    def close(self) -> None:
        """Shut down: the clock driver thread exits (lanes are closed by their owners)."""
        with self._lock:
            self.closed = True
            for cond in self._conds.values():
                cond.notify_all()

    # -- baton -----------------------------------------------------------------------------------
    def holds(self) -> bool:
        """True when the calling thread holds the baton."""
        return self._owner == threading.get_ident()

    @contextmanager
    def baton(self) -> Iterator[None]:
        """Hold the baton for the block (re-entrant)."""
        if self.holds():
            yield
            return
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def acquire(self) -> None:
        """Take the baton, queueing behind everything already runnable."""
        gate = Gate()
        me = threading.get_ident()
        with self._lock:
            gate.ticket = next(self._tickets)
            self._waiters[me] = gate
            if self._owner is None:
                self._pick_next()
            self._wait_turn(me)

    def release(self) -> None:
        """Give the baton back."""
        with self._lock:
            if self._owner == threading.get_ident():
                self._owner = None
                self._pick_next()

    def open(self, gate: Gate, value: object = None, error: BaseException | None = None) -> None:
        """Open a gate (its waiter becomes runnable with this ticket)."""
        with self._lock:
            if gate.is_open:
                return
            gate.value, gate.error = value, error
            gate.ticket = next(self._tickets)
            if self._owner is None:
                self._pick_next()

    def wait(self, gate: Gate) -> object:
        """Park the calling baton holder on gate, let others run, return the gate's value (or raise its error)."""
        me = threading.get_ident()
        with self._lock:
            if self._owner != me:
                raise RuntimeError("sim: wait() called without holding the baton")
            if not gate.is_open:
                self._waiters[me] = gate
                self._owner = None
                self._pick_next()
                self._wait_turn(me)
        if gate.error is not None:
            raise gate.error
        return gate.value

    # -- driver side -----------------------------------------------------------------------------
    def clock_gates(self) -> list[Gate]:
        """Gates waiting for the clock (run_forever, xtdata.run, sleeps)."""
        with self._lock:
            return [g for g in self._waiters.values() if g.kind == "clock" and not g.is_open]

    def future_waiting(self) -> bool:
        """True when some thread waits for a response."""
        return any(g.kind == "future" and not g.is_open for g in self._waiters.values())

    def park_driver(self) -> Lane | bool:
        """Driver: give up the baton and wait; returns a hosted lane to serve, True to step, False once closed."""
        me = threading.get_ident()
        with self._lock:
            self.driver_ident = me
            if self._owner == me:
                self._owner = None
            self.driver_parked = True
            if self._owner is None:
                self._pick_next()
            cond = self._cond(me)
            while self._owner != me:
                if self.closed:
                    self.driver_parked = False
                    return False
                cond.wait()
            self.driver_parked = False
            task, self._driver_task = self._driver_task, None
            return task if task is not None else True

    def idle(self) -> bool:
        """True when no lane has work and no waiter is runnable."""
        with self._lock:
            return not any(lane.queue or lane.running for lane in self._lanes) and not any(
                g.is_open for g in self._waiters.values())

    def _pick_next(self) -> None:
        """Choose the next owner (caller holds _lock and the baton is free)."""
        best: tuple[int, int, Lane | None] | None = None
        for lane in self._lanes:
            if not lane.queue or lane.running:
                continue
            ident = self.driver_ident if lane.hosted else lane.thread.ident
            if ident is None or (lane.hosted and not self.driver_parked):
                continue
            if best is None or lane.queue[0][0] < best[0]:
                best = (lane.queue[0][0], ident, lane)
        for ident, gate in self._waiters.items():
            if gate.is_open and (best is None or gate.ticket < best[0]):
                best = (gate.ticket, ident, None)
        if best is not None:
            self._owner = best[1]
            if best[2] is None:
                del self._waiters[best[1]]
            elif best[2].hosted:
                self._driver_task = best[2]
            self._wake(best[1])
            return
        if self.driver_parked and self.clock_wanted():
            self._owner = self.driver_ident
            self._wake(self.driver_ident)
            return
        self._owner = None
        for ident, gate in list(self._waiters.items()):
            if gate.kind == "future" and not gate.is_open:
                gate.error = SimDeadlock(
                    "sim: a synchronous xtquant call is waiting for a response that can never arrive "
                    "(the thread that would deliver it is blocked); this call would hang the real client")
                gate.ticket = next(self._tickets)
                del self._waiters[ident]
                self._owner = ident
                self._wake(ident)
                break


class Driver:
    """The clock: steps a World whenever nothing else can run and someone waits for time to pass.

    Its thread also serves hosted lanes (the xtdata callbacks).
    """

    def __init__(self, sched: Scheduler, step: Callable[[], bool], now_ms: Callable[[], int],
                 speed: float | None = None, has_delayed: Callable[[], bool] = lambda: False,
                 name: str = "sim-clock") -> None:
        self.sched = sched
        self.step = step              # advances one snapshot; False once the session is over
        self.now_ms = now_ms
        self.speed = speed            # None = as fast as possible; 1.0 = real time; x = x times real time
        self.has_delayed = has_delayed
        self.ended = False
        self._wall0: float | None = None
        self._sim0: int | None = None
        sched.clock_wanted = self._wanted
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.thread.start()

    def in_driver(self) -> bool:
        """True on the driver's thread (e.g. inside an xtdata callback)."""
        return threading.current_thread() is self.thread

    def _wanted(self) -> bool:
        if self.sched.clock_gates():
            return True
        return self.sched.future_waiting() and self.has_delayed() and not self.ended

    def _loop(self) -> None:
        sched = self.sched
        while (task := sched.park_driver()) is not False:      # returns holding the baton
            if isinstance(task, Lane):
                task.run_one()
                continue
            try:
                if self.ended:
                    self._open_clock_gates(end=True)
                    continue
                if self._open_clock_gates(end=False):
                    continue              # a drain/sleep that is already due: no need to advance
                if not self.step():
                    self.ended = True
                    self._open_clock_gates(end=True)
                    continue
                if self.speed:
                    self._pace()
                self._open_clock_gates(end=False)
            except BaseException as exc:  # noqa: BLE001 - surface to every waiter instead of dying silently
                logger.opt(exception=exc).error("sim clock step failed")
                self.ended = True
                for gate in sched.clock_gates():
                    sched.open(gate, error=exc)

    def _pace(self) -> None:
        now = self.now_ms()
        if self._wall0 is None:
            self._wall0, self._sim0 = time.monotonic(), now
            return
        due = self._wall0 + (now - self._sim0) / 1000.0 / self.speed
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def _open_clock_gates(self, end: bool) -> int:
        now = self.now_ms()
        opened = 0
        for gate in self.sched.clock_gates():
            if end or (gate.due_ms is not None and gate.due_ms <= now):
                self.sched.open(gate, value=end)
                opened += 1
        return opened
