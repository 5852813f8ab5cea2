"""ZoomClient's pacing (op= keys, the plan), parallel() and the concurrency cap, against the simulator."""

from __future__ import annotations

import contextlib
import contextvars
import threading

import pytest

from pacer import Pacer
from tests.test_pacer import FakeTime
from tests.test_zoom_client import Tokens
from zoom_client import (
    DEFAULT_MAX_CONCURRENCY,
    Cancelled,
    ZoomClient,
    ZoomError,
    options_from_env,
)
from zoomsim import ZoomSimulator

RECORDINGS_OP = "GET /users/{userId}/recordings"
PLAIN_UUID = "kY2t7QHvRfm0c0m3W1pZ9g%3D%3D"  # a recorded seed meeting (no double encoding needed)


class RecordingPacer(Pacer):
    """A Pacer on a fake clock that logs the category of every slot taken."""

    def __init__(self, t: FakeTime, plan: str = "pro"):
        super().__init__(plan, clock=t.clock, sleep=t.sleep)
        self.taken: list[str] = []

    def acquire(self, category, *, waited_out=False):
        super().acquire(category, waited_out=waited_out)
        self.taken.append(category)


@pytest.fixture
def t():
    return FakeTime()


@pytest.fixture
def slept():
    return []


@pytest.fixture
def make(sim, slept):
    def build(**kw):
        kw.setdefault("sleep", slept.append)
        return ZoomClient(sim.api_url, Tokens(sim), jitter=lambda: 0.5, **kw)

    return build


# -- op= and the categories ---------------------------------------------------------------------------


def test_each_call_is_paced_by_its_operations_category(make, t):
    pacer = RecordingPacer(t)
    client = make(pacer=pacer)
    client.get("/users/me/recordings", op=RECORDINGS_OP)
    client.get("/report/users/me/meetings", {"from": "2027-01-01", "to": "2027-01-31"},
               op="GET /report/users/{userId}/meetings")
    rec = client.get(f"/meetings/{PLAIN_UUID}/recordings", op="GET /meetings/{meetingId}/recordings")
    client.download_text(rec["recording_files"][0]["download_url"])
    list(client.pages("/users/me/meetings", {}, "meetings", page_size=2, max_items=4,
                      op="GET /users/{userId}/meetings"))
    assert pacer.taken == ["MEDIUM", "HEAVY", "LIGHT", "LIGHT", "MEDIUM", "MEDIUM"]


def test_without_op_the_path_names_the_operation(make, t, sim):
    pacer = RecordingPacer(t)
    client = make(pacer=pacer)
    client.get("/users/me")
    client.get("/users")
    client.request("GET", "/users/me/recordings", scope="recording:read:admin")
    assert pacer.taken == ["LIGHT", "MEDIUM", "MEDIUM"]


@pytest.mark.parametrize(("method", "api_path", "op", "message"), [
    ("GET", "/users/me", "GET /users/{id}", "unknown Zoom operation 'GET /users/{id}'"),
    ("GET", "/users/me", "PATCH /meetings/{meetingId}", "does not fit the call GET /users/me"),
    ("GET", "/users/me", "GET /users/{userId}/recordings", "does not fit the call GET /users/me"),
])
def test_a_wrong_operation_key_is_a_bug_and_sends_nothing(make, sim, method, api_path, op, message):
    for client in (make(), make(rate_plan=None)):
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("{", r"\{")):
            client.request(method, api_path, op=op)
    assert sim.requests(route="api") == []


def test_no_plan_means_no_pacer(make):
    assert make(rate_plan=None).pacer is None
    assert make(rate_plan="none").pacer is None
    assert make(rate_plan="business").pacer.plan == "business_plus"
    assert make().pacer.plan == "pro"
    with pytest.raises(ValueError, match="unknown Zoom plan 'gold'"):
        make(rate_plan="gold")


def test_a_429_holds_the_category_off_for_the_other_calls(make, t, sim, slept):
    pacer = RecordingPacer(t)
    client = make(pacer=pacer)
    sim.add_fault("GET /v2/users/me", "rate_limit", retry_after="2", count=1)
    assert client.get("/users/me")["email"]
    assert slept == [2.0]  # the caller itself waited out Retry-After ...
    assert t.sleeps == []  # ... and its retry was not held off a second time
    client.get(f"/meetings/{PLAIN_UUID}/recordings")  # another LIGHT call, "at once" on the fake clock
    assert t.sleeps == [2.0]
    client.get("/users/me/recordings")  # MEDIUM was never held off
    assert t.sleeps == [2.0]


