"""``python -m zoomsim``: run the simulator until SIGINT/SIGTERM.

Prints exactly one line on stdout, flushed — ``Zoom simulator listening on http://127.0.0.1:PORT`` —
so a parent process can read the URL; anything else goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from pacer import plan_names
from zoomsim.server import ZoomSimulator


def _env_default(name: str) -> str:
    """A default from the environment, as text: argparse checks it with the option's type."""
    return os.environ.get(name, "").strip() or "0"


def _non_negative(kind):
    def parse(text):
        try:
            value = kind(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not 0 <= value < float("inf"):  # also refuses NaN
            raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoomsim", description="Run the local Zoom simulator.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    parser.add_argument("--token-ttl", type=int, default=3600,
                        help="token lifetime in seconds (default 3600)")
    parser.add_argument("--seed-meetings", type=int, default=0, metavar="N",
                        help="add N extra scheduled meetings to the 'me' user")
    parser.add_argument("--seed-recordings", type=int, default=0, metavar="N",
                        help="add N past recorded meetings (transcripts, participants) to the 'me' user, "
                             "over the last 90 days")
    parser.add_argument("--latency", type=_non_negative(float), metavar="MS",
                        default=_env_default("ZOOMSIM_LATENCY_MS"),
                        help="delay every answer (token, API, download) by MS milliseconds, as a far-away "
                             "Zoom would (default $ZOOMSIM_LATENCY_MS or 0)")
    parser.add_argument("--latency-jitter", type=_non_negative(float), metavar="MS",
                        default=_env_default("ZOOMSIM_LATENCY_JITTER_MS"),
                        help="vary each delay uniformly by up to ±MS "
                             "(default $ZOOMSIM_LATENCY_JITTER_MS or 0)")
    parser.add_argument("--seed", type=_non_negative(int), metavar="N", default=None,
                        help="seed the jitter, so that runs repeat the same delays")
    parser.add_argument("--rate-limits", metavar="PLAN",
                        default=os.environ.get("ZOOMSIM_RATE_LIMITS") or None,
                        help="enforce Zoom's per-account rate limits of PLAN (" + ", ".join(plan_names())
                             + "; default $ZOOMSIM_RATE_LIMITS or off): 429 with Zoom's body and headers")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args(argv)
    if args.token_ttl <= 0:
        parser.error("--token-ttl must be positive")
    try:
        sim = ZoomSimulator(host=args.host, port=args.port, token_ttl=args.token_ttl,
                            seed_meetings=args.seed_meetings, verbose=args.verbose,
                            latency_ms=args.latency, latency_jitter_ms=args.latency_jitter, seed=args.seed,
                            rate_limits=args.rate_limits)
        if args.seed_recordings:
            sim.seed_recordings("me", args.seed_recordings)
        sim.start()
    except ValueError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"ERROR: zoomsim: cannot listen on {args.host}:{args.port}: {err}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def _on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    print(f"Zoom simulator listening on {sim.url}", flush=True)
    # A bounded wait in a loop keeps the main thread responsive to signals.
    while not stop.wait(0.5):
        pass
    sim.stop()
    print("zoomsim: stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
