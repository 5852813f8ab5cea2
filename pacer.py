"""Pace Zoom API calls per rate-limit category, so that this server never trips Zoom's limits itself.

Zoom counts requests per account and per category (LIGHT, MEDIUM, HEAVY, RESOURCE-INTENSIVE; see
zoom_rate_limits.py), N per window (a second; a minute for RESOURCE-INTENSIVE). The pacer lets at most
N requests of a category hold a slot at once, where a slot is held from the moment a request may be
sent until one window after its answer came back. Zoom counted the request somewhere between those two
moments, so by then Zoom's window for it has surely closed, whatever the network's delays: no clock
needs to agree with Zoom's, and no safety margin needs guessing. The cost is one round trip per window
(N requests per 1.15 s at 150 ms, not per 1 s).

A 429 that comes anyway (other apps share the account's quota) closes the category for its Retry-After
(hold_off), so parallel calls wait instead of all hitting it too.

Thread-safe (the server's tools run in worker threads). The clock and the sleep are injectable.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from zoom_rate_limits import CATEGORIES, OPERATIONS, PLAN_ALIASES, PLANS

OFF = ("none", "off")  # plan names that mean: no limits
# For a path no operation key matches (a call without op=): the strictest per-second category.
FALLBACK_CATEGORY = "HEAVY"


def plan_names() -> list[str]:
    return [*PLANS, *PLAN_ALIASES, *OFF]


def resolve_plan(name: str) -> str | None:
    """The canonical plan for a name (case-insensitive; aliases allowed), None for "none" or "off"."""
    key = name.strip().lower()
    if key in OFF:
        return None
    key = PLAN_ALIASES.get(key, key)
    if key not in PLANS:
        raise ValueError(f"unknown Zoom plan {name!r}; expected one of {', '.join(plan_names())}")
    return key


def category_of(op: str) -> str:
    """The rate-limit category of an operation key such as "GET /users/{userId}/recordings"."""
    try:
        return OPERATIONS[op]
    except KeyError:
        raise ValueError(f"unknown Zoom operation {op!r}: not in zoom_rate_limits.OPERATIONS "
                         "(add the route to the simulator and run dev/gen_rate_limits.py)") from None


def template_matches(template: str, path: str) -> bool:
    """Does a concrete (percent-encoded) API path fit a template such as /users/{userId}/recordings?"""
    return _fits(template.split("/"), path.split("?", 1)[0].split("/"))


def _fits(want: list[str], got: list[str]) -> bool:
    if len(want) != len(got):
        return False
    return all((w.startswith("{") and g) or w == g for w, g in zip(want, got, strict=True))


def _compile() -> dict[tuple[str, int], list[tuple[list[str], str]]]:
    """Operations by (method, segment count), the ones with more literal segments first, so that
    GET /users/summary would win over GET /users/{userId}."""
    table: dict[tuple[str, int], list[tuple[list[str], str]]] = {}
    for op in OPERATIONS:
        method, template = op.split(" ", 1)
        segments = template.split("/")
        table.setdefault((method, len(segments)), []).append((segments, op))
    for candidates in table.values():
        candidates.sort(key=lambda c: -sum(1 for seg in c[0] if not seg.startswith("{")))
    return table


_BY_SHAPE = _compile()


def operation_for(method: str, path: str) -> str | None:
    """The operation key a concrete call belongs to, or None."""
    got = path.split("?", 1)[0].split("/")
    for segments, op in _BY_SHAPE.get((method, len(got)), ()):
        if _fits(segments, got):
            return op
    return None


class _Category:
    __slots__ = ("limit", "period", "in_flight", "free_at", "closed_until")

    def __init__(self, limit: int, period: float):
        self.limit = limit
        self.period = float(period)
        self.in_flight = 0
        self.free_at: deque[float] = deque()  # when each finished request's slot frees, ascending
        self.closed_until = 0.0

    def wait(self, now: float, honour_close: bool) -> float | None:
        """0 when a slot is free now; seconds until one frees; None when only a finish can free one."""
        while self.free_at and self.free_at[0] <= now:
            self.free_at.popleft()
        if honour_close and now < self.closed_until:
            return self.closed_until - now
        if self.in_flight + len(self.free_at) < self.limit:
            return 0.0
        if self.free_at:
            return self.free_at[0] - now
        return None


class Pacer:
    """Slots per rate-limit category for one Zoom account's plan."""

    def __init__(self, plan: str = "pro", *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        resolved = resolve_plan(plan)
        if resolved is None:
            raise ValueError("a Pacer needs a plan; for no pacing use no Pacer at all")
        self.plan = resolved
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._categories = {c: _Category(*PLANS[resolved][c]) for c in CATEGORIES}

    def limit(self, category: str) -> tuple[int, float]:
        cat = self._categories[category]
        return cat.limit, cat.period

    def acquire(self, category: str, *, waited_out: bool = False) -> None:
        """Block until a request of `category` may be sent. `waited_out`: this request already slept
        through the Retry-After of its own 429, so the category's hold-off does not apply to it again."""
        cat = self._categories[category]
        while True:
            with self._cond:
                wait = cat.wait(self._clock(), honour_close=not waited_out)
                if wait == 0:
                    cat.in_flight += 1
                    return
                if wait is None:
                    # Every slot is held by a request still in flight: its finish notifies.
                    self._cond.wait()
                    continue
            # A known wait never gets shorter (new finishes free later; a hold-off only lengthens it),
            # so a plain sleep outside the lock is exact, and the loop re-checks after it.
            self._sleep(wait)

    def release(self, category: str) -> None:
        """The request's answer (or failure) has come back: its slot frees one window from now."""
        cat = self._categories[category]
        with self._cond:
            cat.in_flight -= 1
            cat.free_at.append(self._clock() + cat.period)
            self._cond.notify_all()

    @contextmanager
    def slot(self, category: str, *, waited_out: bool = False) -> Iterator[None]:
        self.acquire(category, waited_out=waited_out)
        try:
            yield
        finally:
            self.release(category)

    def hold_off(self, category: str, seconds: float) -> None:
        """Zoom answered 429 with Retry-After `seconds`: send nothing more of `category` until then."""
        cat = self._categories[category]
        with self._cond:
            cat.closed_until = max(cat.closed_until, self._clock() + max(0.0, seconds))
