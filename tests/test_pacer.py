"""pacer.Pacer on a fake clock: slots per rate-limit category, freed one window after each answer."""

from __future__ import annotations

import threading

import pytest

from pacer import Pacer, category_of, operation_for, plan_names, resolve_plan, template_matches
from zoom_rate_limits import DOWNLOAD_OP, OPERATIONS, PLANS


class FakeTime:
    """A clock that only moves when someone sleeps (or the test advances it)."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def t():
    return FakeTime()


@pytest.fixture
def pacer(t):
    return Pacer("pro", clock=t.clock, sleep=t.sleep)


def call(pacer, category, *, answer_after=0.0, t=None):
    """One paced request whose answer comes back `answer_after` seconds after it was sent."""
    with pacer.slot(category):
        if answer_after:
            t.now += answer_after
    return t.now if t else None


def test_n_calls_take_the_right_number_of_windows(pacer, t):
    start = t.now
    sent = []
    for _ in range(50):  # Pro MEDIUM: 20 per second
        pacer.acquire("MEDIUM")
        sent.append(t.now - start)
        pacer.release("MEDIUM")
    assert sent[:20] == [0.0] * 20
    assert sent[20:40] == [1.0] * 20
    assert sent[40:] == [2.0] * 10
    assert sum(t.sleeps) == 2.0


@pytest.mark.parametrize(("category", "limit"), [("LIGHT", 30), ("MEDIUM", 20), ("HEAVY", 10)])
def test_the_limit_is_the_plans(t, category, limit):
    pacer = Pacer("pro", clock=t.clock, sleep=t.sleep)
    for _ in range(limit):
        pacer.acquire(category)
        pacer.release(category)
    assert t.sleeps == []
    pacer.acquire(category)
    assert t.sleeps == [1.0]


def test_resource_intensive_is_per_minute(t):
    pacer = Pacer("pro", clock=t.clock, sleep=t.sleep)
    for _ in range(11):
        with pacer.slot("RESOURCE-INTENSIVE"):
            pass
    assert t.sleeps == [60.0]


def test_a_slot_frees_one_window_after_the_answer_not_after_the_send(pacer, t):
    start = t.now
    for _ in range(10):
        pacer.acquire("HEAVY")
    t.now += 0.3  # the answers take 300 ms
    for _ in range(10):
        pacer.release("HEAVY")
    pacer.acquire("HEAVY")
    assert t.now - start == pytest.approx(1.3)


def test_categories_are_independent(pacer, t):
    for _ in range(20):
        with pacer.slot("MEDIUM"):
            pass
    for _ in range(30):
        with pacer.slot("LIGHT"):
            pass
    for _ in range(10):
        with pacer.slot("HEAVY"):
            pass
    assert t.sleeps == []  # each category had its own quota
    with pacer.slot("MEDIUM"):
        pass
    assert t.sleeps == [1.0]


def test_requests_in_flight_hold_their_slots_until_they_finish(t):
    checked = threading.Event()  # the waiter has looked at the slots (under the pacer's lock)

    def clock():
        if threading.current_thread().name == "waiter":
            checked.set()
        return t.now

    pacer = Pacer("pro", clock=clock, sleep=t.sleep)
    for _ in range(10):
        pacer.acquire("HEAVY")  # ten requests sent, none answered yet
    answered = []
    got = []
    waiter = threading.Thread(target=lambda: (pacer.acquire("HEAVY"), got.append(list(answered))),
                              name="waiter")
    waiter.start()
    assert checked.wait(10)
    answered.append(True)
    pacer.release("HEAVY")  # one answer; its slot frees one window later
    waiter.join(10)
    assert got == [[True]]  # the waiter got its slot only after an answer came back
    assert t.sleeps == [1.0]


def test_retry_after_closes_the_category_for_everyone(pacer, t):
    start = t.now
    pacer.hold_off("MEDIUM", 2.5)
    with pacer.slot("LIGHT"):  # other categories are not held off
        pass
    assert t.now == start
    with pacer.slot("MEDIUM"):
        pass
    assert t.now - start == 2.5


def test_the_request_that_waited_out_its_own_429_is_not_held_off_twice(pacer, t):
    pacer.hold_off("MEDIUM", 2.5)
    with pacer.slot("MEDIUM", waited_out=True):
        pass
    assert t.sleeps == []


def test_a_shorter_retry_after_never_shortens_a_hold_off(pacer, t):
    start = t.now
    pacer.hold_off("HEAVY", 3)
    pacer.hold_off("HEAVY", 1)
    with pacer.slot("HEAVY"):
        pass
    assert t.now - start == 3


def test_many_threads_never_exceed_the_limit_in_any_window(t):
    pacer = Pacer("pro", clock=t.clock, sleep=t.sleep)
    log: list[tuple[float, float]] = []  # (sent, answered)
    lock = threading.Lock()

    def worker():
        for _ in range(25):
            pacer.acquire("HEAVY")
            sent = t.now
            with lock:
                log.append((sent, None))
                index = len(log) - 1
            answered = t.now
            log[index] = (sent, answered)
            pacer.release("HEAVY")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert len(log) == 200
    # Whenever a request was sent, fewer than 10 others were sent before it and answered less than a
    # window earlier (or not yet answered).
    for sent, _ in log:
        busy = [1 for s, a in log if s <= sent and a > sent - 1.0]
        assert len(busy) <= 10


def test_plans_and_aliases():
    assert resolve_plan("Pro") == "pro"
    assert resolve_plan(" enterprise ") == "business_plus"
    assert resolve_plan("none") is None
    with pytest.raises(ValueError, match="unknown Zoom plan .gold.; expected one of free, pro"):
        resolve_plan("gold")
    assert "business" in plan_names()
    assert PLANS["business_plus"]["LIGHT"] == (80, 1)
    with pytest.raises(ValueError):
        Pacer("none")


def test_operation_keys():
    assert category_of("GET /users/{userId}/recordings") == "MEDIUM"
    assert category_of(DOWNLOAD_OP) == "LIGHT"
    with pytest.raises(ValueError, match="unknown Zoom operation 'GET /users/{id}/recordings'"):
        category_of("GET /users/{id}/recordings")
    assert operation_for("GET", "/users/me/recordings") == "GET /users/{userId}/recordings"
    assert operation_for("GET", "/users") == "GET /users"
    assert operation_for("GET", "/past_meetings/%252Fab%253D%253D/participants") == \
        "GET /past_meetings/{meetingId}/participants"
    assert operation_for("PUT", "/users/me") is None
    assert operation_for("GET", "/users/me/nothing") is None
    assert template_matches("/users/{userId}", "/users/me?x=1")
    assert not template_matches("/users/{userId}", "/users/")
    assert all(op.split(" ", 1)[0] in ("GET", "POST", "PATCH", "DELETE") for op in OPERATIONS)
