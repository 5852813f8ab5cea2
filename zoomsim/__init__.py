"""zoomsim — a local fake of Zoom (Server-to-Server OAuth + a slice of the /v2 API) for tests, the demo
and the benchmarks.

    from zoomsim import ZoomSimulator
    with ZoomSimulator(port=0) as sim:
        sim.oauth_url, sim.api_url, sim.add_fault("token", "error", count=1)

Command line: ``python -m zoomsim [--host 127.0.0.1] [--port 0] [--token-ttl 3600] [--seed-meetings N]
[--seed-recordings N] [--latency MS] [--latency-jitter MS] [--seed N] [--rate-limits PLAN]``.
Credentials: ZOOMSIM_ACCOUNT_ID / ZOOMSIM_CLIENT_ID / ZOOMSIM_CLIENT_SECRET (defaults demo-account,
demo-client-id, demo-client-secret). HTTP details in ``zoomsim.server``, seed data in ``zoomsim.data``.
"""

from zoomsim.server import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    ZoomSimulator,
)

__all__ = ["ZoomSimulator", "DEFAULT_ACCOUNT_ID", "DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET"]