def test_a_retry_after_past_the_budget_does_not_freeze_the_other_calls(make, t, sim):
    client = make(pacer=RecordingPacer(t))
    sim.add_fault("GET /v2/users/me", "rate_limit", retry_after="3600", count=1)
    with pytest.raises(ZoomError, match="wait 3600 s"):
        client.get("/users/me")
    client.get(f"/meetings/{PLAIN_UUID}/recordings")
    assert t.sleeps == []


# -- parallel() -----------------------------------------------------------------------------------------


def test_parallel_keeps_input_order_whatever_order_calls_finish_in(make):
    client = make(max_concurrency=4)
    done = [threading.Event() for _ in range(4)]
    finished = []

    def call(i):
        def run():
            if i < 3:  # each waits for the next one: they finish last to first
                assert done[i + 1].wait(10)
            finished.append(i)
            done[i].set()
            return f"result {i}"
        return run

    assert client.parallel([call(i) for i in range(4)]) == ["result 0", "result 1", "result 2", "result 3"]
    assert finished == [3, 2, 1, 0]


def test_parallel_runs_real_calls(make, sim):
    client = make()
    paths = ["/users/me", "/users", "/users/me/meetings", "/users/me/webinars"]
    got = client.parallel([lambda p=p: client.get(p) for p in paths])
    assert got[0]["email"] and "users" in got[1] and "meetings" in got[2] and "webinars" in got[3]
    assert sorted(r["path"] for r in sim.requests(route="api")) == sorted("/v2" + p for p in paths)


def _run_in_thread(fn):
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, box


@pytest.mark.parametrize("first_also_fails", [False, True])
def test_the_first_failure_stops_new_calls_and_is_raised_once_the_others_finished(make, first_also_fails):
    client = make(max_concurrency=2)
    gate = threading.Event()
    failing = threading.Event()
    failed_in: list[threading.Thread] = []
    started = []

    def first():
        assert gate.wait(10)
        if first_also_fails:
            raise ZoomError("first failed")
        return "first"

    def second():
        failed_in.append(threading.current_thread())
        failing.set()
        raise ZoomError("second failed")

    def later(name):
        return lambda: started.append(name)

    runner, box = _run_in_thread(lambda: client.parallel([first, second, later("third"), later("fourth")]))
    assert failing.wait(10)
    failed_in[0].join(10)  # the worker that ran `second` has recorded its failure and stopped
    assert runner.is_alive()  # parallel() still waits for `first`, which is running
    gate.set()
    runner.join(10)
    assert str(box["error"]) == "second failed"  # the first failure in time, whatever came after
    assert started == []  # nothing started after the failure


def test_cancel_is_checked_before_each_call_starts(make):
    client = make(max_concurrency=1)
    cancel = threading.Event()
    ran = []

    def call(i):
        def run():
            ran.append(i)
            if i == 1:
                cancel.set()
            return i
        return run

    with pytest.raises(Cancelled, match="2 of 4 Zoom calls were not started"):
        client.parallel([call(i) for i in range(4)], cancel=cancel)
    assert ran == [0, 1]
    with pytest.raises(Cancelled, match="3 of 3"):
        client.parallel([call(i) for i in range(3)], cancel=cancel)
    assert ran == [0, 1]
    assert isinstance(Cancelled("x"), ZoomError)


def test_parallel_of_nothing_and_of_one(make):
    client = make()
    assert client.parallel([]) == []
    caller = threading.current_thread()
    assert client.parallel([lambda: threading.current_thread() is caller]) == [True]


def test_calls_see_the_callers_context_variables(make):
    var = contextvars.ContextVar("var", default="unset")
    var.set("the caller's")
    client = make()
    assert client.parallel([var.get for _ in range(5)]) == ["the caller's"] * 5


def test_at_most_max_concurrency_calls_run_at_once(make):
    client = make(max_concurrency=3)
    barrier = threading.Barrier(3, timeout=10)  # passes only when three run together
    lock = threading.Lock()
    active = [0]
    peak = [0]

    def call():
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        barrier.wait()
        with lock:
            active[0] -= 1

    client.parallel([call] * 9)
    assert peak[0] == 3


class Arrivals:
    """An injected simulator sleep: the simulator sleeps twice per request in the connection's thread,
    on the way there and on the way back; `on_arrival` runs on the way there."""

    def __init__(self, on_arrival):
        self.on_arrival = on_arrival
        self._local = threading.local()

    def __call__(self, seconds):
        self._local.n = getattr(self._local, "n", 0) + 1
        if self._local.n % 2:
            self.on_arrival()


