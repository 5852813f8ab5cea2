"""Zoom's per-account rate limits for the simulator: one sliding window per category.

A request is admitted when fewer than N requests of its category were admitted in the window before it
(a second; a minute for RESOURCE-INTENSIVE), the strictest reading of "N per second": it also catches
a client that would only be safe against fixed, clock-aligned windows. Rejected requests do not use up
the quota. The plans and the operation categories come from zoom_rate_limits (generated from Zoom's spec).
"""

from __future__ import annotations

import math
import threading
from collections import deque

from pacer import resolve_plan
from zoom_rate_limits import CATEGORIES, HEADER_NAMES, PLANS


class Verdict:
    """The outcome for one request, with what Zoom's X-RateLimit-* headers say."""

    __slots__ = ("admitted", "category", "limit", "remaining", "retry_after")

    def __init__(self, admitted: bool, category: str, limit: int, remaining: int, retry_after: int):
        self.admitted = admitted
        self.category = category
        self.limit = limit
        self.remaining = remaining
        self.retry_after = retry_after  # whole seconds until a slot frees (rejections only)

    def headers(self) -> dict[str, str]:
        out = {"X-RateLimit-Category": HEADER_NAMES[self.category], "X-RateLimit-Type": "QPS",
               "X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}
        if not self.admitted:
            out["Retry-After"] = str(self.retry_after)
        return out


class RateLimiter:
    def __init__(self, plan: str, clock):
        resolved = resolve_plan(plan)
        if resolved is None:
            raise ValueError("a RateLimiter needs a plan")
        self.plan = resolved
        self._clock = clock
        self._lock = threading.Lock()
        self._limits = {c: PLANS[resolved][c] for c in CATEGORIES}
        self._admitted: dict[str, deque[float]] = {c: deque() for c in CATEGORIES}

    def check(self, category: str) -> Verdict:
        limit, period = self._limits[category]
        with self._lock:
            now = self._clock()
            times = self._admitted[category]
            while times and times[0] <= now - period:
                times.popleft()
            if len(times) >= limit:
                # Seconds until the oldest admitted request leaves the window, as a whole number (the
                # HTTP form; Zoom sends whole seconds or a timestamp).
                wait = max(1, math.ceil(times[0] + period - now))
                return Verdict(False, category, limit, 0, wait)
            times.append(now)
            return Verdict(True, category, limit, limit - len(times), 0)