def test_the_whole_client_has_at_most_max_concurrency_requests_in_flight():
    lock = threading.Lock()
    arrived = [0]
    peak = [0]
    barrier = threading.Barrier(3, timeout=10)  # trips only when three requests are in at once

    def on_arrival():
        with lock:
            arrived[0] += 1
            peak[0] = max(peak[0], arrived[0])
        barrier.wait()
        with lock:
            arrived[0] -= 1

    with ZoomSimulator(latency_ms=1, sleep=Arrivals(on_arrival)) as sim:
        client = ZoomClient(sim.api_url, Tokens(sim), max_concurrency=3, rate_plan=None)
        # Two tools fanning out at once share the client's three slots.
        runs = [_run_in_thread(lambda: client.parallel([lambda: client.get("/users/me")] * 6))
                for _ in range(2)]
        for thread, box in runs:
            thread.join(30)
            assert "error" not in box, box
        assert peak[0] == 3
        assert len(sim.requests(route="api")) == 12


def test_the_connection_pool_keeps_a_connection_per_call_in_flight():
    barrier = threading.Barrier(DEFAULT_MAX_CONCURRENCY, timeout=10)  # all twelve in flight at once
    with ZoomSimulator(latency_ms=1, sleep=Arrivals(barrier.wait)) as slow:
        client = ZoomClient(slow.api_url, Tokens(slow), rate_plan=None)
        for _ in range(2):
            client.parallel([lambda: client.get("/users/me")] * DEFAULT_MAX_CONCURRENCY)
        pool = client.session.get_adapter(slow.api_url).poolmanager
        (connections,) = [p.num_connections for p in pool.pools._container.values()]
        # Twelve at once, twice: the second round reused the first round's twelve connections.
        assert connections == DEFAULT_MAX_CONCURRENCY


# -- end to end: a burst against Zoom's Pro limits ---------------------------------------------------------


@pytest.mark.parametrize(("latency", "jitter"), [(0, 0), (30, 25)])
def test_a_burst_of_60_medium_calls_through_the_pacer_gets_no_429(latency, jitter):
    with ZoomSimulator(rate_limits="pro", latency_ms=latency, latency_jitter_ms=jitter, seed=13) as sim:
        calls = [lambda: client.get("/users/me/recordings", op=RECORDINGS_OP)] * 60
        client = ZoomClient(sim.api_url, Tokens(sim))  # the defaults: Pro, 12 at once
        results = client.parallel(calls)
        assert len(results) == 60 and all("meetings" in r for r in results)
        assert sim.stats()["rate_limited"] == 0
        assert [r["status"] for r in sim.requests(route="api")] == [200] * 60

        # The baseline: the same burst without the pacer trips Zoom's limit (so this test can fail).
        sim.set_rate_limits("pro")  # a fresh window
        sim.clear_requests()
        unpaced = ZoomClient(sim.api_url, Tokens(sim), rate_plan=None, sleep=lambda s: None)
        calls = [lambda: unpaced.get("/users/me/recordings", op=RECORDINGS_OP)] * 60
        with contextlib.suppress(ZoomError):  # some calls may run out of retries
            unpaced.parallel(calls)
        assert sim.stats()["rate_limited"] > 0


# -- settings ------------------------------------------------------------------------------------------


def test_options_from_env():
    assert options_from_env({}) == {"rate_plan": "pro", "max_concurrency": 12}
    assert options_from_env({"ZOOM_RATE_PLAN": " Business ", "ZOOM_MAX_CONCURRENCY": "4"}) == {
        "rate_plan": "Business", "max_concurrency": 4}
    assert options_from_env({"ZOOM_RATE_PLAN": "none", "ZOOM_MAX_CONCURRENCY": ""})["rate_plan"] == "none"
    with pytest.raises(ValueError, match="ZOOM_RATE_PLAN: unknown Zoom plan 'gold'; expected one of free"):
        options_from_env({"ZOOM_RATE_PLAN": "gold"})
    for bad in ("0", "-1", "65", "ten", "2.5"):
        with pytest.raises(ValueError, match=f"ZOOM_MAX_CONCURRENCY must be a whole number from 1 to 64, "
                                             f"got '{bad}'"):
            options_from_env({"ZOOM_MAX_CONCURRENCY": bad})


def test_a_bad_cap_is_refused(sim):
    for bad in (0, -3, 2.5, True, "4"):
        with pytest.raises(ValueError, match="max_concurrency must be a whole number >= 1"):
            ZoomClient(sim.api_url, Tokens(sim), max_concurrency=bad)
